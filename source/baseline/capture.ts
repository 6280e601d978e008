/**
 * Captures a performance baseline: each query run as
 * `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON)` a few times to warm up,
 * then `runs` times measured.
 *
 * Parameters are bound through the extended protocol (EXPLAIN accepts `$n`
 * there), never spliced into the text. Every query runs inside
 * `BEGIN READ ONLY … ROLLBACK`, so a query added by a plan file can never
 * change data even though EXPLAIN ANALYZE executes it. With `appRole` the
 * transaction first does `SET LOCAL ROLE` (identifier quoted by the server with
 * format('%I')): owners and superusers bypass row-level security, so a
 * baseline taken as them cannot show what the policies cost.
 */
import {createHash} from 'node:crypto';
import type pg from 'pg';
import {connect} from '../db/connect.js';
import type {ClientBase, QueryConfig, QueryResult, QueryResultRow} from 'pg';
import type {Target} from '../db/target.js';
import {redact} from '../db/target.js';
import {UserError, errorMessage} from '../errors.js';
import {DEFAULT_BASELINE_QUERIES, placeholderCount, type BaselineParam, type BaselineQuery} from './queries.js';
import {summariseExplain, type ExplainSummary} from './plan-summary.js';
import {round3, summarise} from './stats.js';
import type {BaselineLabel, BaselineResult, ParamRecord, QueryBaseline, RanAs, RlsBypass} from './result.js';

export const MIN_RUNS = 7;

export type CaptureProgress = {
	readonly queryId: string;
	readonly phase: 'warmup' | 'run';
	/** 1-based within the phase. */
	readonly run: number;
	readonly of: number;
};

export type CaptureOptions = {
	/** Where to connect (a client of our own, closed at the end)… */
	readonly target?: Target;
	/** …or an open client to use (left open). One of the two is required. */
	readonly client?: ClientBase;
	/** Default: the plan's three queries. */
	readonly queries?: readonly BaselineQuery[];
	/** Run the queries as this role (SET LOCAL ROLE), so RLS applies as it does to the application. */
	readonly appRole?: string;
	/** Unmeasured runs per query first (default 2). */
	readonly warmups?: number;
	/** Measured runs per query (default and minimum 7). */
	readonly runs?: number;
	readonly label: BaselineLabel;
	/** Per statement (default 60 s): a runaway query must not hold the window. */
	readonly statementTimeoutMs?: number;
	readonly onProgress?: (progress: CaptureProgress) => void;
	readonly signal?: AbortSignal;
};

type Bound = {readonly values: unknown[]; readonly records: ParamRecord[]};

type ExtendedQuery = QueryConfig & {queryMode: 'extended'; rowMode?: 'array'};

/** Single statement only: the extended protocol refuses "a; b". */
async function extended<R extends QueryResultRow = QueryResultRow>(
	client: ClientBase,
	text: string,
	values: unknown[] = [],
	rowMode?: 'array',
): Promise<QueryResult<R>> {
	const config: ExtendedQuery = {text, values, queryMode: 'extended', ...(rowMode === undefined ? {} : {rowMode})};
	return client.query<R>(config);
}

function validate(options: CaptureOptions): {warmups: number; runs: number; queries: readonly BaselineQuery[]} {
	const warmups = options.warmups ?? 2;
	const runs = options.runs ?? MIN_RUNS;
	const queries = options.queries ?? DEFAULT_BASELINE_QUERIES;
	const problems: string[] = [];
	if (!Number.isInteger(runs) || runs < MIN_RUNS) problems.push(`runs is \`${runs}\` but must be a whole number of at least ${MIN_RUNS} (fewer runs cannot separate a change from noise)`);
	if (!Number.isInteger(warmups) || warmups < 0) problems.push(`warmups is \`${warmups}\` but must be a whole number of at least 0`);
	if (queries.length === 0) problems.push('the list of queries is empty');
	const seen = new Set<string>();
	for (const query of queries) {
		if (seen.has(query.id)) problems.push(`query id \`${query.id}\` appears twice`);
		seen.add(query.id);
		const needed = placeholderCount(query.sql);
		if (needed !== query.params.length) {
			problems.push(`query \`${query.id}\` uses ${needed} placeholder(s) ($1…) but lists ${query.params.length} parameter(s)`);
		}
	}
	if (options.target === undefined && options.client === undefined) problems.push('neither a target nor a client was given');
	if (problems.length > 0) {
		throw new UserError(`The baseline cannot be captured: ${problems.join('; ')}. Fix the baseline section of the plan file (or the options) and run again.`);
	}
	return {warmups, runs, queries};
}

function displayValue(value: unknown): string {
	if (value instanceof Date) return value.toISOString();
	if (value === null || value === undefined) return 'NULL';
	const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
	return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** What a secret looks like in a result: enough to see two runs used the same value, nothing to reuse. */
export function secretFingerprint(value: unknown): string {
	return `sha256:${createHash('sha256').update(displayValue(value)).digest('hex').slice(0, 12)}…`;
}

async function readOnly<T>(client: ClientBase, timeoutMs: number, appRole: string | undefined, body: () => Promise<T>): Promise<T> {
	await client.query('BEGIN READ ONLY');
	try {
		await extended(client, `SELECT set_config('statement_timeout', $1, true)`, [String(timeoutMs)]);
		if (appRole !== undefined) {
			const {rows} = await extended<{sql: string}>(client, `SELECT format('SET LOCAL ROLE %I', $1::text) AS sql`, [appRole]);
			await client.query(rows[0]!.sql);
		}
		return await body();
	} finally {
		await client.query('ROLLBACK').catch(() => undefined);
	}
}

async function resolveParams(
	client: ClientBase,
	query: BaselineQuery,
	cache: Map<string, unknown>,
	timeoutMs: number,
	where: string,
): Promise<Bound> {
	const values: unknown[] = [];
	const records: ParamRecord[] = [];
	for (const [i, param] of query.params.entries()) {
		const looked = 'from' in param ? await lookUp(client, query, param, i + 1, cache, timeoutMs, where) : param.value;
		const empty = isNoSampleRow(looked);
		const value = empty ? looked.value : looked;
		values.push(value);
		records.push({
			index: i + 1,
			...(param.label === undefined ? {} : {label: param.label}),
			source: empty ? 'no-sample-row' : 'from' in param ? 'database' : 'given',
			display: param.secret && !empty ? secretFingerprint(value) : displayValue(value),
		});
	}
	return {values, records};
}

async function lookUp(
	client: ClientBase,
	query: BaselineQuery,
	param: Extract<BaselineParam, {from: string}>,
	index: number,
	cache: Map<string, unknown>,
	timeoutMs: number,
	where: string,
): Promise<unknown> {
	if (cache.has(param.from)) return cache.get(param.from);
	let rows: unknown[][];
	let fields: readonly {dataTypeID: number}[] = [];
	try {
		const result = await readOnly(client, timeoutMs, undefined, async () => extended<unknown[]>(client, param.from, [], 'array'));
		rows = result.rows as unknown as unknown[][];
		fields = result.fields;
	} catch (error) {
		throw new UserError(
			`Baseline query \`${query.id}\` takes $${index} from \`${param.from}\`, which failed on ${where}: ${errorMessage(error)}. Fix that SQL in the plan file, or give the value directly (params: [{value: …}]).`,
			{cause: error},
		);
	}
	const value = rows[0]?.[0];
	if (value === undefined || value === null) {
		// Thin data (an empty staging copy, the customer's empty users table): measure with a
		// value of the same type that matches nothing. The plan and its cost are still measured,
		// the same way before and after, so a plan change (an index lost) still shows.
		const type = fields[0]?.dataTypeID;
		const none = NOTHING_MATCHES[type ?? -1];
		if (none === undefined) {
			throw new UserError(
				`Baseline query \`${query.id}\` takes $${index}${param.label ? ` (${param.label})` : ''} from \`${param.from}\`, which returned no value on ${where}, and its type (oid ${type ?? 'unknown'}) has no value the runbook can use to match nothing. Give the value directly in the plan file (params: [{value: …}]).`,
			);
		}
		const placeholder: NoSampleRow = {noSampleRow: true, value: none};
		cache.set(param.from, placeholder);
		return placeholder;
	}
	cache.set(param.from, value);
	return value;
}

/** A parameter looked up in the database that found no row: `value` matches nothing. */
type NoSampleRow = {readonly noSampleRow: true; readonly value: unknown};

function isNoSampleRow(value: unknown): value is NoSampleRow {
	return typeof value === 'object' && value !== null && (value as Partial<NoSampleRow>).noSampleRow === true;
}

/** Per type oid, a value no real row holds: the nil uuid, a text no token looks like, a negative id. */
const NOTHING_MATCHES: Readonly<Record<number, unknown>> = {
	2950: '00000000-0000-0000-0000-000000000000',
	25: 'runbook:no-matching-row',
	1043: 'runbook:no-matching-row',
	20: -1,
	23: -1,
	21: -1,
};

async function explainOnce(client: ClientBase, query: BaselineQuery, values: unknown[]): Promise<ExplainSummary> {
	const result = await extended<{'QUERY PLAN': unknown}>(client, `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) ${query.sql}`, values);
	return summariseExplain(result.rows[0]?.['QUERY PLAN']);
}

function failure(query: BaselineQuery, role: string, where: string, error: unknown, secrets: readonly string[]): UserError {
	const code = (error as {code?: unknown}).code;
	const state = typeof code === 'string' ? ` (SQLSTATE ${code})` : '';
	const hint =
		code === '42501'
			? `Grant the role what the application has (USAGE on schema platform, SELECT on the tables), or capture without appRole.`
			: `Check the query in the plan file; it must be one SELECT with $1…$n placeholders.`;
	return new UserError(
		`Baseline query \`${query.id}\` failed as role ${role} on ${where}: ${redact(errorMessage(error), secrets)}${state}. ${hint}`,
		{cause: error},
	);
}

async function describeRole(client: ClientBase, appRole: string | undefined, relations: readonly string[], timeoutMs: number): Promise<RanAs> {
	return readOnly(client, timeoutMs, appRole, async () => {
		const {rows} = await extended<{role: string; session_user: string; rolsuper: boolean; rolbypassrls: boolean}>(
			client,
			`SELECT current_user AS role, session_user, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user`,
		);
		const who = rows[0];
		const rels = await extended<{relation: string; owns: boolean; enabled: boolean; forced: boolean}>(
			client,
			`SELECT format('%s.%s', n.nspname, c.relname) AS relation,
			        pg_has_role(current_user, c.relowner, 'USAGE') AS owns,
			        c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
			   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			  WHERE format('%s.%s', n.nspname, c.relname) = ANY($1::text[])
			  ORDER BY 1`,
			[[...relations]],
		);
		const owns = rels.rows.filter((r) => r.owns).map((r) => r.relation);
		const ownerBypass = rels.rows.some((r) => r.owns && !r.forced);
		const superuser = who?.rolsuper ?? false;
		const bypassRls = who?.rolbypassrls ?? false;
		const rlsBypass: RlsBypass = superuser ? 'superuser' : bypassRls ? 'bypassrls' : ownerBypass ? 'owner' : null;
		return {
			role: who?.role ?? appRole ?? '?',
			sessionUser: who?.session_user ?? '?',
			viaSetRole: appRole !== undefined,
			superuser,
			bypassRls,
			ownsRelations: owns,
			rlsEnabledRelations: rels.rows.filter((r) => r.enabled).map((r) => r.relation),
			rlsBypass,
		};
	});
}

async function roleExists(client: ClientBase, role: string): Promise<boolean> {
	const {rows} = await extended(client, `SELECT 1 FROM pg_roles WHERE rolname = $1`, [role]);
	return rows.length > 0;
}

export async function captureBaseline(options: CaptureOptions): Promise<BaselineResult> {
	const {warmups, runs, queries} = validate(options);
	const timeoutMs = options.statementTimeoutMs ?? 60_000;
	const started = Date.now();
	const secrets = options.target?.secrets ?? [];
	let own: pg.Client | undefined;
	let client: ClientBase;
	if (options.client !== undefined) {
		client = options.client;
	} else {
		const target = options.target!;
		own = await connect(target, 'runbook-baseline');
		client = own;
	}
	try {
		const info = await extended<{version: string; num: string; db: string; session_user: string}>(
			client,
			`SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, current_database() AS db, session_user`,
		);
		const server = info.rows[0]!;
		const where = options.target?.display ?? server.db;
		if (options.appRole !== undefined && !(await roleExists(client, options.appRole))) {
			throw new UserError(
				`The application role \`${options.appRole}\` given for the "${options.label}" baseline does not exist on ${where}. Give the role the application connects as (NOSUPERUSER, NOBYPASSRLS, not the table owner), or leave it out to measure as ${server.session_user}.`,
			);
		}
		const cache = new Map<string, unknown>();
		const results: QueryBaseline[] = [];
		const role = options.appRole ?? server.session_user;
		for (const query of queries) {
			options.signal?.throwIfAborted();
			const bound = await resolveParams(client, query, cache, timeoutMs, where);
			const measured: ExplainSummary[] = [];
			try {
				await readOnly(client, timeoutMs, options.appRole, async () => {
					for (let i = 1; i <= warmups; i++) {
						options.signal?.throwIfAborted();
						await explainOnce(client, query, bound.values);
						options.onProgress?.({queryId: query.id, phase: 'warmup', run: i, of: warmups});
					}
					for (let i = 1; i <= runs; i++) {
						options.signal?.throwIfAborted();
						measured.push(await explainOnce(client, query, bound.values));
						options.onProgress?.({queryId: query.id, phase: 'run', run: i, of: runs});
					}
				});
			} catch (error) {
				if (error instanceof UserError || options.signal?.aborted) throw error;
				throw failure(query, role, where, error, secrets);
			}
			results.push(toBaseline(query, bound.records, measured));
		}
		const relations = [...new Set(results.flatMap((q) => q.scans.map((s) => s.relation)))].sort();
		const ranAs = await describeRole(client, options.appRole, relations, timeoutMs);
		const warnings: string[] = [];
		for (const q of results) {
			for (const p of q.params.filter((r) => r.source === 'no-sample-row')) {
				warnings.push(
					`${q.id}: the database has no row to take $${p.index}${p.label ? ` (${p.label})` : ''} from, so it was measured with ${p.display}, which matches nothing: the plan and its cost are measured (and compared before/after), the rows it returns are not.`,
				);
			}
		}
		if (ranAs.rlsBypass !== null) {
			const why = ranAs.rlsBypass === 'owner' ? `owns ${ranAs.ownsRelations.join(', ')}` : `is ${ranAs.rlsBypass === 'superuser' ? 'a superuser' : 'BYPASSRLS'}`;
			warnings.push(
				`The "${options.label}" baseline ran as ${ranAs.role}, which ${why} and so bypasses row-level security: it cannot show what the policies cost the application. Capture it as the application role (appRole) for a meaningful comparison.`,
			);
		}
		return {
			label: options.label,
			capturedAt: new Date(started).toISOString(),
			durationMs: Date.now() - started,
			serverVersion: server.version,
			serverVersionNum: Number(server.num),
			database: server.db,
			ranAs,
			warmups,
			runs,
			queries: results,
			warnings,
		};
	} finally {
		if (own !== undefined) await own.end().catch(() => undefined);
	}
}

function toBaseline(query: BaselineQuery, params: ParamRecord[], measured: readonly ExplainSummary[]): QueryBaseline {
	const times = measured.map((m) => round3(m.executionMs));
	const stats = summarise(times);
	const planning = summarise(measured.map((m) => m.planningMs));
	const last = measured[measured.length - 1]!;
	return {
		id: query.id,
		title: query.title,
		sql: query.sql,
		params,
		executionMs: times,
		medianMs: stats.median,
		p95Ms: stats.p95,
		minMs: stats.min,
		maxMs: stats.max,
		iqrMs: stats.iqr,
		planningMedianMs: planning.median,
		rows: last.rows,
		sharedHit: measured.reduce((sum, m) => sum + m.sharedHit, 0),
		sharedRead: measured.reduce((sum, m) => sum + m.sharedRead, 0),
		planNodes: last.nodes,
		planShape: last.shape,
		scans: last.scans,
	};
}
