/**
 * A probes item: the plan's probes that apply at this point, each run as the
 * application role in a rolled-back transaction, each compared with its last
 * good run. Before the migrations it sets the reference; after a migration it
 * is that migration's verification of "zero behaviour change": a probe that
 * changed fails the item, naming the probe, its SQL, the SQLSTATE and message,
 * before and after, the decision-matrix row and the rollback level that
 * undoes the migration.
 */
import type {MatrixRow, Probe, ProbesItem} from '../../plan/schema.js';
import type {LoadedPlan} from '../../plan/load.js';
import type {ExecContext, Outcome} from '../context.js';
import {rlsFor, runProbe} from '../../probes/run-probe.js';
import {verdictFor, shapeOf} from '../../probes/compare.js';
import {countRun, countsLine, probeLines, probesData} from '../../probes/summary.js';
import {PROBES_DATA_KEY, type ProbeResult, type ProbeStageRun, type ProbeVerdict} from '../../probes/types.js';
import {oneLineSql} from './query.js';

const SEVERITY: Readonly<Record<MatrixRow['severity'], number>> = {CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3};

function forwardIndex(plan: LoadedPlan, id: string | undefined): number {
	return id === undefined ? -1 : plan.forward.findIndex((e) => e.item.id === id);
}

/** The probes that apply at `item`: from the start, or from a migration at or before the one it verifies. */
export function applicableProbes(plan: LoadedPlan, item: ProbesItem): {now: Probe[]; later: Probe[]} {
	const at = forwardIndex(plan, item.after);
	const now: Probe[] = [];
	const later: Probe[] = [];
	for (const probe of plan.plan.probes) {
		const applies = probe.from === undefined || (item.after !== undefined && forwardIndex(plan, probe.from) <= at);
		(applies ? now : later).push(probe);
	}
	return {now, later};
}

/** The rollback level whose files revert `migration` (the one to offer when its verification fails). */
function rollbackLevelFor(plan: LoadedPlan, migration: string | undefined): {level: number; title: string} | undefined {
	if (!migration) return undefined;
	const level = plan.plan.rollback.find((l) => l.items.some((i) => i.kind === 'sql-file' && i.reverts?.includes(migration)));
	return level ? {level: level.level, title: level.title} : undefined;
}

function matrixRowFor(plan: LoadedPlan, item: ProbesItem, failed: readonly Probe[], measured: number): MatrixRow | undefined {
	const rows = plan.plan.decisionMatrix;
	const byId = (id: string | undefined) => rows.find((r) => r.id === id);
	// Most of what the application does broke at once: the "everything is denied" row, when the plan names one.
	if (item.onWidespreadFailure && failed.length > 1 && failed.length * 2 > measured) return byId(item.onWidespreadFailure);
	const candidates = failed.map((p) => byId(p.onFailure ?? item.onFailure)).filter((r): r is MatrixRow => r !== undefined);
	return candidates.sort((a, b) => SEVERITY[a.severity] - SEVERITY[b.severity])[0] ?? byId(item.onFailure);
}

function describeFailure(probe: Probe, result: ProbeResult, verdict: ProbeVerdict): string {
	const before = verdict.reference ? `${verdict.reference.itemId}: ${shapeOf({outcome: 'ok', rows: verdict.reference.rows, columns: verdict.reference.columns})}` : 'no earlier run';
	const error = result.outcome === 'error' ? `SQLSTATE ${result.sqlstate ?? '?'}: ${result.message ?? ''}` : shapeOf(result);
	// 42501 on a table the migration created: the application role was never granted it (006 grants nothing to PUBLIC).
	const hint = result.sqlstate === '42501' && /for table/.test(result.message ?? '') ? ' The application role lacks a privilege: a table a migration created needs its GRANTs (or ALTER DEFAULT PRIVILEGES FOR ROLE <migration role>) to that role.' : '';
	return `${probe.id} ("${probe.title}", ${probe.access}) ${verdict.problems.join('; ')}. SQL: ${oneLineSql(probe.sql)}${result.params.length > 0 ? ` with ${result.params.join(', ')}` : ''}. Before: ${before}. After: ${error}.${hint}`;
}

export async function runProbesItem(ctx: ExecContext<ProbesItem>): Promise<Outcome> {
	const item = ctx.item;
	// Without --app-role the statements run as the connecting role: the customer's application connects as the
	// owner, so errors and column sets still mean what they say; the evidence says RLS is bypassed.
	const role = ctx.settings.appRole ?? (await ctx.client.query<{u: string}>('SELECT current_user AS u')).rows[0]!.u;
	const {now, later} = applicableProbes(ctx.plan, item);
	const command = `${now.length} application statement(s) as role ${role}${ctx.settings.appRole ? '' : ' (no --app-role: the connecting role)'}, each in BEGIN … ROLLBACK`;
	const who = await rlsFor(ctx.client, role);
	if (!who.exists) {
		return {
			ok: false,
			evidence: {command, expected: `role ${role} exists`, actual: 'no such role'},
			error: `The application role ${role} given with --app-role does not exist on ${ctx.target.display}. Give the role the application connects as, then retry.`,
			matrixRow: null,
		};
	}
	const secrets = [...ctx.target.secrets, ...ctx.settings.secrets];
	const earlier = probesData(ctx.state().data).runs.filter((r) => r.itemId !== item.id && forwardIndex(ctx.plan, r.itemId) < forwardIndex(ctx.plan, item.id));
	const results: ProbeResult[] = [];
	const verdicts: ProbeVerdict[] = [];
	for (const [i, probe] of now.entries()) {
		ctx.progress(`probe ${i + 1} of ${now.length}: ${probe.id}`, i / Math.max(1, now.length));
		const result = await runProbe(ctx.client, probe, role, {secrets, options: ctx.settings.options});
		results.push(result);
		// Before the migrations, a probe that errors is wrong (or the database is not what the plan expects): that fails too.
		verdicts.push(verdictFor(probe, result, earlier));
	}
	const run: ProbeStageRun = {itemId: item.id, ...(item.after ? {after: item.after} : {}), at: new Date().toISOString(), role, rls: who.rls, results, verdicts, notYet: later.map((p) => p.id)};
	const runs = [...probesData(ctx.state().data).runs.filter((r) => r.itemId !== item.id), run];
	ctx.setData(PROBES_DATA_KEY, {runs});
	const lines = probeLines(ctx.plan.plan.probes, run);
	for (const l of lines) ctx.output(l);
	const counts = countRun(ctx.plan.plan.probes.length, run);
	const actual = countsLine(counts, run);
	const failed = now.filter((p) => !verdicts.find((v) => v.probeId === p.id)!.ok);
	const expected = item.after
		? `every probe as before ${item.after}: no error, same column set, rows where there were rows`
		: 'every probe runs without error before the migrations (the reference for every later run)';
	if (failed.length === 0) return {ok: true, evidence: {command, expected, actual, outputTail: lines}};

	const row = matrixRowFor(ctx.plan, item, failed, counts.measured);
	const level = rollbackLevelFor(ctx.plan, item.after);
	const details = failed.map((p) => describeFailure(p, results.find((r) => r.probeId === p.id)!, verdicts.find((v) => v.probeId === p.id)!));
	const where = item.after ? `after ${item.after}` : 'before the migrations';
	const suggestion = row ? ` Decision matrix: "${row.issue}" (${row.severity}): ${row.procedure}.` : '';
	const offer = level ? ` Rollback level ${level.level} (${level.title}) undoes ${item.after}: \`runbook rollback ${level.level}\`, or b in the TUI.` : '';
	const lead = item.after
		? `${failed.length} of ${counts.measured} application statement(s) behave differently ${where}, as role ${role}: zero behaviour change is broken.`
		: `${failed.length} of ${counts.measured} application statement(s) fail ${where}, as role ${role}: fix the probe in the plan, or the role's grants, before GO (nothing has been migrated yet).`;
	return {
		ok: false,
		evidence: {command, expected, actual, outputTail: [...details, ...lines], details: {failed: failed.map((p) => p.id)}},
		error: `${lead} ${details.join(' ')}${suggestion}${offer}`,
		matrixRow: row?.id ?? null,
	};
}
