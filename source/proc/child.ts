/**
 * Child processes (psql, pg_dump, pg_restore, shell items) run through execa,
 * their stdout and stderr split into lines as they arrive and handed to
 * `onLine`. Nothing is buffered beyond a bounded tail, so a child printing
 * megabytes per second costs constant memory. A child that is cancelled or
 * times out gets SIGTERM, and SIGKILL 2 s later if it is still there; one
 * still running when the runbook's process exits is ended (execa's cleanup).
 * execa is imported with the first child, not at start-up (~25 ms of module
 * loading that `status` and the first frame never need); a run preloads it
 * while it connects (`preloadChildRunner`).
 */
import type {ResultPromise} from 'execa';
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

let execaModule: Promise<typeof import('execa')> | undefined;
const loadExeca = () => (execaModule ??= import('execa'));

/**
 * Starts loading execa now, so the first child does not wait for it: 20-60 ms
 * of compiling on the main thread, which a run spends while its connections'
 * handshakes are in flight instead of between the backup's snapshot and
 * pg_dump's start.
 */
export function preloadChildRunner(): void {
	loadExeca().catch(() => {
		execaModule = undefined;
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
	const {execa} = await loadExeca();
	let subprocess: ResultPromise;
	try {
		subprocess = execa(options.file, [...options.args], {
			env: {...options.env, LC_MESSAGES: 'C', PGAPPNAME: applicationName},
			extendEnv: true,
			cwd: options.cwd,
			buffer: false,
			reject: false,
			stdin: 'ignore',
			stdout: options.stdoutFile ? {file: options.stdoutFile} : 'pipe',
			stderr: 'pipe',
			cancelSignal: options.signal,
			timeout: options.timeoutMs,
			forceKillAfterDelay: 2000,
		});
	} catch (error) {
		tracked?.release('never started');
		throw missingBinary(options, error);
	}
	if (subprocess.pid !== undefined) {
		tracked?.update({pid: subprocess.pid});
		options.onSpawn?.(subprocess.pid);
	}
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
	const pumps = Promise.all([options.stdoutFile ? Promise.resolve() : pump(subprocess.stdout, 'stdout'), pump(subprocess.stderr, 'stderr')]);
	const result = await subprocess;
	await pumps;
	const ended = Date.now();
	tracked?.release(result.signal ? `ended by ${result.signal}` : `exited with code ${result.exitCode ?? '?'}`);
	const failure = result as {code?: string; cause?: unknown};
	if (failure.code === 'ENOENT' || (failure.cause as {code?: string} | undefined)?.code === 'ENOENT') throw missingBinary(options, failure.cause ?? result);
	return {
		exitCode: result.exitCode ?? (result.signal ? 128 : 1),
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
