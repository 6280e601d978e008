/**
 * Is this backup file a complete, intact pg_dump of the tables we expect?
 * Each check records its evidence; `reason` is the first failure in one line.
 *
 * - plain SQL: one streamed pass hashes the file and scans it line by line for
 *   `CREATE TABLE` and `COPY` of each expected table and pg_dump's closing
 *   `-- PostgreSQL database dump complete`.
 * - custom archive: the file is hashed in a stream, its table of contents is
 *   read with `pg_restore --list`, and `pg_restore -f /dev/null` decompresses
 *   every data block, so a truncated or corrupted archive fails.
 *
 * Memory is constant: chunks are hashed and scanned as they are read, and a
 * line longer than 64 KiB keeps only its first bytes (enough to recognise it).
 */
import {open, stat} from 'node:fs/promises';
import {createHash} from 'node:crypto';
import {runChild, POSTGRES_CLIENT_HINT} from '../proc/child.js';
import {firstFailure, type BackupCheck} from './check.js';
import {humanBytes} from './human-bytes.js';
import {sha256File} from './sha256-file.js';
import {forEachLine} from './line-stream.js';
import {COPY_LINE} from './copy-counter.js';
import {unquoteQualified} from './qualified-name.js';
import {pgRestoreFor} from './tools.js';

export type DetectedFormat = 'custom' | 'plain' | 'unknown';

export type VerifyOptions = {
	readonly expectedSha256?: string;
	/** Smallest plausible size (default 100 KiB = 102 400 bytes, the plan's "> 100KB"). */
	readonly minBytes?: number;
	/**
	 * The size of the database's own data (table and TOAST pages of its user tables), when
	 * known. A database holding less than the floor cannot give a dump above it: the size check
	 * then passes, showing both figures, as long as the dump is not empty (the test restore is
	 * what proves completeness).
	 */
	readonly dataBytes?: number;
	/** Tables that must be defined (and have data) in the backup, as `schema.table`. */
	readonly expectTables?: readonly string[];
	readonly pgRestorePath?: string;
	readonly pathEnv?: string;
	/** The run's children's environment (its target's), when there is a run: which pg_restore Debian's wrapper would pick (tools.ts `pgRestoreFor`). */
	readonly env?: Readonly<Record<string, string | undefined>>;
	readonly signal?: AbortSignal;
};

export type VerifyResult = {
	readonly ok: boolean;
	readonly format: DetectedFormat;
	readonly checks: readonly BackupCheck[];
	/** `name: detail` of the first failed check. */
	readonly reason?: string;
	readonly bytes: number;
	/** The file's sha256, when it could be read. */
	readonly sha256?: string;
};

export const DEFAULT_MIN_BYTES = 100 * 1024;
export const PLAIN_COMPLETE_MARKER = '-- PostgreSQL database dump complete';
const CUSTOM_MAGIC = 'PGDMP';

/** Reads the first bytes: `PGDMP` is a custom archive; pg_dump's SQL header (or any SQL comment/statement start) is plain. */
export async function detectFormat(file: string): Promise<DetectedFormat> {
	const handle = await open(file, 'r');
	try {
		const buffer = Buffer.alloc(4096);
		const {bytesRead} = await handle.read(buffer, 0, buffer.length, 0);
		const head = buffer.subarray(0, bytesRead);
		if (head.subarray(0, 5).toString('latin1') === CUSTOM_MAGIC) return 'custom';
		const text = head.toString('utf8');
		if (/^--\s*\n--\s*PostgreSQL database dump/.test(text) || text.includes('-- PostgreSQL database dump')) return 'plain';
		return 'unknown';
	} finally {
		await handle.close();
	}
}

/** Expected names are compared unquoted: `platform.projects`. */
function normalize(name: string): string {
	return unquoteQualified(name.trim());
}

type PlainScan = {sha256: string; defined: Set<string>; data: Set<string>; complete: boolean};

const CREATE_TABLE = /^CREATE (?:UNLOGGED )?TABLE ((?:"(?:[^"]|"")*"|[^\s"])+) \(/;

/** One streamed pass over a plain dump: hash, table definitions, COPY blocks, completion marker. */
async function scanPlain(file: string): Promise<PlainScan> {
	const hash = createHash('sha256');
	const defined = new Set<string>();
	const data = new Set<string>();
	let complete = false;
	let inCopy = false;
	await forEachLine(
		file,
		(line) => {
			if (inCopy) {
				if (line === '\\.') inCopy = false;
				return;
			}
			if (line === PLAIN_COMPLETE_MARKER) {
				complete = true;
				return;
			}
			const created = CREATE_TABLE.exec(line);
			if (created?.[1]) defined.add(unquoteQualified(created[1]));
			const copy = COPY_LINE.exec(line);
			if (copy?.[1]) {
				data.add(unquoteQualified(copy[1]));
				inCopy = true;
			}
		},
		(chunk) => hash.update(chunk),
	);
	return {sha256: hash.digest('hex'), defined, data, complete};
}

type ArchiveToc = {defined: Set<string>; data: Set<string>; exitCode: number; error: string};

/** `pg_restore --list`: lines like `218; 1259 16395 TABLE platform orgs postgres`. */
export function parseTocLine(line: string): {kind: 'TABLE' | 'TABLE DATA'; table: string} | undefined {
	const match = /^\d+; \d+ \d+ (TABLE DATA|TABLE) (\S+) (\S+) /.exec(line + ' ');
	if (!match?.[1] || !match[2] || !match[3]) return undefined;
	return {kind: match[1] as 'TABLE' | 'TABLE DATA', table: `${match[2]}.${match[3]}`};
}

type PgRestore = Awaited<ReturnType<typeof pgRestoreFor>>;

async function readToc(pgRestore: PgRestore, file: string, signal?: AbortSignal): Promise<ArchiveToc> {
	const defined = new Set<string>();
	const data = new Set<string>();
	const result = await runChild({
		file: pgRestore.file,
		...(pgRestore.env ? {env: pgRestore.env} : {}),
		args: ['--list', file],
		installHint: POSTGRES_CLIENT_HINT,
		signal,
		tailLines: 10,
		onLine: ({stream, line}) => {
			if (stream !== 'stdout') return;
			const entry = parseTocLine(line);
			if (!entry) return;
			(entry.kind === 'TABLE' ? defined : data).add(entry.table);
		},
	});
	const error = result.tail.filter((l) => l.stream === 'stderr').map((l) => l.line).join(' ');
	return {defined, data, exitCode: result.exitCode, error};
}

/** `pg_restore -f /dev/null file`: reads (and decompresses) the whole archive. */
async function readWholeArchive(pgRestore: PgRestore, file: string, signal?: AbortSignal): Promise<{exitCode: number; error: string}> {
	const result = await runChild({file: pgRestore.file, ...(pgRestore.env ? {env: pgRestore.env} : {}), args: ['--file=/dev/null', file], installHint: POSTGRES_CLIENT_HINT, signal, tailLines: 10});
	const error = result.tail.filter((l) => l.stream === 'stderr').map((l) => l.line).join(' ');
	return {exitCode: result.exitCode, error};
}

function tablesCheck(expected: readonly string[], defined: Set<string>, format: 'custom' | 'plain'): BackupCheck {
	const missing = expected.filter((t) => !defined.has(t));
	const how = format === 'plain' ? 'CREATE TABLE' : 'TABLE entry in pg_restore --list';
	if (missing.length === 0) {
		return {name: 'tables', ok: true, detail: expected.length > 0 ? `all ${expected.length} expected tables are defined (${how})` : `${defined.size} tables defined (${how}); no list to compare with`};
	}
	return {name: 'tables', ok: false, detail: `${missing.length} of ${expected.length} expected tables have no ${how}: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`};
}

function dataCheck(expected: readonly string[], data: Set<string>, format: 'custom' | 'plain'): BackupCheck {
	const missing = expected.filter((t) => !data.has(t));
	const how = format === 'plain' ? 'COPY block' : 'TABLE DATA entry';
	if (missing.length === 0) return {name: 'data', ok: true, detail: expected.length > 0 ? `every expected table has a ${how}` : `${data.size} tables with a ${how}`};
	return {name: 'data', ok: false, detail: `${missing.length} expected tables have no ${how}: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`};
}

function checksumCheck(expected: string | undefined, actual: string | undefined): BackupCheck | undefined {
	if (expected === undefined) return undefined;
	if (actual === undefined) return {name: 'checksum', ok: false, detail: 'the file could not be read to compute its sha256'};
	const ok = actual.toLowerCase() === expected.toLowerCase();
	return {
		name: 'checksum',
		ok,
		detail: ok ? `sha256 ${actual} matches` : `sha256 is ${actual}, but ${expected} was recorded when the backup was taken: the file changed since`,
	};
}

function done(format: DetectedFormat, checks: BackupCheck[], bytes: number, sha256?: string): VerifyResult {
	const reason = firstFailure(checks);
	return {ok: reason === undefined, format, checks, bytes, ...(reason === undefined ? {} : {reason}), ...(sha256 === undefined ? {} : {sha256})};
}

export async function verifyBackup(file: string, options: VerifyOptions = {}): Promise<VerifyResult> {
	const checks: BackupCheck[] = [];
	const minBytes = options.minBytes ?? DEFAULT_MIN_BYTES;
	const expected = (options.expectTables ?? []).map(normalize);

	let bytes = 0;
	try {
		const info = await stat(file);
		if (!info.isFile()) {
			checks.push({name: 'exists', ok: false, detail: `${file} is not a regular file`});
			return done('unknown', checks, 0);
		}
		bytes = info.size;
		checks.push({name: 'exists', ok: true, detail: file});
	} catch {
		checks.push({name: 'exists', ok: false, detail: `${file} does not exist`});
		return done('unknown', checks, 0);
	}

	checks.push(sizeCheck(bytes, minBytes, options.dataBytes));

	const format = await detectFormat(file);
	if (format === 'unknown') {
		checks.push({name: 'format', ok: false, detail: `${file} starts neither with the custom archive magic PGDMP nor with pg_dump's SQL header`});
		const sha256 = await sha256File(file);
		const sum = checksumCheck(options.expectedSha256, sha256);
		if (sum) checks.push(sum);
		return done(format, checks, bytes, sha256);
	}
	checks.push({name: 'format', ok: true, detail: format === 'custom' ? 'custom archive (PGDMP)' : 'plain SQL'});

	if (format === 'plain') {
		const scan = await scanPlain(file);
		checks.push(tablesCheck(expected, scan.defined, 'plain'));
		checks.push(dataCheck(expected, scan.data, 'plain'));
		checks.push({
			name: 'complete',
			ok: scan.complete,
			detail: scan.complete ? `ends with "${PLAIN_COMPLETE_MARKER}"` : `"${PLAIN_COMPLETE_MARKER}" is missing: the dump was cut short`,
		});
		const sum = checksumCheck(options.expectedSha256, scan.sha256);
		if (sum) checks.push(sum);
		return done(format, checks, bytes, scan.sha256);
	}

	const pgRestore = await pgRestoreFor({paths: {pgRestore: options.pgRestorePath}, pathEnv: options.pathEnv, ...(options.env ? {env: options.env} : {})});
	const [sha256, toc, whole] = await Promise.all([
		sha256File(file),
		readToc(pgRestore, file, options.signal),
		readWholeArchive(pgRestore, file, options.signal),
	]);
	if (toc.exitCode !== 0) {
		checks.push({name: 'tables', ok: false, detail: `pg_restore --list could not read the table of contents (exit code ${toc.exitCode}): ${toc.error}`});
	} else {
		checks.push(tablesCheck(expected, toc.defined, 'custom'));
		checks.push(dataCheck(expected, toc.data, 'custom'));
	}
	checks.push({
		name: 'complete',
		ok: whole.exitCode === 0,
		detail: whole.exitCode === 0 ? 'pg_restore read the whole archive' : `pg_restore could not read the whole archive (exit code ${whole.exitCode}): ${whole.error}`,
	});
	const sum = checksumCheck(options.expectedSha256, sha256);
	if (sum) checks.push(sum);
	return done(format, checks, bytes, sha256);
}

/** The plan's "> 100KB", judged against what the database holds. */
export function sizeCheck(bytes: number, minBytes: number, dataBytes?: number): BackupCheck {
	const size = `${humanBytes(bytes)} (${bytes} bytes)`;
	if (bytes > minBytes) return {name: 'size', ok: true, detail: `${size} > ${humanBytes(minBytes)} (plan: > 100KB)`};
	if (dataBytes !== undefined && dataBytes < minBytes && bytes > 0) {
		return {
			name: 'size',
			ok: true,
			detail: `${size}, below the plan's ${humanBytes(minBytes)} floor, but the database's own data is only ${humanBytes(dataBytes)} (${dataBytes} bytes), less than the floor itself: judged against the data, not the plan's fixed figure; the test restore proves the dump complete`,
		};
	}
	return {
		name: 'size',
		ok: false,
		detail: `${size} is not more than the ${humanBytes(minBytes)} minimum${dataBytes !== undefined ? ` although the database holds ${humanBytes(dataBytes)} of data` : ''}: the dump is empty or cut short`,
	};
}
