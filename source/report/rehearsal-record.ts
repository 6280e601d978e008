/**
 * From a finished rehearsal run (its state) and what was measured around it,
 * the rehearsal's record: rehearsal.json (parsed back by file.ts) and
 * rehearsal.md for people.
 *
 * The predicted window: each timeline row of the plan takes what its items
 * measured, when they are all machine work; a row with a manual item (a human
 * confirms something) keeps the plan's duration unless the machine part alone
 * took longer, since nobody can measure tonight how long a person takes; a
 * row without items keeps the plan's duration.
 */
import type {LoadedPlan} from '../plan/load.js';
import {REHEARSED_MANUAL, type RunState} from '../state/types.js';
import {parseOffsetMs} from '../state/timeline.js';
import type {SchemaFingerprint} from '../db/schema-fingerprint.js';
import type {MigrationMeasurement} from '../rehearsal/migration-measure.js';
import type {Rehearsal} from '../rehearsal/file.js';
import type {ArchiveInfo} from '../rehearsal/archive.js';
import {formatShortDuration} from '../text.js';

export type RehearsalInputs = {
	readonly plan: LoadedPlan;
	readonly state: RunState;
	readonly archive: ArchiveInfo;
	readonly backupBytes: number;
	readonly database: string;
	readonly server: {readonly version: string; readonly build: string};
	readonly roles: Rehearsal['roles'];
	readonly restore: Rehearsal['restore'];
	readonly fingerprint: SchemaFingerprint;
	readonly tables: Rehearsal['tables'];
	readonly createdAt: string;
};

function measurementOf(details: Record<string, unknown> | undefined): MigrationMeasurement | undefined {
	const m = details?.['rehearsal'];
	return m && typeof m === 'object' ? (m as MigrationMeasurement) : undefined;
}

export function buildRehearsal(input: RehearsalInputs): Rehearsal {
	const {plan, state} = input;
	const signoff = state.data.signoff ?? {};
	const missing = ([['preparedBy', 'Prepared By'], ['reviewedBy', 'Reviewed By'], ['approvedBy', 'Approved By']] as const).filter(([k]) => !signoff[k]).map(([, label]) => label);
	const items = plan.forward.map(({item}) => {
		const s = state.items[item.id];
		const manual = s?.evidence?.actual === REHEARSED_MANUAL;
		// Sign-off names not given are missing, not passed.
		const unsigned = item.kind === 'action' && item.action === 'signoff' && state.data['signoff'] !== undefined && missing.length > 0;
		return {
			id: item.id,
			title: item.title,
			kind: item.kind,
			status: unsigned ? `missing: ${missing.join(', ')}` : (s?.status ?? 'pending'),
			durationMs: s?.evidence?.durationMs ?? 0,
			automatic: s?.status === 'passed' && !manual && !unsigned,
			...(s?.skipReason ? {note: s.skipReason} : s?.note ? {note: s.note} : manual ? {note: REHEARSED_MANUAL} : s?.error ? {note: s.error} : {}),
		};
	});
	const manualItems = plan.forward
		.filter(({item}) => state.items[item.id]?.evidence?.actual === REHEARSED_MANUAL)
		.map(({item}) => ({id: item.id, title: item.title, why: item.kind === 'manual' ? item.prompt : (state.items[item.id]?.evidence?.command ?? item.title)}));
	const migrations = plan.forward.flatMap(({item}) => {
		if (item.kind !== 'sql-file' || !item.migration) return [];
		const evidence = state.items[item.id]?.evidence;
		const m = measurementOf(evidence?.details);
		if (!m) return [];
		return [{itemId: item.id, file: item.file, durationMs: evidence?.durationMs ?? 0, statementsMs: m.statementsMs, ...(m.commitMs === undefined ? {} : {commitMs: m.commitMs}), sampleIntervalMs: m.sampleIntervalMs, statements: m.statements.map((s) => ({...s, locks: [...s.locks]})), locks: [...m.locks]}];
	});
	let at = 0;
	const timeline = plan.plan.timeline.map((row) => {
		const rowItems = items.filter((i) => plan.byId.get(i.id)?.item.timeline === row.id);
		const plannedMs = row.duration ? Math.max(0, parseOffsetMs(row.duration)) || 0 : 0;
		const measuredMs = rowItems.reduce((sum, i) => sum + i.durationMs, 0);
		// A person confirms a manual item, and types GO at the gate: nobody can measure those tonight.
		const human = rowItems.some((i) => i.kind === 'gate' || manualItems.some((m) => m.id === i.id));
		const basis: 'measured' | 'plan' | 'none' = rowItems.length === 0 ? 'none' : human ? 'plan' : 'measured';
		const predictedMs = basis === 'measured' ? measuredMs : Math.max(measuredMs, plannedMs);
		const view = {id: row.id, at: row.at, activity: row.activity, plannedMs, measuredMs, predictedMs, predictedAtMs: at, basis};
		at += predictedMs;
		return view;
	});
	const offsets = plan.plan.timeline.map((r) => parseOffsetMs(r.at)).filter(Number.isFinite);
	const last = plan.plan.timeline.at(-1);
	const plannedMs = offsets.length > 0 ? Math.max(...offsets) + (last?.duration ? parseOffsetMs(last.duration) || 0 : 0) - Math.min(...offsets) : 0;
	return {
		kind: 'runbook-rehearsal',
		version: 1,
		createdAt: input.createdAt,
		planId: plan.plan.id,
		planSha256: plan.sha256,
		status: state.status,
		...(state.statusMessage ? {statusMessage: state.statusMessage} : {}),
		backup: {file: input.archive.file, format: input.archive.format, bytes: input.backupBytes, sourceVersion: input.archive.sourceVersion, sourceMajor: input.archive.sourceMajor, database: input.database},
		server: input.server,
		roles: input.roles,
		restore: input.restore,
		fingerprint: {schemas: [...input.fingerprint.schemas], sha256: input.fingerprint.sha256, entries: [...input.fingerprint.entries]},
		tables: input.tables,
		items,
		migrations,
		timeline,
		window: {plannedMs, predictedMs: at, machineMs: items.reduce((sum, i) => sum + i.durationMs, 0)},
		manualItems,
		signoff: {missing},
	};
}

const ms = (n: number) => formatShortDuration(n);
const exact = (n: number) => (n < 1000 ? `${n.toFixed(n < 10 ? 2 : 1)} ms` : formatShortDuration(n));
const bytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} B`);
const cell = (text: string) => text.replace(/\|/g, '\\|');

export function rehearsalMarkdown(r: Rehearsal): string {
	const out: string[] = [];
	out.push(`# Dress rehearsal — ${r.planId}`, '');
	out.push(`Rehearsed ${r.createdAt} on a restore of \`${r.backup.file}\` (${r.backup.format}, ${bytes(r.backup.bytes)}, dumped from PostgreSQL ${r.backup.sourceVersion}, database \`${r.backup.database}\`) into a throwaway ${r.server.build}. The production database was not touched; the throwaway server and its files were removed.`, '');
	out.push(`Result: **${r.status}**${r.statusMessage ? ` — ${r.statusMessage}` : ''}`, '');
	out.push(`Predicted window: **${ms(r.window.predictedMs)}** (plan: ${ms(r.window.plannedMs)}; machine time measured: ${ms(r.window.machineMs)}). Restore: ${ms(r.restore.durationMs)} (${r.restore.objects} objects).`, '');
	out.push('## Timeline: plan vs rehearsal', '', '| plan | activity | plan duration | measured | predicted | basis |', '|---|---|---|---|---|---|');
	for (const t of r.timeline) out.push(`| T${t.at.replace(/^(\d)/, '+$1')} | ${cell(t.activity)} | ${t.plannedMs ? ms(t.plannedMs) : '-'} | ${ms(t.measuredMs)} | ${ms(t.predictedMs)} | ${t.basis === 'measured' ? 'measured' : t.basis === 'plan' ? 'plan (a person confirms)' : 'plan (no items)'} |`);
	out.push('', '## Migrations: every statement, and the locks it took', '');
	for (const m of r.migrations) {
		out.push(`### ${m.itemId} — \`${m.file}\``, '', `${ms(m.durationMs)} in all (psql, guard and ledger included); statements ${exact(m.statementsMs)}${m.commitMs === undefined ? '' : `, COMMIT ${exact(m.commitMs)}`}; locks sampled from pg_locks every ${m.sampleIntervalMs} ms.`, '');
		const byMode = new Map<string, string[]>();
		for (const l of m.locks.filter((l) => l.relkind === 'r' || l.relkind === 'p')) byMode.set(l.mode, [...(byMode.get(l.mode) ?? []), l.relation]);
		for (const [mode, rels] of byMode) out.push(`- **${mode}** on ${rels.length} table(s): ${[...new Set(rels)].join(', ')}`);
		out.push('', '| # | statement | duration | locks taken |', '|---|---|---|---|');
		for (const s of m.statements) out.push(`| ${s.n} | \`${cell(s.text.slice(0, 90))}\` | ${exact(s.durationMs)} | ${cell(s.locks.map((l) => `${l.mode} ${l.relation}`).join(', ') || '-')} |`);
		out.push('', '| relation | mode | held until commit | waited |', '|---|---|---|---|');
		for (const l of m.locks) out.push(`| ${l.relation} | ${l.mode} | ${exact(l.heldMs)} | ${l.waitedMs ? exact(l.waitedMs) : '-'} |`);
		out.push('');
	}
	out.push('## Tables (after the restore, before the migrations)', '', '| table | rows | size |', '|---|---|---|');
	for (const t of r.tables) out.push(`| ${t.table} | ${t.rows} | ${bytes(t.bytes)} |`);
	out.push('', '## Roles', '', `Created on the rehearsal server so owners and grants restore: ${r.roles.created.join(', ') || 'none'}. Mapped: ${r.roles.mapped.map((m) => `${m.role} → ${m.to}`).join(', ') || 'none'}.`, '');
	out.push('## Every item', '', '| item | status | duration | how |', '|---|---|---|---|');
	for (const i of r.items) out.push(`| ${i.id} | ${i.status} | ${ms(i.durationMs)} | ${cell(i.automatic ? 'checked by the machine' : (i.note ?? ''))} |`);
	out.push('', '## Left to people', '', ...r.manualItems.map((m) => `- ${m.id}: ${m.title}`), '');
	out.push(r.signoff.missing.length > 0 ? `Sign-off MISSING: ${r.signoff.missing.join(', ')} (not given; not passed).` : 'Sign-off: all names given.', '');
	out.push(`Schema fingerprint (${r.fingerprint.schemas.join(', ')}): \`${r.fingerprint.sha256}\` over ${r.fingerprint.entries.length} catalog entries. The GO gate of the real run compares it with production's.`, '');
	return out.join('\n');
}
