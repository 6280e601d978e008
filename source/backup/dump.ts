/**
 * The pre-migration backup: pg_dump as a child process into the backup
 * directory, with progress, a `.partial` name until it is complete, mode 0600
 * from the first byte, a sha256 of the finished file, and the exact row count
 * of every table taken in the very snapshot pg_dump dumps.
 *
 * pg_dump writes the file itself, exactly as a raw `pg_dump --file` does (so
 * the archive's table of contents carries its data offsets, rewritten at the
 * end), into a `.partial` we created empty with mode 0600. While it runs the
 * runbook only reads its verbose lines and the file's size for the progress:
 * no byte of the dump passes through this process, so pg_dump and the server
 * have both cores (copying 300 MB through a pipe cost 1.6 s of CPU in 20 000
 * reads, and pg_dump waited on the full pipe). The file is hashed from disk
 * as it grows, on a low-priority thread (growing-hash.ts), so the checksum is
 * ready when pg_dump ends, and the head pg_dump rewrites at the end is
 * settled so the hash is of the file on disk. pg_dump runs with --no-sync: we
 * fsync the file ourselves before it gets its final name.
 *
 * Memory is constant in the size of the database: pg_dump's verbose output is
 * read line by line with a bounded tail, and the hash reads into one buffer.
 */
import {childConnectionFailure} from '../db/connect-failure.js';
import {chmod, link, mkdir, open, readdir, rm, stat, unlink} from 'node:fs/promises';
import {fstatSync} from 'node:fs';
import {DumpProgressTracker, isTableLine, tableSizesWith, type DumpEstimate} from './dump-progress.js';
import path from 'node:path';
import type pg from 'pg';
import {redact, type Target} from '../db/target.js';
import {UserError, errorMessage} from '../errors.js';
import {POSTGRES_CLIENT_HINT, runChild, type ChildLine} from '../proc/child.js';
import {withClient} from '../db/connect.js';
import {DEFAULT_SPACE_FACTOR, diskSpaceCheck, freeSpace} from './precheck.js';
import {countRowsWith, type TableCount} from './row-counts.js';
import {GrowingFileHash, type GrowingHashResult} from './growing-hash.js';
import {lowerLocalBackendPriority} from './local-backend.js';
import {assertClientVersion, findClientTool, versionFromServerNum, type ClientTool, type PgVersion} from './tools.js';
import {untracked, uniqueAppName, type ResourceHandle, type ResourceTracker} from '../proc/resource.js';

export type BackupFormat = 'custom' | 'plain';

export const DEFAULT_PREFIX = 'backup-pre-migration-006';

/**
 * Compression level for the custom format. Measured on two cores (see
 * MEASUREMENTS.md, 1 GB database): pg_dump's default level takes 16.7 s
 * against 5.3 s for plain, CPU-bound; `-Z1` takes 7.3 s (1.38×) and its
 * 248 MB are within 7% of the default's 232 MB (93% of the size gain). The
 * plan gives the backup ten minutes of a 2 AM window, so the fast level is
 * the right default; the operator can raise it.
 */
export const DEFAULT_COMPRESSION = 1;

/** pg_dump waits at most this long for a table lock, so it never queues behind DDL (and DDL never queues behind it). */
export const DEFAULT_LOCK_WAIT_TIMEOUT_MS = 10_000;

export type BackupProgress = {
	/** Bytes in the file so far. */
	readonly bytes: number;
	/** Average write rate since the start. */
	readonly bytesPerSecond: number;
	readonly elapsedMs: number;
	/** Objects pg_dump reported dumping (tables' contents; for plain also definitions). */
	readonly objects: number;
	/** pg_dump's last verbose line, secrets removed. */
	readonly lastLine: string | undefined;
	readonly phase: 'dumping' | 'checksum' | 'done';
	/** Table N of M and bytes against the catalog's total, with an ETA. */
	readonly estimate?: DumpEstimate;
};

export type BackupOptions = {
	readonly target: Target;
	/** Created (mode 0700) if missing. */
	readonly dir: string;
	readonly format?: BackupFormat;
	/** 0–9, custom format only (default DEFAULT_COMPRESSION). */
	readonly compression?: number;
	/** File name prefix (default DEFAULT_PREFIX). */
	readonly prefix?: string;
	readonly lockWaitTimeoutMs?: number;
	/** Only these schemas (`-n`); default the whole database. */
	readonly schemas?: readonly string[];
	/** Free space required in `dir` before starting, × the database size (default 1.5); 0 skips the check. */
	readonly spaceFactor?: number;
	/** Count every table's rows in the dump's snapshot (default true). */
	readonly countRows?: boolean;
	/** pg_dump path or name (default: `pg_dump` on PATH). */
	readonly pgDumpPath?: string;
	readonly pathEnv?: string;
	readonly onProgress?: (progress: BackupProgress) => void;
	/** Interval between progress reports (default 300 ms). */
	readonly progressIntervalMs?: number;
	/** pg_dump's output lines, secrets removed. */
	readonly onLine?: (line: ChildLine) => void;
	readonly onSpawn?: (pid: number) => void;
	readonly signal?: AbortSignal;
	/** Clock for the file name (default: now). */
	readonly now?: () => Date;
	/** Journals the partial file, the finished file until it is recorded, and pg_dump itself (default: nothing journaled). */
	readonly resources?: ResourceTracker;
	/** The plan item, for the journal's resource records. */
	readonly itemId?: string;
};

export type BackupResult = {
	/** Absolute path of the finished file. */
	readonly file: string;
	readonly format: BackupFormat;
	readonly compression: number | undefined;
	readonly bytes: number;
	readonly sha256: string;
	readonly durationMs: number;
	readonly objects: number;
	readonly startedAt: string;
	readonly endedAt: string;
	readonly serverVersion: string;
	readonly clientVersion: string;
	/** The pg_dump that ran: the one on PATH, or the binary Debian's wrapper there would have run (tools.ts). */
	readonly binary: string;
	/** pg_dump's arguments (no connection details: those go through the environment). */
	readonly args: readonly string[];
	/** Row counts in the dump's snapshot; empty when countRows is false. */
	readonly tables: readonly TableCount[];
	/** How the sha256 was taken (see growing-hash.ts): as pg_dump wrote the file, or in a second pass over it. */
	readonly checksum: GrowingHashResult['how'];
	/** The finished file as a journaled resource: release it once the backup is recorded (until then a resumed run removes it). */
	readonly resource: ResourceHandle;
};

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `prefix-YYYYMMDD-HHMMSS.dump|sql`, local time like the plan's `date +%Y%m%d-%H%M%S`. */
export function backupFileName(prefix: string, format: BackupFormat, date: Date): string {
	const stamp = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
	return `${prefix}-${stamp}.${format === 'custom' ? 'dump' : 'sql'}`;
}

export const PARTIAL_SUFFIX = '.partial';

/** How often the hashing thread looks for what pg_dump appended (a few MB each time at pg_dump's pace). */
const HASH_INTERVAL_MS = 100;

/** Lines of `pg_dump --verbose` that mean one object written. */
const OBJECT_LINE = /^pg_dump: (?:dumping contents of table|creating |executing )/;

export function pgDumpArgs(input: {
	readonly format: BackupFormat;
	readonly compression: number | undefined;
	readonly lockWaitTimeoutMs: number;
	readonly file: string;
	/** pg_dump does not fsync the file (we fsync it ourselves, while hashing it). */
	readonly noSync?: boolean;
	readonly snapshot?: string;
	readonly schemas?: readonly string[];
}): string[] {
	const args = ['--verbose', '--no-password', `--format=${input.format}`];
	if (input.compression !== undefined) args.push(`--compress=${input.compression}`);
	args.push(`--lock-wait-timeout=${input.lockWaitTimeoutMs}`);
	if (input.snapshot) args.push(`--snapshot=${input.snapshot}`);
	for (const schema of input.schemas ?? []) args.push(`--schema=${schema}`);
	if (input.noSync) args.push('--no-sync');
	args.push(`--file=${input.file}`);
	return args;
}

export async function exists(file: string): Promise<boolean> {
	try {
		await stat(file);
		return true;
	} catch {
		return false;
	}
}

/** A name in `dir` such that neither it nor its `.partial` exists. */
async function freeName(dir: string, base: string): Promise<string> {
	const ext = path.extname(base);
	const stem = base.slice(0, base.length - ext.length);
	for (let n = 1; ; n++) {
		const name = n === 1 ? base : `${stem}-${n}${ext}`;
		const full = path.join(dir, name);
		if (!(await exists(full)) && !(await exists(full + PARTIAL_SUFFIX))) return full;
	}
}

async function fsyncPath(file: string): Promise<void> {
	const handle = await open(file, 'r');
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}

/**
 * Removes `.partial` files a crashed or interrupted backup left in `dir`
 * (only those starting with `prefix`). Returns the removed paths.
 */
export async function discardPartial(dir: string, prefix: string = DEFAULT_PREFIX): Promise<string[]> {
	let names: string[];
	try {
		names = await readdir(dir);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw error;
	}
	const removed: string[] = [];
	for (const name of names) {
		if (!name.startsWith(prefix) || !name.endsWith(PARTIAL_SUFFIX)) continue;
		const full = path.join(dir, name);
		await rm(full, {force: true});
		removed.push(full);
	}
	return removed;
}

function checkCompression(format: BackupFormat, compression: number | undefined): number | undefined {
	if (format === 'plain') {
		if (compression !== undefined && compression !== 0) {
			throw new UserError(
				`A compression level (${compression}) was given for a plain-format backup. Plain backups are written uncompressed so they can be read and verified as SQL; use the custom format for a compressed backup.`,
			);
		}
		return undefined;
	}
	const level = compression ?? DEFAULT_COMPRESSION;
	if (!Number.isInteger(level) || level < 0 || level > 9) {
		throw new UserError(`The compression level \`${String(compression)}\` is not an integer from 0 to 9. Give 0 (none) to 9 (smallest, slowest); ${DEFAULT_COMPRESSION} is the default.`);
	}
	return level;
}

/**
 * Opens the transaction whose snapshot pg_dump dumps, and exports that
 * snapshot, in two round trips (the lock timeout is a bound parameter, never
 * text of the SQL). It stays open on our connection until the dump ends: the
 * catalog sizes and the row counts are read in it beside pg_dump, at the
 * lowest CPU priority when the server is on this machine (local-backend.ts).
 */
async function exportSnapshot(client: pg.Client, lockWaitTimeoutMs: number): Promise<string> {
	await client.query(
		[
			'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
			// Like pg_dump: an RLS policy that would filter a count is an error, never a silently smaller number.
			'SET LOCAL row_security = off',
			// The counts run beside pg_dump: one backend, no parallel workers taking the cores pg_dump compresses on.
			'SET LOCAL max_parallel_workers_per_gather = 0',
		].join('; '),
	);
	// Our own catalog reads open every table like pg_dump does: never wait behind DDL longer than pg_dump would.
	const {rows} = await client.query<{id: string; pid: number; port: number | null}>(
		`SELECT set_config('lock_timeout', $1, true), pg_export_snapshot() AS id, pg_backend_pid() AS pid, inet_client_port() AS port`,
		[`${Math.max(0, Math.trunc(lockWaitTimeoutMs))}ms`],
	);
	const id = rows[0]?.id;
	if (!id) throw new Error('pg_export_snapshot() returned no snapshot');
	// The sizes and counts read in this session yield the CPU to pg_dump's own backend when the server is on this machine.
	lowerLocalBackendPriority(client, Number(rows[0]?.pid), rows[0]?.port ?? null);
	return id;
}

/**
 * Runs pg_dump into `dir` and returns the finished file's evidence. A failed
 * or interrupted dump leaves no file behind (the `.partial` is removed) and
 * throws a `UserError` with pg_dump's last lines, secrets removed.
 *
 * One connection does everything the dump needs besides pg_dump itself: the
 * server's version, the database's size for the space check, the exported
 * snapshot and the row counts in it.
 */
export async function runBackup(options: BackupOptions): Promise<BackupResult> {
	const format = options.format ?? 'custom';
	const compression = checkCompression(format, options.compression);
	const lockWaitTimeoutMs = options.lockWaitTimeoutMs ?? DEFAULT_LOCK_WAIT_TIMEOUT_MS;
	const prefix = options.prefix ?? DEFAULT_PREFIX;
	const {target} = options;
	const secrets = target.secrets;
	const clean = (text: string) => redact(text, secrets);

	// Read with the dump's own environment: Debian's wrapper picks its binary by it (and is then skipped, tools.ts).
	const pgDump: ClientTool = await findClientTool('pg_dump', {paths: {pgDump: options.pgDumpPath}, pathEnv: options.pathEnv, env: target.childEnv()});
	return withClient(target, 'runbook-backup', async (client) => {
		const {rows: about} = await client.query<{num: string; text: string; bytes: string}>(
			`SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text, pg_database_size(current_database())::text AS bytes`,
		);
		const server: PgVersion = versionFromServerNum(Number(about[0]?.num), about[0]?.text);
		assertClientVersion(pgDump, server, target.display);

		const dir = path.resolve(options.dir);
		await mkdir(dir, {recursive: true, mode: 0o700});
		const factor = options.spaceFactor ?? DEFAULT_SPACE_FACTOR;
		if (factor > 0) {
			const space = diskSpaceCheck({dir, freeBytes: (await freeSpace(dir)).freeBytes, databaseBytes: Number(about[0]?.bytes ?? 0), factor});
			if (!space.ok) throw new UserError(`The backup of ${target.display} did not start: ${space.detail}`);
		}
		const resources = options.resources ?? untracked();
		const file = await freeName(dir, backupFileName(prefix, format, (options.now ?? (() => new Date()))()));
		// The partial's name carries the run's id: a leftover says which run it belongs to.
		const partial = `${file}.${resources.runTag}${PARTIAL_SUFFIX}`;
		const item = options.itemId ? {itemId: options.itemId} : {};
		const partialResource = resources.register({kind: 'file', name: partial, purpose: 'partial backup file (pg_dump writing)', ...item});
		let fileResource: ResourceHandle | undefined;

		// Mode 0600 before any data: created empty with that mode (exclusively, so it is ours), then opened by pg_dump, which keeps the mode.
		// Read and write: our handle gives the size for the progress, the fsync and the hash.
		const handle = await open(partial, 'wx+', 0o600);
		let handleOpen = true;
		const closeHandle = async () => {
			if (!handleOpen) return;
			handleOpen = false;
			await handle.close();
		};

		const started = Date.now();
		let objects = 0;
		let bytes = 0;
		let lastLine: string | undefined;
		let linked = false;
		let tracker: DumpProgressTracker | undefined;
		const size = () => (bytes = handleOpen ? fstatSync(handle.fd).size : bytes);
		const report = (phase: BackupProgress['phase']) => {
			if (!options.onProgress) return;
			if (phase === 'dumping') size();
			const elapsedMs = Date.now() - started;
			const estimate = tracker?.estimate(bytes, Date.now(), phase !== 'dumping');
			options.onProgress({bytes, bytesPerSecond: elapsedMs > 0 ? Math.round((bytes * 1000) / elapsedMs) : 0, elapsedMs, objects, lastLine, phase, ...(estimate ? {estimate} : {})});
		};
		const writeFailure = (error: NodeJS.ErrnoException) =>
			error.code === 'ENOSPC'
				? new UserError(
						`The disk holding the backup directory ${dir} is full: pg_dump of ${target.display} could not write the backup (No space left on device). The partial file was removed; no backup exists and nothing else was changed. Free space there (the backup needs about the size of the database), or give another directory with --backup-dir, then continue with --resume.`,
						{cause: error},
					)
				: new UserError(`Writing the backup file ${partial} failed (${error.code ?? error.message}); the partial file was removed, so no backup exists. Fix the cause and run the backup again.`, {cause: error});

		// Ends pg_dump on the caller's signal, and when our own reads in its snapshot fail.
		const stop = new AbortController();
		const onAbort = () => stop.abort();
		if (options.signal?.aborted) stop.abort();
		else options.signal?.addEventListener('abort', onAbort, {once: true});
		let hasher: GrowingFileHash | undefined;
		try {
			await chmod(partial, 0o600);
			const snapshot = await exportSnapshot(client, lockWaitTimeoutMs);
			const args = pgDumpArgs({format, compression, lockWaitTimeoutMs, file: partial, noSync: true, snapshot, schemas: options.schemas});
			const timer = setInterval(() => report('dumping'), options.progressIntervalMs ?? 300);
			// Table lines that arrive before the catalog sizes (pg_dump reads its catalog first: they do not, in practice).
			const early: Array<readonly [string, number, number]> = [];
			let result;
			let sizesError: unknown;
			let counts: Promise<TableCount[]> = Promise.resolve([]);
			try {
				// pg_dump starts first: its start-up (a wrapper script, connecting, reading the catalog) overlaps our reads below.
				const child = runChild({
					file: pgDump.path,
					args,
					env: {...target.childEnv(), ...pgDump.env, PGAPPNAME: uniqueAppName('runbook-pg_dump')},
					installHint: POSTGRES_CLIENT_HINT,
					signal: stop.signal,
					onSpawn: options.onSpawn,
					// An orphaned pg_dump writes a file that is discarded anyway: end it.
					track: {resources, purpose: 'pg_dump of the backup', onOrphan: 'end', server: target.display, via: 'target', ...item},
					tailLines: 40,
					onLine: (line) => {
						const text = clean(line.line);
						if (OBJECT_LINE.test(text)) objects += 1;
						if (isTableLine(text)) {
							if (tracker) tracker.onLine(text, size(), Date.now());
							else early.push([text, size(), Date.now()]);
						}
						lastLine = text;
						options.onLine?.({stream: line.stream, line: text});
					},
				});
				// The file is hashed as pg_dump writes it, so the checksum is ready when pg_dump ends. The hashing thread
				// starts after pg_dump (a thread's start is ~10 ms of a core): it follows the file from its first byte anyway.
				hasher = new GrowingFileHash(handle, format === 'custom');
				hasher.follow(HASH_INTERVAL_MS);
				// Before any table finishes, compressed output is guessed at 0.3 file bytes per catalog byte (MEASUREMENTS: 1 GB → 248 MB at -Z1).
				const prior = format === 'plain' || compression === 0 ? 1 : 0.3;
				tableSizesWith(client, options.schemas).then(
					(sizes) => {
						tracker = new DumpProgressTracker(sizes, prior);
						for (const [text, at, now] of early) tracker.onLine(text, at, now);
					},
					(error: unknown) => {
						// Our snapshot's reads failed (a lock timeout): the counts would too, so pg_dump stops now.
						sizesError = error;
						stop.abort();
					},
				);
				if (options.countRows ?? true) counts = countRowsWith(client, options.schemas);
				// Avoid an unhandled rejection while the dump runs; the error is rethrown when awaited.
				counts.catch(() => undefined);
				result = await child;
			} finally {
				clearInterval(timer);
			}
			if (sizesError) throw sizesError;
			const tables = await counts;
			await client.query('COMMIT');
			if (options.signal?.aborted) {
				throw new UserError(`The backup of ${target.display} was cancelled; the partial file was removed.`);
			}
			if (result.exitCode !== 0) {
				const stderr = result.tail.filter((l) => l.stream === 'stderr').map((l) => clean(l.line));
				// pg_dump's own words for a full disk: "could not write to output file: No space left on device".
				if (stderr.some((l) => /No space left on device/.test(l))) throw writeFailure(Object.assign(new Error('No space left on device'), {code: 'ENOSPC'}));
				const connection = childConnectionFailure(target, stderr);
				if (connection) throw new UserError(`pg_dump could not connect, so no backup exists. ${connection.message}`);
				throw new UserError(
					`pg_dump of ${target.display} failed with exit code ${result.exitCode}${result.signal ? ` (${result.signal})` : ''}; the partial file was removed, no backup exists. Its last lines were:\n${stderr.slice(-12).join('\n')}\nFix the cause above and run the backup again.`,
				);
			}
			report('checksum');
			const {sha256, how: checksum} = await hasher.finish(size());
			// On disk before it gets its final name: the data, then the directory entry.
			await handle.sync().catch((error: unknown) => {
				throw writeFailure(error as NodeJS.ErrnoException);
			});
			await closeHandle();
			fileResource = resources.register({kind: 'file', name: file, purpose: 'finished backup file, not yet recorded in the state', ...item});
			await link(partial, file);
			linked = true;
			await unlink(partial);
			partialResource.release('renamed to the finished file');
			await fsyncPath(dir);
			report('done');
			const ended = Date.now();
			return {
				file,
				format,
				compression,
				bytes,
				sha256,
				durationMs: ended - started,
				objects,
				startedAt: new Date(started).toISOString(),
				endedAt: new Date(ended).toISOString(),
				serverVersion: server.text,
				clientVersion: pgDump.version.text,
				binary: pgDump.path,
				args: args.map(clean),
				tables,
				checksum,
				resource: fileResource,
			};
		} catch (error) {
			// No read of the hash may still be on the descriptor when it closes.
			await hasher?.stop();
			await closeHandle().catch(() => undefined);
			await rm(partial, {force: true});
			partialResource.release('removed (the backup failed)');
			if (linked) await rm(file, {force: true}).catch(() => undefined);
			fileResource?.release('removed (the backup failed)');
			if (error instanceof UserError) throw error;
			throw new UserError(`The backup of ${target.display} failed: ${clean(errorMessage(error))}. No backup file was kept; fix the cause and run it again.`, {cause: error});
		} finally {
			options.signal?.removeEventListener('abort', onAbort);
		}
	});
}
