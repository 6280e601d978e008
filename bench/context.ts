/**
 * What every part of the benchmark shares: the one embedded PostgreSQL server,
 * the template database (001–005 at scale 1), a temp directory, and helpers to
 * clone a fresh database and hand its URL to a child through the environment
 * (never on a command line, never in a file).
 */
import path from 'node:path';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {createDatabase, type SandboxServer} from '../source/sandbox/server.js';
import {projectRoot} from '../source/paths.js';
import type {Target} from '../source/db/target.js';

export const CLI = path.join(projectRoot, 'dist', 'cli.js');
export const BASE_DATABASE = 'bench_base';

export type BenchDatabase = {readonly name: string; readonly target: Target; readonly url: string};

export type BenchContext = {
	readonly server: SandboxServer;
	readonly root: string;
	/** XDG_CACHE_HOME for the runbook's children: the plan's validation cache starts empty in each bench run. */
	readonly cacheDir: string;
	/** A new empty directory under the bench's temp root. */
	readonly tempDir: (prefix: string) => string;
	/** CREATE DATABASE name TEMPLATE bench_base (or the given template). */
	readonly cloneDatabase: (prefix: string, template?: string) => Promise<BenchDatabase>;
	readonly urlFor: (database: string) => string;
	readonly log: (line: string) => void;
};

export function createContext(server: SandboxServer, log: (line: string) => void): BenchContext & {readonly cleanup: () => void} {
	const root = mkdtempSync(path.join(tmpdir(), 'runbook-bench-'));
	let counter = 0;
	const urlFor = (database: string) => {
		const url = new URL(server.adminUrl);
		url.pathname = `/${database}`;
		return url.toString();
	};
	return {
		server,
		root,
		cacheDir: mkdtempSync(path.join(root, 'cache-')),
		log,
		urlFor,
		tempDir: (prefix) => mkdtempSync(path.join(root, `${prefix}-`)),
		cloneDatabase: async (prefix, template = BASE_DATABASE) => {
			counter += 1;
			const name = `bench_${prefix}_${counter}`;
			const target = await createDatabase(server.admin, name, template);
			return {name, target, url: urlFor(name)};
		},
		cleanup: () => rmSync(root, {recursive: true, force: true}),
	};
}
