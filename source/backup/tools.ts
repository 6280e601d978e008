/**
 * The PostgreSQL client tools a backup needs (pg_dump, pg_restore, psql):
 * where they are, which major version each one is, and whether that version
 * can handle the server. pg_dump refuses to dump a server newer than itself,
 * and pg_restore/psql of an older major may not understand what a newer
 * pg_dump wrote, so every tool must be at least the server's major version.
 */
import {access, stat} from 'node:fs/promises';
import {constants} from 'node:fs';
import path from 'node:path';
import {withClient} from '../db/connect.js';
import type {Target} from '../db/target.js';
import {UserError, errorMessage} from '../errors.js';
import {POSTGRES_CLIENT_HINT, runChild} from '../proc/child.js';

export type ClientToolName = 'pg_dump' | 'pg_restore' | 'psql';

/** A PostgreSQL version as tools and servers report it. */
export type PgVersion = {
	/** As printed, e.g. `15.20` or `9.6.24`. */
	readonly text: string;
	/** The major version as people name it: `15`, or `9.6` before PostgreSQL 10. */
	readonly major: string;
	/** Comparable major: 1500 for 15, 906 for 9.6. */
	readonly majorNum: number;
};

export type ClientTool = {
	readonly name: ClientToolName;
	/** Absolute path of the executable. */
	readonly path: string;
	readonly version: PgVersion;
};

export type ClientTools = {
	readonly pgDump: ClientTool;
	readonly pgRestore: ClientTool;
	readonly psql: ClientTool;
};

/** Explicit paths (or bare names looked up on PATH) for each tool. */
export type ToolPaths = {
	readonly pgDump?: string;
	readonly pgRestore?: string;
	readonly psql?: string;
};

export type ToolLookupOptions = {
	readonly paths?: ToolPaths;
	/** PATH to search (default: process.env.PATH). */
	readonly pathEnv?: string;
};

/** Parses `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)` and the like. */
export function parseToolVersion(output: string): PgVersion | undefined {
	const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(output);
	if (!match) return undefined;
	const first = Number(match[1]);
	const second = match[2] === undefined ? 0 : Number(match[2]);
	const text = match[0].replace(/^\(PostgreSQL\)\s+/, '');
	if (first >= 10) return {text, major: String(first), majorNum: first * 100};
	return {text, major: `${first}.${second}`, majorNum: first * 100 + second};
}

/** From `server_version_num` (150020) and `server_version` (15.20 (Debian …)). */
export function versionFromServerNum(num: number, text?: string): PgVersion {
	const shown = (text ?? '').split(/\s/)[0] || String(num);
	if (num >= 100_000) {
		const major = Math.floor(num / 10_000);
		return {text: shown, major: String(major), majorNum: major * 100};
	}
	const first = Math.floor(num / 10_000);
	const second = Math.floor((num % 10_000) / 100);
	return {text: shown, major: `${first}.${second}`, majorNum: first * 100 + second};
}

const OPTION_NAMES: Record<ClientToolName, keyof ToolPaths> = {
	pg_dump: 'pgDump',
	pg_restore: 'pgRestore',
	psql: 'psql',
};

async function isExecutableFile(file: string): Promise<boolean> {
	try {
		const info = await stat(file);
		if (!info.isFile()) return false;
		await access(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/**
 * Finds a tool: an explicit path (anything with a slash) must exist and be
 * executable; a bare name is looked up on PATH. Throws a `UserError` that says
 * how to install the client tools.
 */
export async function findTool(name: ClientToolName, options: ToolLookupOptions = {}): Promise<string> {
	const given = options.paths?.[OPTION_NAMES[name]];
	if (given !== undefined && given.includes(path.sep)) {
		const full = path.resolve(given);
		if (await isExecutableFile(full)) return full;
		throw new UserError(
			`The ${name} given as \`${given}\` does not exist or is not an executable file. Fix the path, or leave it unset to use the ${name} on PATH. ${POSTGRES_CLIENT_HINT}`,
		);
	}
	const bare = given ?? name;
	const pathEnv = options.pathEnv ?? process.env['PATH'] ?? '';
	for (const dir of pathEnv.split(path.delimiter)) {
		if (!dir) continue;
		const candidate = path.join(dir, bare);
		if (await isExecutableFile(candidate)) return path.resolve(candidate);
	}
	throw new UserError(`\`${bare}\` was not found on PATH (${pathEnv || 'empty'}). ${POSTGRES_CLIENT_HINT}`);
}

/**
 * Versions already read in this process, by the executable's identity (inode,
 * size, mtime): the preflight reads pg_dump's before the window and the
 * backup item needs it again (one fork of the Debian wrapper script, 30–90 ms
 * under load, on the backup's path). A replaced file is read again.
 */
const versions = new Map<string, Promise<PgVersion>>();

/** Runs `<tool> --version` and parses it (once per executable and process). */
export async function readToolVersion(name: ClientToolName, file: string): Promise<PgVersion> {
	const info = await stat(file).catch(() => undefined);
	if (!info) return runToolVersion(name, file);
	const key = `${name}\0${file}\0${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
	let version = versions.get(key);
	if (!version) {
		version = runToolVersion(name, file);
		versions.set(key, version);
		// A failure is not kept: the next call runs the tool again.
		version.catch(() => versions.delete(key));
	}
	return version;
}

async function runToolVersion(name: ClientToolName, file: string): Promise<PgVersion> {
	const result = await runChild({file, args: ['--version'], installHint: POSTGRES_CLIENT_HINT, tailLines: 5, timeoutMs: 15_000});
	const output = result.tail.map((l) => l.line).join('\n');
	const version = result.exitCode === 0 ? parseToolVersion(output) : undefined;
	if (!version) {
		throw new UserError(
			`\`${file} --version\` did not report a PostgreSQL version (exit code ${result.exitCode}, output: ${JSON.stringify(output.slice(0, 200))}). Check that it is the PostgreSQL ${name}. ${POSTGRES_CLIENT_HINT}`,
		);
	}
	return version;
}

export async function findClientTool(name: ClientToolName, options: ToolLookupOptions = {}): Promise<ClientTool> {
	const file = await findTool(name, options);
	return {name, path: file, version: await readToolVersion(name, file)};
}

/** The server's version, from `SHOW server_version_num`. */
export async function serverVersion(target: Target): Promise<PgVersion> {
	return withClient(target, 'runbook-backup', async (client) => {
		const num = await client.query<{server_version_num: string}>('SHOW server_version_num');
		const text = await client.query<{server_version: string}>('SHOW server_version');
		return versionFromServerNum(Number(num.rows[0]?.server_version_num), text.rows[0]?.server_version);
	});
}

/** Throws unless the tool's major version is at least the server's. */
export function assertClientVersion(tool: ClientTool, server: PgVersion, serverDisplay: string): void {
	if (tool.version.majorNum >= server.majorNum) return;
	throw new UserError(
		`${tool.name} at ${tool.path} is PostgreSQL ${tool.version.text} (major ${tool.version.major}), but the server ${serverDisplay} runs PostgreSQL ${server.text} (major ${server.major}); ${tool.name} must be at least the server's major version. Install the PostgreSQL ${server.major} client tools (e.g. \`apt-get install postgresql-client-${server.major}\` with the PGDG repository, or \`brew install libpq\`) and put them first on PATH or give their paths explicitly.`,
	);
}

/**
 * Finds all three tools, reads their versions and, when a target is given,
 * checks each against the server's major version.
 */
export async function resolveClientTools(options: ToolLookupOptions & {readonly target?: Target} = {}): Promise<ClientTools & {readonly server?: PgVersion}> {
	const [pgDump, pgRestore, psql] = await Promise.all([
		findClientTool('pg_dump', options),
		findClientTool('pg_restore', options),
		findClientTool('psql', options),
	]);
	if (!options.target) return {pgDump, pgRestore, psql};
	const server = await serverVersion(options.target);
	for (const tool of [pgDump, pgRestore, psql]) assertClientVersion(tool, server, options.target.display);
	return {pgDump, pgRestore, psql, server};
}
