/**
 * The database pane's data: polled every 1.5 s on a connection of its own, so
 * the operator sees sessions, the longest open transaction and lock waits
 * (who blocks whom) while a migration runs — e.g. ALTER TABLE queued behind
 * an idle-in-transaction session.
 */
import type pg from 'pg';
import type {Target} from './target.js';
import {maskUrl} from './target.js';
import {connect} from './connect.js';

/** Live database activity, polled on its own connection every 1–2 s. */
export type DbActivity = {
	readonly at: string;
	readonly connected: boolean;
	readonly error?: string;
	readonly serverVersion?: string;
	readonly database?: string;
	readonly sessions?: {readonly total: number; readonly active: number; readonly idleInTransaction: number; readonly waiting: number};
	readonly longestTransaction?: {readonly pid: number; readonly seconds: number; readonly state: string; readonly query: string; readonly user: string; readonly application: string};
	readonly lockWaits: ReadonlyArray<{
		readonly pid: number;
		readonly seconds: number;
		readonly query: string;
		readonly application: string;
		readonly blockedBy: ReadonlyArray<{readonly pid: number; readonly query: string; readonly state: string; readonly transactionSeconds: number; readonly application: string}>;
	}>;
};

const SQL = `
WITH me AS (SELECT pg_backend_pid() AS pid),
sessions AS (
	SELECT a.* FROM pg_stat_activity a, me
	 WHERE a.datname = current_database() AND a.pid <> me.pid AND a.backend_type = 'client backend'
)
SELECT
	current_setting('server_version') AS server_version,
	current_database() AS database,
	(SELECT count(*) FROM sessions)::int AS total,
	(SELECT count(*) FROM sessions WHERE state = 'active')::int AS active,
	(SELECT count(*) FROM sessions WHERE state LIKE 'idle in transaction%')::int AS idle_in_tx,
	(SELECT count(*) FROM sessions WHERE wait_event_type = 'Lock')::int AS waiting,
	(SELECT json_build_object('pid', pid, 'seconds', extract(epoch FROM now() - xact_start)::float8, 'state', coalesce(state, ''),
	        'query', left(coalesce(query, ''), 300), 'user', coalesce(usename, ''), 'application', coalesce(application_name, ''))
	   FROM sessions WHERE xact_start IS NOT NULL ORDER BY xact_start LIMIT 1) AS longest,
	(SELECT coalesce(json_agg(w ORDER BY w.seconds DESC), '[]'::json) FROM (
		SELECT s.pid, extract(epoch FROM now() - coalesce(s.query_start, now()))::float8 AS seconds, left(coalesce(s.query, ''), 300) AS query,
		       coalesce(s.application_name, '') AS application,
		       (SELECT coalesce(json_agg(json_build_object('pid', b.pid, 'query', left(coalesce(b.query, ''), 300), 'state', coalesce(b.state, ''),
		                'transactionSeconds', coalesce(extract(epoch FROM now() - b.xact_start), 0)::float8, 'application', coalesce(b.application_name, ''))), '[]'::json)
		          FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(s.pid))) AS "blockedBy"
		  FROM sessions s WHERE s.wait_event_type = 'Lock' LIMIT 10) w) AS lock_waits
`;

type Row = {
	server_version: string;
	database: string;
	total: number;
	active: number;
	idle_in_tx: number;
	waiting: number;
	longest: DbActivity['longestTransaction'] | null;
	lock_waits: DbActivity['lockWaits'];
};

export async function readActivity(client: pg.ClientBase): Promise<DbActivity> {
	const {rows} = await client.query<Row>(SQL);
	const row = rows[0]!;
	const clean = (text: string) => maskUrl(text).replace(/\s+/g, ' ').trim();
	return {
		at: new Date().toISOString(),
		connected: true,
		serverVersion: row.server_version,
		database: row.database,
		sessions: {total: row.total, active: row.active, idleInTransaction: row.idle_in_tx, waiting: row.waiting},
		...(row.longest ? {longestTransaction: {...row.longest, query: clean(row.longest.query)}} : {}),
		lockWaits: row.lock_waits.map((w) => ({
			...w,
			query: clean(w.query),
			blockedBy: w.blockedBy.map((b) => ({...b, query: clean(b.query)})),
		})),
	};
}

export type ActivityPoller = {readonly stop: () => Promise<void>; readonly latest: () => DbActivity | undefined};

export function startActivityPoller(target: Target, onActivity: (activity: DbActivity) => void, intervalMs = 1500): ActivityPoller {
	let client: pg.Client | undefined;
	let stopped = false;
	let latest: DbActivity | undefined;
	let timer: NodeJS.Timeout | undefined;
	let inFlight: Promise<void> | undefined;
	const tick = async () => {
		if (stopped) return;
		try {
			client ??= await connect(target, 'runbook:activity', {connectTimeoutMs: 3000});
			if (stopped) {
				await client.end().catch(() => undefined);
				return;
			}
			latest = await readActivity(client);
		} catch (error) {
			await client?.end().catch(() => undefined);
			client = undefined;
			latest = {at: new Date().toISOString(), connected: false, error: maskUrl((error as Error).message), lockWaits: []};
		}
		if (stopped) return;
		onActivity(latest);
		timer = setTimeout(() => {
			inFlight = tick();
		}, intervalMs);
		timer.unref();
	};
	inFlight = tick();
	return {
		latest: () => latest,
		stop: async () => {
			stopped = true;
			if (timer) clearTimeout(timer);
			await inFlight?.catch(() => undefined);
			await client?.end().catch(() => undefined);
		},
	};
}
