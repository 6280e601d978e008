/**
 * Per-statement timing of a migration, measured by the server itself.
 *
 * The rehearsal server runs with `log_line_prefix = '%m [%p] <%a> %e '` and
 * `log_timezone = UTC`, and each migration's psql session sets
 * `log_min_duration_statement = 0` (PGOPTIONS, that session only), so the
 * server writes one `duration: … ms  statement: …` entry per statement psql
 * sends, with its end time, its backend pid and its application_name. psql
 * sends every statement of a file separately, so this is the exact execution
 * time of each statement (without psql's own round trip), for the statements
 * of the file alone: the runbook's guard and ledger statements around it, and
 * psql's BEGIN/COMMIT, are told apart by their text.
 */
import {readFile} from 'node:fs/promises';

/** The server flags that make the log readable here. */
export const STATEMENT_LOG_FLAGS = ['-c', 'log_line_prefix=%m [%p] <%a> %e ', '-c', 'log_timezone=UTC'] as const;

export type LoggedStatement = {
	readonly pid: number;
	readonly applicationName: string;
	/** When the statement finished (the entry's time stamp), epoch ms. */
	readonly endedAtMs: number;
	readonly durationMs: number;
	readonly text: string;
};

const ENTRY = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) UTC \[(\d+)\] <([^>]*)> (\w{5}) (\w+):\s+(.*)$/;
const DURATION = /^duration: ([\d.]+) ms\s+statement: ([\s\S]*)$/;

/** Every `duration … statement` entry of the log for one application_name, in log order. */
export function parseStatementLog(text: string, applicationName: string): LoggedStatement[] {
	const out: LoggedStatement[] = [];
	let current: {head: RegExpExecArray; body: string[]} | undefined;
	const flush = () => {
		if (!current) return;
		const [, stamp, pid, app, , severity, first] = current.head;
		if (app === applicationName && severity === 'LOG') {
			const message = [first!, ...current.body].join('\n');
			const d = DURATION.exec(message);
			if (d) out.push({pid: Number(pid), applicationName: app, endedAtMs: Date.parse(`${stamp!.replace(' ', 'T')}Z`), durationMs: Number(d[1]), text: d[2]!.trim()});
		}
		current = undefined;
	};
	for (const line of text.split('\n')) {
		const head = ENTRY.exec(line);
		if (head) {
			flush();
			current = {head, body: []};
		} else if (current && line.startsWith('\t')) {
			current.body.push(line.slice(1));
		} else {
			flush();
		}
	}
	flush();
	return out;
}

/** Comments stripped and whitespace collapsed, for telling which file a statement came from. */
export function normalizeSql(text: string): string {
	return text
		.replace(/--[^\n]*/g, ' ')
		.replace(/\/\*[\s\S]*?\*\//g, ' ')
		.replace(/\s+/g, ' ')
		.trim();
}

export type StatementRole = 'migration' | 'wrapper' | 'transaction';

/**
 * Which part of the psql session a statement belongs to: the migration file
 * (its text is in the file), BEGIN/COMMIT, or else the runbook's guard and
 * ledger. A statement of the file that psql rewrote (a psql variable) is
 * found by position: between the file's first and last statements.
 */
export function classifyStatement(text: string, migrationSql: string): StatementRole {
	const n = normalizeSql(text);
	if (/^(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)$/i.test(n.replace(/;$/, ''))) return 'transaction';
	const migration = normalizeSql(migrationSql);
	if (n.length > 0 && migration.includes(n.replace(/;$/, ''))) return 'migration';
	// The guard and ledger statements reach the server with their psql variables substituted: never found verbatim.
	return 'wrapper';
}

/**
 * Waits until the log holds the session's COMMIT (or ROLLBACK) entry — the
 * server writes its log asynchronously to our pipe — then returns the entries.
 */
export async function readSessionStatements(logFile: string, applicationName: string, timeoutMs = 3000): Promise<LoggedStatement[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const text = await readFile(logFile, 'utf8').catch(() => '');
		const entries = parseStatementLog(text, applicationName);
		const last = entries.at(-1);
		if ((last && /^(COMMIT|ROLLBACK)/i.test(last.text)) || Date.now() > deadline) return entries;
		await new Promise((r) => setTimeout(r, 50));
	}
}
