/**
 * Slow statements from pg_stat_statements, the plan's week-1 "slow queries"
 * check, compared with the baseline when one is given.
 *
 * pg_stat_statements needs two things: the library in
 * `shared_preload_libraries` (a server restart) and `CREATE EXTENSION` in the
 * database. Each missing piece gets its own message. Its timing column is
 * `mean_exec_time` from PostgreSQL 13 and `mean_time` before.
 *
 * It records only statements that completed: a statement that failed (for
 * example with "permission denied") never appears in it, which is why the
 * plan's `WHERE query LIKE '%permission denied%'` can never find anything.
 */
import type {ClientBase} from 'pg';
import {redact} from '../db/target.js';
import {errorMessage} from '../errors.js';
import type {BaselineResult} from '../baseline/result.js';

export const FAILED_STATEMENTS_NOTE =
	'pg_stat_statements records only statements that completed: failed statements (permission denied, RLS violations) never appear in it. Permission errors are counted from the server log instead.';

export type StatementsStatus = 'ok' | 'slow' | 'not-installed' | 'not-preloaded' | 'unavailable';

export type SlowStatement = {
	readonly queryId: string | null;
	/** Normalized text (constants are $n), whitespace collapsed, truncated, secrets masked. */
	readonly query: string;
	readonly calls: number;
	readonly meanMs: number;
	readonly totalMs: number;
	readonly rows: number;
	/** The baseline query with the same text, when there is one. */
	readonly baselineId?: string;
	readonly baselineMedianMs?: number;
};

export type BaselineMatch = {
	readonly id: string;
	readonly title: string;
	readonly baselineMedianMs: number;
	/** Mean over all recorded calls with the same text; null when the application has not run it since the reset. */
	readonly meanMs: number | null;
	readonly calls: number;
	/** meanMs / baselineMedianMs. */
	readonly ratio: number | null;
};

export type StatementsSection = {
	readonly status: StatementsStatus;
	readonly message: string;
	readonly column: 'mean_exec_time' | 'mean_time' | null;
	readonly minMeanMs: number;
	readonly slow: readonly SlowStatement[];
	readonly baseline: readonly BaselineMatch[];
	/** The role cannot see other roles' query texts (needs pg_read_all_stats). */
	readonly restrictedText: boolean;
	readonly note: string;
};

/** The comparison key for a statement text: lower case, whitespace collapsed, no trailing semicolon. */
export function normalizeSql(sql: string): string {
	return sql.toLowerCase().replace(/\s+/g, ' ').replace(/^[\s;]+|[\s;]+$/g, '');
}

const NORMALIZE_SQL = `btrim(regexp_replace(lower(s.query), '\\s+', ' ', 'g'), ' ;')`;

export function cleanStatementText(text: string, secrets: readonly string[], max = 160): string {
	const masked = redact(text.replace(/\s+/g, ' ').trim(), secrets).replace(/(password\s*=?\s*)'[^']*'/gi, "$1'****'");
	return masked.length > max ? `${masked.slice(0, max - 1)}…` : masked;
}

type Options = {
	readonly minMeanMs: number;
	readonly limit: number;
	readonly serverVersionNum: number;
	readonly baseline?: BaselineResult;
	readonly secrets: readonly string[];
};

function empty(status: StatementsStatus, message: string, options: Options, column: StatementsSection['column'] = null): StatementsSection {
	return {status, message, column, minMeanMs: options.minMeanMs, slow: [], baseline: [], restrictedText: false, note: FAILED_STATEMENTS_NOTE};
}

export async function slowStatements(client: ClientBase, options: Options): Promise<StatementsSection> {
	const setup = await client.query<{preload: string; schema: string | null}>(
		`SELECT current_setting('shared_preload_libraries') AS preload,
		        (SELECT format('%I', n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements') AS schema`,
	);
	const preloaded = (setup.rows[0]?.preload ?? '')
		.split(',')
		.map((lib) => lib.trim().replace(/^"|"$/g, ''))
		.some((lib) => lib === 'pg_stat_statements' || lib.endsWith('/pg_stat_statements'));
	const schema = setup.rows[0]?.schema ?? null;
	const restart = `add pg_stat_statements to shared_preload_libraries in postgresql.conf (or the provider's parameter group) and restart the server`;
	if (schema === null) {
		return empty(
			'not-installed',
			preloaded
				? 'The pg_stat_statements extension is not installed in this database: run `CREATE EXTENSION pg_stat_statements;` as a superuser (or a role allowed to create it), then check again.'
				: `The pg_stat_statements extension is not installed in this database and its library is not preloaded: ${restart}, then run \`CREATE EXTENSION pg_stat_statements;\` in this database.`,
			options,
		);
	}
	const modern = options.serverVersionNum >= 130_000;
	const column = modern ? 'mean_exec_time' : 'mean_time';
	if (!preloaded) {
		return empty('not-preloaded', `The pg_stat_statements extension exists but its library is not loaded: ${restart}. Until then it records nothing.`, options, column);
	}
	const mean = modern ? 's.mean_exec_time' : 's.mean_time';
	const total = modern ? 's.total_exec_time' : 's.total_time';
	const view = `${schema}.pg_stat_statements`;
	const dbFilter = `s.dbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())`;
	try {
		const slow = await client.query<{queryid: string | null; query: string | null; calls: string; mean: number; total: number; rows: string}>(
			`SELECT s.queryid::text AS queryid, s.query, s.calls::text AS calls, ${mean} AS mean, ${total} AS total, s.rows::text AS rows
			   FROM ${view} s
			  WHERE ${dbFilter} AND ${mean} > $1
			  ORDER BY ${mean} DESC
			  LIMIT $2`,
			[options.minMeanMs, options.limit],
		);
		const baselineQueries = options.baseline?.queries ?? [];
		const byText = new Map(baselineQueries.map((q) => [normalizeSql(q.sql), q]));
		let restrictedText = false;
		const statements: SlowStatement[] = slow.rows.map((row) => {
			const text = row.query ?? '';
			if (text === '<insufficient privilege>') restrictedText = true;
			const match = byText.get(normalizeSql(text));
			return {
				queryId: row.queryid,
				query: cleanStatementText(text, options.secrets),
				calls: Number(row.calls),
				meanMs: round(row.mean),
				totalMs: round(row.total),
				rows: Number(row.rows),
				...(match === undefined ? {} : {baselineId: match.id, baselineMedianMs: match.medianMs}),
			};
		});
		const matches: BaselineMatch[] = [];
		if (baselineQueries.length > 0) {
			const found = await client.query<{text: string; calls: string; total: number}>(
				`SELECT ${NORMALIZE_SQL} AS text, sum(s.calls)::text AS calls, sum(${total}) AS total
				   FROM ${view} s
				  WHERE ${dbFilter} AND ${NORMALIZE_SQL} = ANY($1::text[])
				  GROUP BY 1`,
				[[...byText.keys()]],
			);
			const stats = new Map(found.rows.map((r) => [r.text, r]));
			for (const q of baselineQueries) {
				const hit = stats.get(normalizeSql(q.sql));
				const calls = hit === undefined ? 0 : Number(hit.calls);
				const meanMs = hit === undefined || calls === 0 ? null : round(hit.total / calls);
				matches.push({
					id: q.id,
					title: q.title,
					baselineMedianMs: q.medianMs,
					meanMs,
					calls,
					ratio: meanMs === null || q.medianMs <= 0 ? null : Math.round((meanMs / q.medianMs) * 100) / 100,
				});
			}
		}
		const count = statements.length;
		return {
			status: count > 0 ? 'slow' : 'ok',
			message:
				count > 0
					? `${count} statement(s) in this database average more than ${options.minMeanMs} ms (${column}).`
					: `No statement in this database averages more than ${options.minMeanMs} ms (${column}).`,
			column,
			minMeanMs: options.minMeanMs,
			slow: statements,
			baseline: matches,
			restrictedText,
			note: FAILED_STATEMENTS_NOTE,
		};
	} catch (error) {
		const code = (error as {code?: unknown}).code;
		if (code === '55000') return empty('not-preloaded', `pg_stat_statements cannot be read: ${errorMessage(error)}. ${restart[0]!.toUpperCase()}${restart.slice(1)}.`, options, column);
		if (code === '42501') {
			return empty('unavailable', `The monitoring role may not read pg_stat_statements (${errorMessage(error)}). Grant it pg_read_all_stats or run monitor as a role that has it.`, options, column);
		}
		return empty('unavailable', `Reading pg_stat_statements failed: ${redact(errorMessage(error), options.secrets)}.`, options, column);
	}
}

function round(ms: number): number {
	return Math.round(ms * 1000) / 1000;
}
