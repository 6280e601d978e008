/**
 * What the GO gate computes before it asks: whether the plan was rehearsed on
 * a backup of this schema (the fingerprint of the rehearsal against the
 * target's now, and the rehearsal's age), and the lock-impact preview of each
 * migration — the tables it will lock and in which modes (from the rehearsal,
 * or from the statement kinds), the live traffic on them (sessions holding
 * locks on them now; scans and writes per second from pg_stat_user_tables,
 * sampled over a few seconds here), and the oldest open transaction the DDL
 * would queue behind. A table with live writes and an ACCESS EXCLUSIVE step is
 * flagged. Both come back as gate conditions: a schema that differs from the
 * rehearsal's, or a stale rehearsal, is a NO-GO; "not rehearsed" and the
 * flags are warnings.
 */
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type {LoadedPlan} from '../plan/load.js';
import {schemaFingerprint, diffFingerprints} from '../db/schema-fingerprint.js';
import {REHEARSAL_MAX_AGE_HOURS, type Rehearsal} from '../rehearsal/file.js';
import {staticLocks} from '../rehearsal/statement-locks.js';
import type {GateConditionState} from '../state/types.js';
import type {FingerprintCheck, LockImpact, MigrationImpact, TableTraffic} from '../state/data.js';
import {formatShortDuration} from '../text.js';

export type GatePreview = {
	readonly conditions: readonly GateConditionState[];
	readonly lines: readonly string[];
	readonly lockImpact: LockImpact;
	readonly fingerprint?: FingerprintCheck;
};

const EXCLUSIVE = 'AccessExclusiveLock';
const WRITE_MODES = new Set(['RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock']);

/** `platform.users` as the server names it, or every table of `platform.*`; names that do not exist yet are kept as written. */
async function resolveTables(client: pg.ClientBase, names: readonly string[]): Promise<Map<string, string[]>> {
	const out = new Map<string, string[]>();
	for (const name of new Set(names)) {
		if (name.endsWith('.*')) {
			const {rows} = await client.query<{t: string}>(`SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [name.slice(0, -2)]);
			out.set(name, rows.map((r) => r.t));
			continue;
		}
		const {rows} = await client.query<{t: string | null}>(
			`SELECT (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)) AS t`,
			[name],
		);
		out.set(name, [rows[0]?.t ?? name]);
	}
	return out;
}

async function migrationTables(client: pg.ClientBase, plan: LoadedPlan, rehearsal: Rehearsal | undefined): Promise<Array<Omit<MigrationImpact, 'flagged'>>> {
	const out: Array<Omit<MigrationImpact, 'flagged'>> = [];
	for (const {item} of plan.forward) {
		if (item.kind !== 'sql-file' || !item.migration) continue;
		const rehearsed = rehearsal?.migrations.find((m) => m.itemId === item.id);
		const modes = new Map<string, Set<string>>();
		const add = (table: string, mode: string) => modes.set(table, (modes.get(table) ?? new Set()).add(mode));
		if (rehearsed) {
			for (const l of rehearsed.locks) if (l.relkind === 'r' || l.relkind === 'p') add(l.relation, l.mode);
		} else {
			const locks = staticLocks(await readFile(path.resolve(plan.sqlDir, item.file), 'utf8'));
			const resolved = await resolveTables(client, locks.map((l) => l.relation));
			for (const l of locks) for (const t of resolved.get(l.relation) ?? [l.relation]) add(t, l.mode);
		}
		out.push({itemId: item.id, file: item.file, source: rehearsed ? 'rehearsal' : 'statement kinds', tables: [...modes].map(([table, m]) => ({table, modes: [...m].sort()})).sort((a, b) => a.table.localeCompare(b.table))});
	}
	return out;
}

type StatRow = {t: string; scans: string; writes: string};
const STATS_SQL = `SELECT format('%I.%I', schemaname, relname) AS t, (seq_scan + coalesce(idx_scan, 0))::text AS scans, (n_tup_ins + n_tup_upd + n_tup_del)::text AS writes
  FROM pg_stat_user_tables WHERE format('%I.%I', schemaname, relname) = ANY ($1::text[])`;

async function sampleTraffic(client: pg.ClientBase, tables: readonly string[], sampleMs: number): Promise<TableTraffic[]> {
	const read = async () => new Map((await client.query<StatRow>(STATS_SQL, [[...tables]])).rows.map((r) => [r.t, {scans: Number(r.scans), writes: Number(r.writes)}]));
	const first = await read();
	const started = Date.now();
	if (sampleMs > 0) await new Promise((r) => setTimeout(r, sampleMs));
	const second = await read();
	const seconds = Math.max(0.001, (Date.now() - started) / 1000);
	const {rows: sessions} = await client.query<{t: string; pid: number; usename: string; application_name: string; state: string; mode: string; xact_seconds: number}>(
		`SELECT format('%I.%I', n.nspname, c.relname) AS t, a.pid, coalesce(a.usename, '') AS usename, coalesce(a.application_name, '') AS application_name,
		        coalesce(a.state, '') AS state, l.mode, coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8 AS xact_seconds
		   FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
		   JOIN pg_stat_activity a ON a.pid = l.pid
		  WHERE l.locktype = 'relation' AND l.pid <> pg_backend_pid() AND a.application_name NOT LIKE 'runbook%'
		    AND format('%I.%I', n.nspname, c.relname) = ANY ($1::text[])
		  ORDER BY a.xact_start`,
		[[...tables]],
	);
	return tables.map((table) => {
		const a = first.get(table);
		const b = second.get(table);
		return {
			table,
			scansPerSec: a && b ? (b.scans - a.scans) / seconds : 0,
			writesPerSec: a && b ? (b.writes - a.writes) / seconds : 0,
			sessions: [...new Map(sessions.filter((s) => s.t === table).map((s) => [s.pid, s])).values()].map((s) => ({
				pid: s.pid,
				user: s.usename,
				application: s.application_name,
				state: s.state,
				modes: sessions.filter((o) => o.t === table && o.pid === s.pid).map((o) => o.mode),
				transactionSeconds: s.xact_seconds,
			})),
		};
	});
}

async function oldestTransaction(client: pg.ClientBase): Promise<LockImpact['oldestTransaction']> {
	const {rows} = await client.query<{pid: number; usename: string; application_name: string; state: string; seconds: number; query: string}>(
		`SELECT pid, coalesce(usename, '') AS usename, coalesce(application_name, '') AS application_name, coalesce(state, '') AS state,
		        extract(epoch FROM now() - xact_start)::float8 AS seconds, left(coalesce(query, ''), 200) AS query
		   FROM pg_stat_activity
		  WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND application_name NOT LIKE 'runbook%'
		  ORDER BY xact_start LIMIT 1`,
	);
	const r = rows[0];
	return r ? {pid: r.pid, user: r.usename, application: r.application_name, state: r.state, seconds: r.seconds, query: r.query.replace(/\s+/g, ' ')} : undefined;
}

function short(mode: string): string {
	return mode.replace(/Lock$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

const rate = (n: number) => (n >= 10 ? n.toFixed(0) : n.toFixed(1));

export function lockImpactLines(impact: LockImpact, lockTimeoutMs: number): string[] {
	// Without a rehearsal the locks are inferred from the statements' kinds: say so first, where a narrow pane does not cut it off.
	const guessed = impact.migrations.filter((m) => m.source === 'statement kinds').map((m) => m.itemId);
	const lines: string[] = [
		guessed.length > 0
			? `Lock impact — APPROXIMATE for ${guessed.length === impact.migrations.length ? 'every migration' : guessed.join(', ')}: locks inferred from the statement kinds, not measured (runbook rehearse --from-backup measures them); traffic sampled over ${(impact.sampledMs / 1000).toFixed(1)} s from pg_stat_user_tables and pg_locks:`
			: `Lock impact (locks measured by the rehearsal; traffic sampled over ${(impact.sampledMs / 1000).toFixed(1)} s from pg_stat_user_tables and pg_locks):`,
	];
	const traffic = new Map(impact.traffic.map((t) => [t.table, t]));
	for (const m of impact.migrations) {
		const exclusive = m.tables.filter((t) => t.modes.includes(EXCLUSIVE)).map((t) => t.table);
		const other = m.tables.filter((t) => !t.modes.includes(EXCLUSIVE));
		const parts = [`ACCESS EXCLUSIVE on ${exclusive.length} table(s)${exclusive.length > 0 && exclusive.length <= 4 ? ` (${exclusive.join(', ')})` : ''}`];
		if (other.length > 0) parts.push(other.map((t) => `${t.modes.map(short).join('+')} ${t.table}`).join(', '));
		lines.push(`  ${m.itemId} (${m.file}, locks from the ${m.source}${m.source === 'statement kinds' ? ', approximate' : ''}): ${parts.join('; ')}`);
		for (const t of m.tables) {
			const live = traffic.get(t.table);
			if (!live || (live.sessions.length === 0 && live.scansPerSec === 0 && live.writesPerSec === 0)) continue;
			const flag = m.flagged.includes(t.table) ? 'FLAG ' : '';
			const who = live.sessions.map((s) => `pid ${s.pid} ${s.user}/${s.application || '?'} ${s.modes.map(short).join('+')}, ${s.state}, transaction ${Math.round(s.transactionSeconds)}s`).join('; ');
			lines.push(`    ${flag}${t.table} [${t.modes.map(short).join('+')}]: ${rate(live.writesPerSec)} writes/s, ${rate(live.scansPerSec)} scans/s, ${live.sessions.length} session(s)${who ? `: ${who}` : ''}${flag ? ' — live writes on a table this step locks ACCESS EXCLUSIVE' : ''}`);
		}
	}
	const o = impact.oldestTransaction;
	lines.push(
		o
			? `  Oldest open transaction: pid ${o.pid} (${o.user}, ${o.application || '?'}, ${o.state}) open ${formatShortDuration(o.seconds * 1000)}: ${o.query.slice(0, 120)} — DDL would queue behind it (and everything behind the DDL) up to lock_timeout ${lockTimeoutMs} ms`
			: '  Oldest open transaction: none (no other session has a transaction open)',
	);
	return lines;
}

export async function gatePreview(input: {
	readonly client: pg.ClientBase;
	readonly plan: LoadedPlan;
	readonly rehearsal?: {readonly record: Rehearsal; readonly file: string};
	readonly trafficSampleMs: number;
	readonly lockTimeoutMs: number;
	readonly now: Date;
}): Promise<GatePreview> {
	const {client, plan} = input;
	const conditions: GateConditionState[] = [];
	let fingerprint: GatePreview['fingerprint'];
	const rehearsal = input.rehearsal?.record;
	if (rehearsal && input.rehearsal) {
		const now = await schemaFingerprint(client, rehearsal.fingerprint.schemas);
		const {missing, added} = diffFingerprints({schemas: rehearsal.fingerprint.schemas, sha256: rehearsal.fingerprint.sha256, entries: rehearsal.fingerprint.entries}, now);
		const matches = now.sha256 === rehearsal.fingerprint.sha256;
		const ageHours = (input.now.getTime() - Date.parse(rehearsal.createdAt)) / 3_600_000;
		const fresh = ageHours <= REHEARSAL_MAX_AGE_HOURS;
		fingerprint = {matches, sha256: now.sha256, rehearsedSha256: rehearsal.fingerprint.sha256, missing, added, ageHours};
		const show = (list: readonly string[]) => `${list.slice(0, 6).join('; ')}${list.length > 6 ? `; … ${list.length - 6} more` : ''}`;
		const differs = [missing.length > 0 ? `rehearsed but not here now: ${show(missing)}` : '', added.length > 0 ? `here now but not rehearsed: ${show(added)}` : ''].filter(Boolean).join(' | ');
		const planNote = rehearsal.planSha256 === plan.sha256 ? '' : '; note: the plan file changed since the rehearsal';
		conditions.push({
			id: 'go.rehearsed',
			text: 'Rehearsed on a backup of this schema',
			side: 'go',
			attest: false,
			holds: matches && fresh,
			evidence: `${matches ? `schema fingerprint ${now.sha256.slice(0, 12)}… of ${rehearsal.fingerprint.schemas.join(', ')} matches the rehearsal` : `schema of ${rehearsal.fingerprint.schemas.join(', ')} differs from the rehearsal's (${now.sha256.slice(0, 12)}… now, ${rehearsal.fingerprint.sha256.slice(0, 12)}… rehearsed): ${differs}`}; rehearsed ${rehearsal.createdAt} (${ageHours.toFixed(1)} h ago, limit ${REHEARSAL_MAX_AGE_HOURS} h${fresh ? '' : ': TOO OLD, rehearse again on tonight\'s backup'}) from ${path.basename(rehearsal.backup.file)}, predicted window ${formatShortDuration(rehearsal.window.predictedMs)}${planNote}`,
		});
	} else {
		conditions.push({
			id: 'go.rehearsed',
			text: 'Rehearsed on a backup of this schema',
			side: 'go',
			attest: false,
			holds: false,
			warning: true,
			evidence: 'not rehearsed (a warning, not a NO-GO): the evening before, run `runbook rehearse --from-backup <tonight\'s backup>` and give this run --rehearsal rehearsal.json',
		});
	}
	const migrations = await migrationTables(client, plan, rehearsal);
	const tables = [...new Set(migrations.flatMap((m) => m.tables.map((t) => t.table)))];
	const traffic = await sampleTraffic(client, tables, input.trafficSampleMs);
	const byTable = new Map(traffic.map((t) => [t.table, t]));
	const live = (table: string) => {
		const t = byTable.get(table);
		return Boolean(t && (t.writesPerSec > 0 || t.sessions.some((s) => s.modes.some((m) => WRITE_MODES.has(m)))));
	};
	const impacts: MigrationImpact[] = migrations.map((m) => ({...m, flagged: m.tables.filter((t) => t.modes.includes(EXCLUSIVE) && live(t.table)).map((t) => t.table)}));
	const lockImpact: LockImpact = {sampledMs: input.trafficSampleMs, migrations: impacts, traffic, ...(await oldestTransaction(client).then((o) => (o ? {oldestTransaction: o} : {})))};
	const flagged = impacts.flatMap((m) => m.flagged.map((t) => `${t} (${m.itemId})`));
	conditions.push({
		id: 'go.lock-impact',
		text: 'No live writes on a table an ACCESS EXCLUSIVE step locks',
		side: 'go',
		attest: false,
		holds: flagged.length === 0,
		warning: true,
		evidence: flagged.length === 0 ? `none of the ${tables.length} tables the migrations lock had writes or a writing session over ${(input.trafficSampleMs / 1000).toFixed(1)} s` : `FLAGGED: ${flagged.join(', ')} — writes go on while these steps need ACCESS EXCLUSIVE; lock_timeout ${input.lockTimeoutMs} ms bounds the wait, expect retries (a warning)`,
	});
	return {conditions, lines: lockImpactLines(lockImpact, input.lockTimeoutMs), lockImpact, ...(fingerprint ? {fingerprint} : {})};
}
