/**
 * Adapts a run's state (the fold of its journal) to the report and
 * notification inputs. Everything is taken from the state and the plan: what
 * ran, when, with what evidence; nothing is typed in by hand at 3 AM.
 */
import type {LoadedPlan} from '../plan/load.js';
import type {RunState} from '../state/types.js';
import type {ReportInput, ReportItem, ReportStatus, SignOff, TimelineRow, HealthRow} from './types.js';
import {renderReport} from './render-report.js';
import {describeResource, openResources} from '../state/resources.js';
import {humanBytes} from '../backup/human-bytes.js';
import {renderNotification} from './notification.js';
import {parseOffsetMs, tClock, timelineRows} from '../state/timeline.js';
import {probesData, countRun, countsLine} from '../probes/summary.js';
import {shapeOf} from '../probes/compare.js';
import {improvements, postureLines, SECURITY_DATA_KEY} from '../security/posture.js';

export function signoffFromOptions(plan: LoadedPlan, options: Readonly<Record<string, string | undefined>>): Required<Pick<SignOff, 'executionDate'>> & SignOff {
	return {
		preparedBy: options['prepared-by'] ?? plan.plan.signoff?.preparedBy,
		...(options['reviewed-by'] ? {reviewedBy: options['reviewed-by']} : {}),
		...(options['approved-by'] ? {approvedBy: options['approved-by']} : {}),
		executionDate: new Date().toISOString().slice(0, 10),
	};
}

export function buildNotification(plan: LoadedPlan, target: string, options: Readonly<Record<string, string | undefined>>, secrets: readonly string[]): string {
	const n = plan.plan.notification;
	return renderNotification({
		title: plan.plan.title,
		when: options['window-start'] ?? new Date().toISOString(),
		durationMinutes: n?.durationMinutes ?? 15,
		...(n?.impact ? {impact: n.impact} : {}),
		...(n?.changes ? {changes: n.changes} : {}),
		...(n?.rollback ? {rollback: n.rollback} : {}),
		contact: n?.contact ?? plan.plan.signoff?.preparedBy ?? 'the DBA on call',
		target,
		secrets,
	});
}

/** The probes table: one row per probe, one column per run (before, after each migration), then the verdict. */
function probesSection(plan: LoadedPlan, state: RunState): ReportInput['probes'] {
	const runs = probesData(state.data).runs;
	if (plan.plan.probes.length === 0 || runs.length === 0) return undefined;
	const last = runs.at(-1)!;
	const changed = new Set(runs.flatMap((r) => r.verdicts.filter((v) => !v.ok).map((v) => v.probeId)));
	const rows = plan.plan.probes.map((probe) => {
		const cells = runs.map((run) => {
			const result = run.results.find((r) => r.probeId === probe.id);
			if (!result) return '—';
			const verdict = run.verdicts.find((v) => v.probeId === probe.id);
			const mark = verdict?.readiness ? (result.outcome === 'ok' ? 'ready: ' : 'NOT READY: ') : verdict?.ok ? '' : 'CHANGED: ';
			return `${mark}${shapeOf(result)}`;
		});
		const readiness = probe.readinessFor !== undefined;
		const verdict = readiness ? `readiness for ${probe.readinessFor}` : changed.has(probe.id) ? 'CHANGED' : 'unchanged';
		return [probe.id, probe.access, probe.from ?? 'before the migrations', ...cells, verdict];
	});
	const total = runs.reduce((n, r) => n + r.results.length, 0);
	const summary = `${plan.plan.probes.length} application statements, ${total} probe runs in ${runs.length} stage(s), ${changed.size} changed; last run (${last.itemId}): ${countsLine(countRun(plan.plan.probes.length, last), last)}.`;
	return {summary, columns: ['Probe', 'Access', 'Applies from', ...runs.map((r) => r.itemId), 'Result'], rows};
}

/** The security line from the measured posture, with the pending hardening as the next step. */
function securitySection(plan: LoadedPlan, state: RunState): ReportInput['security'] {
	const posture = state.data[SECURITY_DATA_KEY];
	if (!posture) return undefined;
	const text = postureLines(posture);
	const improved = improvements(posture);
	const readiness = plan.plan.probes.filter((p) => p.readinessFor !== undefined);
	const last = probesData(state.data).runs.at(-1);
	const next = readiness.map((probe) => {
		const result = last?.results.find((r) => r.probeId === probe.id);
		const proof = !result
			? 'not measured yet'
			: result.outcome === 'ok'
				? `the probe ${probe.id} shows it in place as ${last!.role}`
				: `NOT in place yet: the probe ${probe.id} as ${last!.role} gives ${shapeOf(result)}`;
		return `${probe.readinessFor} (no plaintext at rest: drops password, keeps only the ciphertext). It needs an application change first: ${probe.usage ?? probe.title}. Readiness: ${proof}.`;
	});
	return {
		encrypted: text.encrypted,
		plaintext: text.plaintext,
		improved: improved.filter((i) => i.holds).map((i) => i.what),
		notImproved: improved.filter((i) => !i.holds).map((i) => i.what),
		...(next.length > 0 ? {nextStep: next.join(' ')} : {}),
	};
}


function reportStatus(state: RunState): ReportStatus {
	if (state.rollbacks.length > 0) return 'ROLLED BACK';
	const failed = Object.values(state.items).some((i) => i.status === 'failed');
	// A registered database that is down is an issue to report, even where the plan lets the run go on (MongoDB "if applicable").
	const unhealthy = (state.data.health ?? []).some((h) => h.status === 'unhealthy');
	if (state.status === 'completed' && !failed && !unhealthy) return 'SUCCESS';
	return 'ISSUES';
}

function minutes(offset: string | undefined): number {
	return offset ? parseOffsetMs(offset) / 60_000 : 0;
}

/** The report's data, before it becomes Markdown (also `runbook report --json`). */
export function buildReportInput(input: {plan: LoadedPlan; state: RunState; secrets: readonly string[]; final: boolean}): ReportInput {
	const {plan, state} = input;
	const entries = [...plan.byId.values()];
	const items: ReportItem[] = entries
		.filter((e) => state.items[e.item.id] || e.section === 'forward')
		.map((e) => {
			const s = state.items[e.item.id];
			return {
				id: e.item.id,
				title: e.item.title,
				phase: e.phaseTitle,
				status: s?.status === 'waiting' ? 'pending' : (s?.status ?? 'pending'),
				...(s?.evidence?.expected ? {expected: s.evidence.expected} : {}),
				...(s?.evidence?.actual ? {actual: s.evidence.actual} : s?.error ? {actual: s.error} : {}),
				...(s?.startedAt ? {startedAt: s.startedAt} : {}),
				...(s?.endedAt ? {endedAt: s.endedAt} : {}),
				...(s?.skipReason ? {skipReason: s.skipReason} : {}),
			};
		});
	const verifications = plan.plan.reportVerifications.map((v) => {
		const statuses = v.items.map((id) => state.items[id]?.status ?? 'pending');
		const result: 'PASS' | 'FAIL' | 'NOT RUN' = statuses.every((s) => s === 'passed') ? 'PASS' : statuses.some((s) => s === 'failed') ? 'FAIL' : 'NOT RUN';
		const bad = v.items.filter((id) => state.items[id]?.status !== 'passed');
		return {name: v.name, result, ...(bad.length > 0 ? {detail: `not passed: ${bad.join(', ')}`} : {detail: `${v.items.length} checks passed`})};
	});
	const t0Ms = tClock(plan.plan, state, Date.now()).t0Ms;
	const rowStatus = new Map(timelineRows(plan.plan, state, Date.now()).map((r) => [r.id, r.status]));
	const timeline: TimelineRow[] = plan.plan.timeline.map((row) => {
		const ids = plan.forward.filter((e) => e.item.timeline === row.id).map((e) => state.items[e.item.id]);
		const starts = ids.map((s) => s?.startedAt).filter((x): x is string => Boolean(x)).sort();
		const ends = ids.map((s) => s?.endedAt).filter((x): x is string => Boolean(x)).sort();
		const done = ids.length > 0 && ids.every((s) => s?.status === 'passed' || s?.status === 'skipped');
		return {
			at: `T${row.at.startsWith('-') || row.at.startsWith('+') ? row.at : `+${row.at}`}`,
			activity: row.activity,
			plannedMinutes: minutes(row.duration),
			owner: row.owner ?? '',
			...(t0Ms === undefined ? {} : {plannedStart: new Date(t0Ms + parseOffsetMs(row.at)).toISOString()}),
			...(rowStatus.get(row.id) ? {status: rowStatus.get(row.id)!} : {}),
			...(starts[0] ? {actualStart: starts[0]} : {}),
			...(done && ends.length > 0 ? {actualEnd: ends.at(-1)!} : {}),
		};
	});
	const comparison = state.data['baseline-comparison'];
	const objectsAfter = state.data['objects-after'];
	const objectsBefore = state.data['objects-before'];
	const health = state.data.health?.map(
		(h): HealthRow => ({name: h.name, type: h.type, status: h.status, latencyMs: h.latencyMs, ...(h.error ? {error: h.error} : {})}),
	);
	const appChecks = state.data['app-checks'];
	const probes = probesSection(plan, state);
	const security = securitySection(plan, state);
	const failedItems = entries.filter((e) => state.items[e.item.id]?.status === 'failed');
	const skipped = entries.filter((e) => state.items[e.item.id]?.status === 'skipped' && state.items[e.item.id]?.skipReason && !state.items[e.item.id]?.skipReason?.startsWith('not applicable'));
	const reportInput: ReportInput = {
		planTitle: plan.plan.title,
		planFile: plan.plan.source ?? plan.file,
		target: state.target,
		status: reportStatus(state),
		timing: {startedAt: state.startedAt, ...(state.status !== 'running' ? {endedAt: state.updatedAt} : {}), plannedMinutes: 60},
		items,
		verifications,
		timeline,
		notes: state.notes.map((n) => ({at: n.at, text: n.by ? `${n.text} (${n.by})` : n.text})),
		issues: [
			...failedItems.map((e) => {
				const s = state.items[e.item.id]!;
				const row = plan.plan.decisionMatrix.find((m) => m.id === s.matrixRow);
				return {summary: `${e.item.id} (${e.item.title}) failed: ${s.error ?? ''}`, ...(row ? {severity: row.severity, resolution: `${row.procedure}${row.rollback ? ' (rollback)' : ''}`} : {})};
			}),
			...skipped.map((e) => ({summary: `${e.item.id} (${e.item.title}) skipped by the operator: ${state.items[e.item.id]?.skipReason ?? ''}`})),
			...state.rollbacks.map((r) => ({summary: `Rollback level ${r.level} at ${r.at}: ${r.reason}`, severity: 'HIGH' as const})),
			// What the run created and is still there: the pre-restore copy of rollback level 3 with its size, or a leftover.
			...openResources(state).map((r) => ({summary: `Still on ${r.server ?? 'this host'}: ${describeResource(r, humanBytes)}`, resolution: r.holdsData ? 'Kept until the operator says so: `runbook cleanup --drop NAME` removes it, `--keep NAME` keeps it untracked.' : '`runbook cleanup` removes it.'})),
			...(health ?? []).filter((h) => h.status === 'unhealthy').map((h) => ({summary: `${h.name} (${h.type}) is unhealthy: ${h.error ?? 'no answer'}`, severity: 'HIGH' as const, resolution: 'Check the service and its URL; the registration stays, and update_database_health records the next check.'})),
		],
		...(probes ? {probes} : {}),
		...(security ? {security} : {}),
		...(comparison ? {baseline: {columns: ['before / after'], rows: comparison.table.map((line) => [line])}} : {}),
		...(comparison
			? {baselineQueries: comparison.comparison.queries.map((q) => ({id: q.id, beforeMedianMs: q.beforeMedian, afterMedianMs: q.afterMedian, deltaPct: q.deltaPct, verdict: q.verdict}))}
			: {}),
		...(health ? {health} : {}),
		...(appChecks ? {appChecks} : {}),
		...(objectsAfter ? {objectCounts: {after: objectsAfter, ...(objectsBefore ? {before: objectsBefore} : {})}} : {}),
		nextSteps: plan.plan.nextSteps.flatMap((s) => s.items.map((i) => `${s.title}: ${i}`)).slice(0, 12),
		signOff: state.data.signoff ?? {preparedBy: plan.plan.signoff?.preparedBy},
		secrets: input.secrets,
	};
	return reportInput;
}

export async function buildReport(input: {plan: LoadedPlan; state: RunState; secrets: readonly string[]; final: boolean}): Promise<string> {
	return renderReport(buildReportInput(input));
}
