/**
 * Child processes (psql, pg_dump, pg_restore, shell items) run through
 * node's spawn, their stdout and stderr split into lines as they arrive and
 * handed to `onLine`. Nothing is buffered beyond a bounded tail, so a child
 * printing megabytes per second costs constant memory. A child that is
 * cancelled or times out gets SIGTERM, and SIGKILL 2 s later if it is still
 * there; one still running when the runbook's process exits gets SIGTERM.
 * (execa did the same and cost ~25 ms of module loading at every start.)
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {closeSync, openSync} from 'node:fs';
import {createInterface} from 'node:readline';
import {UserError} from '../errors.js';
import {BoundedLines} from './bounded-lines.js';
import path from 'node:path';
import type {ResourceSpec, ResourceTracker} from './resource.js';

export type ChildLine = {readonly stream: 'stdout' | 'stderr'; readonly line: string};

export type ChildOptions = {
	readonly file: string;
	readonly args: readonly string[];
	/** Added to (or, with undefined, removed from) the inherited environment. */
	readonly env?: Readonly<Record<string, string | undefined>>;
	readonly cwd?: string;
	/** Called for each line of output, in arrival order per stream. */
	readonly onLine?: (line: ChildLine) => void;
	/** Called once the child has a pid. */
	readonly onSpawn?: (pid: number) => void;
	/** How many lines of output to keep for evidence (default 40). */
	readonly tailLines?: number;
	readonly signal?: AbortSignal;
	/** Send stdout to this file descriptor/stream instead of reading it line by line. */
	readonly stdoutFile?: string;
	/** Hint shown when the binary is missing. */
	readonly installHint?: string;
	readonly timeoutMs?: number;
	/**
	 * Journal the child as a resource (kind process) before it starts, with its
	 * pid once known and its PGAPPNAME, released when it exits: a resumed run
	 * finds an orphan of a killed run by both.
	 */
	readonly track?: {readonly resources: ResourceTracker} & Pick<ResourceSpec, 'purpose' | 'onOrphan' | 'server' | 'via' | 'itemId'>;
};

export type ChildResult = {
	readonly exitCode: number;
	readonly signal: string | undefined;
	readonly tail: readonly ChildLine[];
	readonly durationMs: number;
	readonly startedAt: string;
	readonly endedAt: string;
};

/** How long a child has after SIGTERM (cancelled, timed out) before SIGKILL. */
const FORCE_KILL_AFTER_MS = 2000;

/** Children still running, ended with SIGTERM if the runbook's process exits before them. */
const running = new Set<ChildProcess>();
let exitHooked = false;

function keepTrack(child: ChildProcess): void {
	running.add(child);
	if (exitHooked) return;
	exitHooked = true;
	process.on('exit', () => {
		for (const c of running) c.kill('SIGTERM');
	});
}

export async function runChild(options: ChildOptions): Promise<ChildResult> {
	const started = Date.now();
	const startedAt = new Date(started).toISOString();
	const tail = new BoundedLines<ChildLine>(options.tailLines ?? 40);
	const applicationName = options.env?.['PGAPPNAME'] ?? 'runbook';
	let tracked: ReturnType<ResourceTracker['register']> | undefined;
	if (options.track) {
		const {resources, ...spec} = options.track;
		tracked = resources.register({kind: 'process', name: path.basename(options.file), applicationName, ...spec});
	}
	let child: ChildProcess;
	let stdoutFd: number | undefined;
	try {
		if (options.stdoutFile) stdoutFd = openSync(options.stdoutFile, 'w');
		child = spawn(options.file, [...options.args], {
			// Inherited, then the caller's (undefined removes a variable: spawn leaves it out).
			env: {...process.env, ...options.env, LC_MESSAGES: 'C', PGAPPNAME: applicationName},
			cwd: options.cwd,
			stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'],
		});
	} catch (error) {
		tracked?.release('never started');
		throw missingBinary(options, error);
	} finally {
		// The child has its own copy of the descriptor.
		if (stdoutFd !== undefined) closeSync(stdoutFd);
	}
	// 'close' comes after the exit and the end of stdout and stderr; also when spawning failed (after 'error').
	let spawnError: NodeJS.ErrnoException | undefined;
	child.on('error', (error: NodeJS.ErrnoException) => {
		spawnError ??= error;
	});
	const closed = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.once('close', (code, signal) => resolve({code, signal})));
	if (child.pid !== undefined) {
		keepTrack(child);
		tracked?.update({pid: child.pid});
		options.onSpawn?.(child.pid);
	}
	let forceKill: NodeJS.Timeout | undefined;
	const terminate = () => {
		if (child.exitCode !== null || child.signalCode !== null || forceKill) return;
		child.kill('SIGTERM');
		forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS);
	};
	const timeout = options.timeoutMs === undefined ? undefined : setTimeout(terminate, options.timeoutMs);
	if (options.signal?.aborted) terminate();
	else options.signal?.addEventListener('abort', terminate, {once: true});
	const pump = (stream: NodeJS.ReadableStream | null | undefined, name: 'stdout' | 'stderr') =>
		new Promise<void>((resolve) => {
			if (!stream) return resolve();
			const rl = createInterface({input: stream, crlfDelay: Infinity});
			rl.on('line', (line) => {
				const item = {stream: name, line};
				tail.push(item);
				options.onLine?.(item);
			});
			rl.on('close', () => resolve());
			// One chunk per turn of the event loop: while a chatty child keeps its pipe
			// full, libuv reads it up to 32 times in a row (64 KB, ~1600 lines each)
			// before the loop looks at anything else, such as the keys on stdin. A flood
			// of 200 MB stalled timers by up to 15-30 ms at a time, 7-12 ms with this.
			stream.on('data', () => {
				stream.pause();
				setImmediate(() => stream.resume());
			});
			// A child that never started has its pipes destroyed without an end.
			stream.once('close', () => resolve());
		});
	const pumps = Promise.all([pump(child.stdout, 'stdout'), pump(child.stderr, 'stderr')]);
	const result = await closed;
	await pumps;
	running.delete(child);
	clearTimeout(timeout);
	clearTimeout(forceKill);
	options.signal?.removeEventListener('abort', terminate);
	const ended = Date.now();
	const exitCode = spawnError ? undefined : (result.code ?? undefined);
	tracked?.release(result.signal ? `ended by ${result.signal}` : `exited with code ${exitCode ?? '?'}`);
	if (spawnError?.code === 'ENOENT') throw missingBinary(options, spawnError);
	return {
		exitCode: exitCode ?? (result.signal ? 128 : 1),
		signal: result.signal ?? undefined,
		tail: tail.toArray(),
		durationMs: ended - started,
		startedAt,
		endedAt: new Date(ended).toISOString(),
	};
}

function missingBinary(options: ChildOptions, cause: unknown): UserError {
	return new UserError(
		`\`${options.file}\` was not found on PATH. ${options.installHint ?? 'Install it and run again.'}`,
		{cause},
	);
}

export const POSTGRES_CLIENT_HINT =
	'runbook runs the PostgreSQL client tools (psql, pg_dump, pg_restore) as child processes: install them with `apt-get install postgresql-client` (Debian/Ubuntu) or `brew install libpq` (macOS), at a major version at least that of the server, and run again.';
