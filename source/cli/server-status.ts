/**
 * `runbook status` with no local state: what the target itself says, like
 * `flyway info` or `sqitch status`. The ledger (runbook.applied_migrations)
 * says which migrations of the plan are applied, when, by whom and by which
 * run; runbook.events says every apply and revert in order. Read-only: one
 * connection, two SELECTs, nothing created (a database runbook never touched
 * answers "no ledger").
 */
import path from 'node:path';
import type pg from 'pg';
import type {Target} from '../db/target.js';
import {withClient} from '../db/connect.js';
import {fileSha256} from '../db/ledger.js';
import type {LoadedPlan} from '../plan/load.js';
import type {LedgerEvent, LedgerMigration, ServerStatus} from './json.js';

type MigrationRow = {item: string; file: string; sha256: string; run_id: string; applied_at: Date; applied_by: string};
type EventRow = {id: string; item: string; action: string; file: string; run_id: string; at: Date; by_role: string};

async function ledgerExists(client: pg.ClientBase): Promise<boolean> {
	const {rows} = await client.query<{ok: boolean}>(`SELECT to_regclass('runbook.applied_migrations') IS NOT NULL AND to_regclass('runbook.events') IS NOT NULL AS ok`);
	return Boolean(rows[0]?.ok);
}

export async function readServerStatus(plan: LoadedPlan, target: Target): Promise<ServerStatus> {
	const planId = plan.plan.id;
	const {ledger, applied, events} = await withClient(target, 'runbook:status', async (client) => {
		if (!(await ledgerExists(client))) return {ledger: false, applied: [] as MigrationRow[], events: [] as EventRow[]};
		const applied = (await client.query<MigrationRow>('SELECT item, file, sha256, run_id, applied_at, applied_by FROM runbook.applied_migrations WHERE plan = $1 ORDER BY applied_at, item', [planId])).rows;
		const events = (await client.query<EventRow>('SELECT id, item, action, file, run_id, at, by_role FROM runbook.events WHERE plan = $1 ORDER BY id', [planId])).rows;
		return {ledger: true, applied, events};
	});
	const byItem = new Map(applied.map((row) => [row.item, row]));
	const migrations: Array<ServerStatus['migrations'][number]> = [];
	for (const entry of plan.forward) {
		const item = entry.item;
		if (item.kind !== 'sql-file' || !item.migration) continue;
		const row = byItem.get(item.id);
		byItem.delete(item.id);
		const fileNow = await fileSha256(path.resolve(plan.sqlDir, item.file)).catch(() => undefined);
		const appliedJson: LedgerMigration | undefined = row
			? {item: row.item, file: row.file, sha256: row.sha256, runId: row.run_id, appliedAt: row.applied_at.toISOString(), appliedBy: row.applied_by}
			: undefined;
		migrations.push({
			item: item.id,
			title: item.title,
			file: item.file,
			state: !row ? 'pending' : fileNow !== undefined && fileNow !== row.sha256 ? 'changed' : 'applied',
			...(appliedJson ? {applied: appliedJson} : {}),
		});
	}
	for (const row of byItem.values()) {
		migrations.push({
			item: row.item,
			title: '(not in this plan file)',
			state: 'unknown',
			applied: {item: row.item, file: row.file, sha256: row.sha256, runId: row.run_id, appliedAt: row.applied_at.toISOString(), appliedBy: row.applied_by},
		});
	}
	const eventsJson: LedgerEvent[] = events.map((e) => ({id: Number(e.id), item: e.item, action: e.action, file: e.file, runId: e.run_id, at: e.at.toISOString(), by: e.by_role}));
	return {planId, target: target.display, ledger, migrations, events: eventsJson};
}

function when(iso: string): string {
	return `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}

function columns(rows: ReadonlyArray<readonly string[]>): string[] {
	const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
	return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function serverStatusText(plan: LoadedPlan, status: ServerStatus): string[] {
	const lines = [`${plan.plan.title} on ${status.target}: no local state, read from the server's ledger (runbook.applied_migrations, runbook.events)`];
	if (!status.ledger) {
		lines.push('', `No ledger: runbook has never applied a migration to this database (schema runbook does not exist). Pending: ${status.migrations.map((m) => m.item).join(', ') || 'none'}.`);
		return lines;
	}
	const applied = status.migrations.filter((m) => m.state !== 'pending').length;
	lines.push(`${applied} of ${status.migrations.filter((m) => m.state !== 'unknown').length} migrations applied`, '');
	lines.push(
		...columns([
			['ITEM', 'STATE', 'APPLIED AT', 'BY', 'RUN', 'FILE'],
			...status.migrations.map((m) => [m.item, m.state.toUpperCase(), m.applied ? when(m.applied.appliedAt) : '-', m.applied?.appliedBy ?? '-', m.applied?.runId ?? '-', m.file ?? m.applied?.file ?? '-']),
		]).map((l) => `  ${l}`),
	);
	const changed = status.migrations.filter((m) => m.state === 'changed');
	if (changed.length > 0) lines.push('', `CHANGED: ${changed.map((m) => m.file).join(', ')} differ from the file that was applied (sha256); an applied migration must not change.`);
	if (status.events.length > 0) {
		lines.push('', 'History (runbook.events, oldest first)');
		lines.push(...columns(status.events.map((e) => [when(e.at), e.action, e.item, `by ${e.by}`, `run ${e.runId}`, e.file])).map((l) => `  ${l}`));
	}
	return lines;
}
