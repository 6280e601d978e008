/**
 * The PostgreSQL client tools a backup needs (pg_dump, pg_restore, psql):
 * where they are, which major version each one is, and whether that version
 * can handle the server. pg_dump refuses to dump a server newer than itself,
 * and pg_restore/psql of an older major may not understand what a newer
 * pg_dump wrote, so every tool must be at least the server's major version.
 */
import {access, readdir, realpath, stat} from 'node:fs/promises';
import {constants} from 'node:fs';
import path from 'node:path';
import {withClient} from '../db/connect.js';
import type {Target} from '../db/target.js';
import {UserError, errorMessage} from '../errors.js';
import {POSTGRES_CLIENT_HINT, runChild} from '../proc/child.js';
import {fileIdentity, isDebianWrapper, readToolCache, toolCacheKey, writeToolCache} from './tool-cache.js';

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
	/** Absolute path of the executable to run. */
	readonly path: string;
	readonly version: PgVersion;
	/** When `path` is the binary Debian's wrapper on PATH would have run (see `wrappedBinary`): the wrapper's path. */
	readonly wrapper?: string;
	/** What the wrapper would have set in the child's environment, for running `path` directly. */
	readonly env?: Readonly<Record<string, string>>;
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
	/**
	 * The environment the tool will run with (a target's `childEnv()`): its
	 * version is read with it, since Debian's wrapper picks the binary by it.
	 */
	readonly env?: Readonly<Record<string, string | undefined>>;
	/** Where Debian keeps each version's binaries (default /usr/lib/postgresql; tests give another). */
	readonly binRoot?: string;
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

/** What `<tool> --version` printed (its first line) and the version in it. */
type ToolProbe = {readonly version: PgVersion; readonly output: string};

/**
 * Versions already read in this process, by the executable's identity (inode,
 * size, mtime) and whether the environment names a host: the preflight reads
 * pg_dump's before the window and the backup item needs it again (one fork of
 * the Debian wrapper script, 30–150 ms under load, on the backup's path). A
 * replaced file is read again. What the files alone decide is also kept on
 * disk for the next run (tool-cache.ts).
 */
const probes = new Map<string, Promise<ToolProbe>>();

function probeTool(name: ClientToolName, file: string, env?: ToolLookupOptions['env'], binRoot = DEBIAN_BIN_ROOT): Promise<ToolProbe> {
	return stat(file).then(
		(info) => {
			// Debian's wrapper chooses the binary by PGHOST (and PGCLUSTER, PGPORT, PGSERVICE without it): a version read without them may be another binary's.
			const choice = ['PGHOST', 'PGCLUSTER', 'PGPORT', 'PGSERVICE'].map((v) => (env && v in env ? `${v}=${env[v] ?? ''}` : '')).join(',');
			const key = `${name}\0${file}\0${fileIdentity(info)}\0${choice}`;
			let probe = probes.get(key);
			if (!probe) {
				probe = keptOrRun(name, file, env, binRoot);
				probes.set(key, probe);
				// A failure is not kept: the next call runs the tool again.
				probe.catch(() => probes.delete(key));
			}
			return probe;
		},
		() => runToolVersion(name, file, env),
	);
}

/** Drops the answers read in this process (tests, or a long-lived process that wants them read again); those kept on disk stay. */
export function forgetToolVersions(): void {
	probes.clear();
}

/** Runs `<tool> --version` and parses it (once per executable, environment and process; kept across runs where tool-cache.ts may). */
export async function readToolVersion(name: ClientToolName, file: string, env?: ToolLookupOptions['env']): Promise<PgVersion> {
	return (await probeTool(name, file, env)).version;
}

/** The answer kept from an earlier run when the files alone decide it (tool-cache.ts), else the tool's own. */
async function keptOrRun(name: ClientToolName, file: string, env: ToolLookupOptions['env'], binRoot: string): Promise<ToolProbe> {
	const key = await toolCacheKey(name, file, env, binRoot);
	const kept = key ? readToolCache(key) : undefined;
	const version = kept ? parseToolVersion(kept) : undefined;
	if (kept && version) return {version, output: kept};
	const probe = await runToolVersion(name, file, env);
	if (key) writeToolCache(key, probe.output);
	return probe;
}

async function runToolVersion(name: ClientToolName, file: string, env?: ToolLookupOptions['env']): Promise<ToolProbe> {
	const result = await runChild({file, args: ['--version'], installHint: POSTGRES_CLIENT_HINT, tailLines: 5, timeoutMs: 15_000, ...(env ? {env} : {})});
	const output = result.tail.map((l) => l.line).join('\n');
	const version = result.exitCode === 0 ? parseToolVersion(output) : undefined;
	if (!version) {
		throw new UserError(
			`\`${file} --version\` did not report a PostgreSQL version (exit code ${result.exitCode}, output: ${JSON.stringify(output.slice(0, 200))}). Check that it is the PostgreSQL ${name}. ${POSTGRES_CLIENT_HINT}`,
		);
	}
	return {version, output: output.split('\n')[0]!.trim()};
}

export const DEBIAN_BIN_ROOT = '/usr/lib/postgresql';

/**
 * Debian and Ubuntu put a perl script on PATH for every client tool
 * (postgresql-common's pg_wrapper): it picks one installed version's binary
 * and execs it, 30 ms per start on an idle machine and up to 150 ms on a
 * loaded one, before every backup and every migration. With a host in the
 * environment, as every child of ours has, it picks the newest installed
 * version that has the tool, and sets PGSYSCONFDIR to /etc/postgresql-common
 * when unset. That binary is run directly only when it is proven to be the
 * one: the tool on PATH resolves to that wrapper, and the newest binary's
 * `--version` prints exactly what the wrapper's run printed in the same
 * environment. Anything else (no host given, another wrapper, a version that
 * differs, a binary that cannot run) leaves the wrapper in place.
 */
async function wrappedBinary(name: ClientToolName, file: string, probe: ToolProbe, options: ToolLookupOptions): Promise<{path: string; env: Record<string, string>} | undefined> {
	const env = options.env;
	if (!env?.['PGHOST']) return undefined;
	// For a psql older than 13 the wrapper also preloads libreadline; that one keeps its wrapper.
	if (name === 'psql' && probe.version.majorNum < 1300) return undefined;
	const real = await realpath(file).catch(() => undefined);
	if (!real || !isDebianWrapper(real)) return undefined;
	const root = options.binRoot ?? DEBIAN_BIN_ROOT;
	const versions = (await readdir(root).catch(() => [] as string[])).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
	for (const v of versions) {
		const candidate = path.join(root, v, 'bin', name);
		if (!(await isExecutableFile(candidate))) continue;
		const direct = await probeTool(name, candidate, env, root).catch(() => undefined);
		if (direct?.output !== probe.output) return undefined;
		return {path: candidate, env: {PGSYSCONFDIR: env['PGSYSCONFDIR'] ?? process.env['PGSYSCONFDIR'] ?? '/etc/postgresql-common'}};
	}
	return undefined;
}

/**
 * Finds a tool and reads its version. Given the environment it will run
 * with, a tool that is Debian's wrapper comes back as the binary the wrapper
 * would run, with what the wrapper would add to the environment.
 */
export async function findClientTool(name: ClientToolName, options: ToolLookupOptions = {}): Promise<ClientTool> {
	const file = await findTool(name, options);
	const probe = await probeTool(name, file, options.env, options.binRoot);
	const direct = options.env ? await wrappedBinary(name, file, probe, options) : undefined;
	if (direct) return {name, path: direct.path, version: probe.version, wrapper: file, env: direct.env};
	return {name, path: file, version: probe.version};
}

/**
 * pg_restore as a run's children get it. Given the run's environment (its
 * target's `childEnv()`), it is the binary Debian's wrapper would run for the
 * run's pg_dump, started directly where that is proven, else the wrapper with
 * the run's host to choose by. This matters for the runs that connect to
 * nothing (`--list`, reading an archive): without a host the wrapper takes a
 * local cluster's version, which may be older than the pg_dump that wrote the
 * archive and unable to read it. `env` is what to add to the child's
 * environment for that (no password: it is only for the choice).
 */
export async function pgRestoreFor(options: ToolLookupOptions): Promise<{readonly file: string; readonly env?: Readonly<Record<string, string>>}> {
	if (!options.env) return {file: await findTool('pg_restore', options)};
	const tool = await findClientTool('pg_restore', options);
	if (tool.env) return {file: tool.path, env: tool.env};
	const host = options.env['PGHOST'];
	return host ? {file: tool.path, env: {PGHOST: host}} : {file: tool.path};
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
	const lookup = options.target && !options.env ? {...options, env: options.target.childEnv()} : options;
	const [pgDump, pgRestore, psql] = await Promise.all([
		findClientTool('pg_dump', lookup),
		findClientTool('pg_restore', lookup),
		findClientTool('psql', lookup),
	]);
	if (!options.target) return {pgDump, pgRestore, psql};
	const server = await serverVersion(options.target);
	for (const tool of [pgDump, pgRestore, psql]) assertClientVersion(tool, server, options.target.display);
	return {pgDump, pgRestore, psql, server};
}
