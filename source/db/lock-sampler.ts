/**
 * Samples the relation locks one session holds, from a connection of its own,
 * at a short interval: which table, which mode, when it was first seen, when
 * it was last seen and when it was gone (the transaction ended), and whether
 * it had to wait (granted = false). The session is found by its
 * application_name (the runbook names each psql it starts).
 *
 * Locks taken inside a transaction are held until it ends, so a lock taken by
 * a statement shorter than the interval is still seen at the next sample; its
 * "held" time runs from the first sample that saw it to the first that did
 * not. Relations created inside the sampled transaction are invisible to other
 * sessions until it commits, so relation names are resolved from their OIDs
 * when sampling stops.
 */
import type pg from 'pg';
import type {Target} from './target.js';
import {connect} from './connect.js';

export type SampledLock = {
	/** `schema.table`, or `oid <n>` when the relation no longer exists. */
	readonly relation: string;
	/** r table, p partitioned, v view, m matview, i index, S sequence, t toast, … */
	readonly relkind: string;
	readonly mode: string;
	/** Server clock (clock_timestamp()), ISO. */
	readonly firstSeenAt: string;
	readonly lastSeenAt: string;
	/** The first sample after the last one that saw it (the transaction had ended). */
	readonly goneAt?: string;
	/** goneAt (or lastSeen) − firstSeen. */
	readonly heldMs: number;
	/** How long it was seen waiting (granted = false). */
	readonly waitedMs: number;
};

export type LockSamples = {
	readonly intervalMs: number;
	readonly samples: number;
	/** The backend pid of the sampled session, once found. */
	readonly pid?: number;
	readonly locks: readonly SampledLock[];
};

export type LockSampler = {
	readonly stop: () => Promise<LockSamples>;
	/**
	 * SQL for the sampled session to run last in its transaction: it waits (at
	 * most 10 s) until a sample has seen it there, so every lock the transaction
	 * holds at its end is recorded however short the statements were.
	 */
	readonly settleSql: string;
};

/** Advisory lock class of the settle handshake ('RBLS'); the key is the sampler's backend pid. */
const SETTLE_CLASS = 0x52424c53;

const SAMPLE_SQL = `
SELECT clock_timestamp() AS at, a.pid, l.relation::bigint AS relation, l.mode, l.granted, a.query LIKE '%rb_lock_settle%' AS settling
  FROM pg_stat_activity a
  LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
 WHERE a.application_name = $1`;

const RESOLVE_SQL = `
SELECT c.oid::bigint AS oid, format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS relkind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = ANY ($1::oid[])`;

type Row = {at: Date; pid: number; relation: string | null; mode: string | null; granted: boolean | null; settling: boolean | null};

type Track = {relation: string; mode: string; first: number; last: number; gone?: number; waited: number; lastWaiting?: number};

export async function startLockSampler(target: Target, applicationName: string, intervalMs = 10): Promise<LockSampler> {
	const client: pg.Client = await connect(target, 'runbook:lock-sampler');
	const tracks = new Map<string, Track>();
	let samples = 0;
	let pid: number | undefined;
	let running = true;
	const own = (await client.query<{pid: number}>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
	await client.query('SELECT pg_advisory_lock($1, $2)', [SETTLE_CLASS, own]);
	let settled = false;
	const loop = (async () => {
		while (running) {
			try {
				const {rows} = await client.query<Row>(SAMPLE_SQL, [applicationName]);
				samples += 1;
				const at = rows[0]?.at.getTime() ?? Date.now();
				const seen = new Set<string>();
				for (const row of rows) {
					pid ??= row.pid;
					if (row.relation === null || row.mode === null) continue;
					const key = `${row.relation}\u0000${row.mode}`;
					seen.add(key);
					const track = tracks.get(key) ?? {relation: row.relation, mode: row.mode, first: at, last: at, waited: 0};
					if (track.gone !== undefined) {
						// Taken again (a retry after a lock timeout): a new holding period from here.
						track.first = at;
						delete track.gone;
					}
					if (row.granted === false) {
						if (track.lastWaiting !== undefined) track.waited += at - track.lastWaiting;
						track.lastWaiting = at;
					} else delete track.lastWaiting;
					track.last = at;
					tracks.set(key, track);
				}
				for (const [key, track] of tracks) if (!seen.has(key) && track.gone === undefined) track.gone = at;
				// This sample saw the session at its settle step: its locks are all recorded, let it commit.
				if (!settled && rows.some((r) => r.settling === true)) {
					await client.query('SELECT pg_advisory_unlock($1, $2)', [SETTLE_CLASS, own]);
					settled = true;
				}
			} catch {
				// The sampled session (or ours) went away: the next sample tells.
			}
			await new Promise((r) => setTimeout(r, intervalMs));
		}
	})();
	return {
		// Numbers of our own making (a constant and a backend pid), not values from outside.
		settleSql: `DO $rb_lock_settle$ BEGIN FOR i IN 1..2000 LOOP EXIT WHEN pg_try_advisory_xact_lock_shared(${SETTLE_CLASS}, ${own}); PERFORM pg_sleep(0.005); END LOOP; END $rb_lock_settle$;`,
		stop: async () => {
			running = false;
			await loop;
			const oids = [...new Set([...tracks.values()].map((t) => t.relation))];
			const names = new Map<string, {name: string; relkind: string}>();
			try {
				const {rows} = await client.query<{oid: string; name: string; relkind: string}>(RESOLVE_SQL, [oids]);
				for (const r of rows) names.set(String(r.oid), {name: r.name, relkind: r.relkind});
			} finally {
				await client.end().catch(() => undefined);
			}
			const iso = (ms: number) => new Date(ms).toISOString();
			const locks = [...tracks.values()]
				.map((t): SampledLock => {
					const known = names.get(t.relation);
					return {
						relation: known?.name ?? `oid ${t.relation}`,
						relkind: known?.relkind ?? '?',
						mode: t.mode,
						firstSeenAt: iso(t.first),
						lastSeenAt: iso(t.last),
						...(t.gone === undefined ? {} : {goneAt: iso(t.gone)}),
						heldMs: (t.gone ?? t.last) - t.first,
						waitedMs: t.waited,
					};
				})
				.sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt) || a.relation.localeCompare(b.relation));
			return {intervalMs, samples, ...(pid === undefined ? {} : {pid}), locks};
		},
	};
}
