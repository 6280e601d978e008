/**
 * Counts permission errors in a PostgreSQL server log, replacing the plan's
 * pg_stat_statements query (which can never see a failed statement).
 *
 * The file is streamed line by line, so a multi-gigabyte log costs constant
 * memory. A line counts when it is an ERROR or FATAL entry and either carries
 * SQLSTATE 42501 (insufficient_privilege; `%e` in log_line_prefix, the
 * state_code of csvlog/jsonlog) or the server's message text for it:
 * "permission denied for …/to …" or "new row violates row-level security
 * policy" (RLS WITH CHECK failures are 42501 as well). The operating system's
 * "Permission denied" (capital P, a file error) is not counted. A line whose
 * prefix shows a different SQLSTATE is not counted either.
 */
import {createReadStream} from 'node:fs';
import {createInterface} from 'node:readline';
import {redact} from '../db/target.js';
import {errorMessage} from '../errors.js';

export type PermissionScanStatus = 'clean' | 'errors' | 'unreadable' | 'not-given';

export type PermissionScan = {
	readonly status: PermissionScanStatus;
	readonly logFile?: string;
	readonly linesScanned: number;
	/** ERROR/FATAL entries with SQLSTATE 42501 or its message. */
	readonly count: number;
	/** "table platform.users" → count, most frequent first. */
	readonly byObject: ReadonlyArray<{readonly object: string; readonly count: number}>;
	/** Up to `sampleLimit` matching lines (secrets masked, truncated). */
	readonly samples: readonly string[];
	readonly message: string;
};

/** stderr/syslog `ERROR:`, csvlog `,ERROR,`, jsonlog `"ERROR"`. */
const SEVERITY = /(?:\b(?:ERROR|FATAL):|"(?:ERROR|FATAL)"|,(?:ERROR|FATAL),)/;
const STATE_42501 = /(?:^|[^0-9A-Z])42501(?:$|[^0-9A-Z])/;
/** A five-character SQLSTATE right before the severity (`%e ` at the end of log_line_prefix). */
const STATE_BEFORE_SEVERITY = /(?:^|\s)([0-9A-Z]{5})\s+(?:ERROR|FATAL):/;
const MESSAGE = /permission denied (?:for|to) |new row violates row-level security policy/;
const OBJECT = /permission denied for (table|relation|schema|sequence|function|procedure|view|database|column|foreign table|type|large object|language|tablespace) "?([^\s",]+)"?/;
const RLS_OBJECT = /new row violates row-level security policy(?: for table)? "([^"]+)"/;

/** Whether one log line is a permission error entry. */
export function isPermissionError(line: string): boolean {
	if (!SEVERITY.test(line)) return false;
	if (STATE_42501.test(line)) return true;
	const state = STATE_BEFORE_SEVERITY.exec(line)?.[1];
	if (state !== undefined && /\d/.test(state) && state !== '42501') return false;
	return MESSAGE.test(line);
}

function objectOf(line: string): string | undefined {
	const denied = OBJECT.exec(line);
	if (denied) return `${denied[1]!} ${denied[2]!}`;
	const rls = RLS_OBJECT.exec(line);
	if (rls) return `row-level security on ${rls[1]!}`;
	return undefined;
}

export async function scanLogForPermissionErrors(
	logFile: string | undefined,
	options: {readonly secrets?: readonly string[]; readonly sampleLimit?: number} = {},
): Promise<PermissionScan> {
	if (logFile === undefined) {
		return {
			status: 'not-given',
			linesScanned: 0,
			count: 0,
			byObject: [],
			samples: [],
			message:
				'No server log was given, so permission errors were not counted (pg_stat_statements cannot see failed statements). Pass the server log file (with log_min_error_statement = error) to count SQLSTATE 42501; the rollback and deadlock counters below are only a proxy.',
		};
	}
	const secrets = options.secrets ?? [];
	const sampleLimit = options.sampleLimit ?? 3;
	const byObject = new Map<string, number>();
	const samples: string[] = [];
	let linesScanned = 0;
	let count = 0;
	try {
		const input = createReadStream(logFile, {encoding: 'utf8'});
		const lines = createInterface({input, crlfDelay: Infinity});
		for await (const line of lines) {
			linesScanned += 1;
			// The runbook's own sessions (their application_name in a `<%a>` prefix, as the sandbox and rehearsal servers log) probe on purpose.
			if (!isPermissionError(line) || / <runbook[^>]*> /.test(line)) continue;
			count += 1;
			const object = objectOf(line);
			if (object !== undefined) byObject.set(object, (byObject.get(object) ?? 0) + 1);
			if (samples.length < sampleLimit) {
				const clean = redact(line.trim(), secrets);
				samples.push(clean.length > 200 ? `${clean.slice(0, 199)}…` : clean);
			}
		}
	} catch (error) {
		return {
			status: 'unreadable',
			logFile,
			linesScanned,
			count,
			byObject: [],
			samples: [],
			message: `The server log ${logFile} could not be read (${errorMessage(error)}). Give the path of a readable PostgreSQL log file, or leave it out to see only the rollback and deadlock counters.`,
		};
	}
	return {
		status: count === 0 ? 'clean' : 'errors',
		logFile,
		linesScanned,
		count,
		byObject: [...byObject].map(([object, n]) => ({object, count: n})).sort((a, b) => b.count - a.count || a.object.localeCompare(b.object)),
		samples,
		message:
			count === 0
				? `No permission errors (SQLSTATE 42501) in ${linesScanned} line(s) of ${logFile}.`
				: `${count} permission error(s) (SQLSTATE 42501) in ${linesScanned} line(s) of ${logFile}.`,
	};
}
