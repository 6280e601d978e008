/**
 * The public JSON shapes of `--json` (documented in the README, "JSON
 * output"). Each document carries `schema` (what it is) and `version` (bumped
 * only when a field changes meaning or goes away; new fields may appear in the
 * same version). They are built from the engine's state but are not the state:
 * the state may change shape without notice, these may not.
 */
import type {LoadedPlan} from '../plan/load.js';
import type {EngineEvent, RunState} from '../state/types.js';
import {runProgress, tClock, timelineRows} from '../state/timeline.js';
import {countRun, probesData} from '../probes/summary.js';

export const JSON_VERSION = 1;

type Envelope<S extends string> = {readonly schema: S; readonly version: typeof JSON_VERSION};

function envelope<S extends string>(schema: S): Envelope<S> {
	return {schema, version: JSON_VERSION};
}

/** One line of `run --yes --json` / `rollback --json`: an engine event as it was journaled. */
export function eventJson(event: EngineEvent): string {
	return JSON.stringify({...envelope('runbook.event'), ...event});
}

export type StatusItemJson = {
	readonly id: string;
	readonly section: 'forward' | 'rollback' | 'monitoring';
	readonly phase: string;
	readonly title: string;
	readonly kind: string;
	readonly status: string;
	readonly attempts: number;
	readonly startedAt?: string;
	readonly endedAt?: string;
	readonly durationMs?: number;
	readonly expected?: string;
	readonly actual?: string;
	readonly error?: string;
	readonly matrixRow?: string;
	readonly skipReason?: string;
	readonly note?: string;
};

/** `runbook status --json` from the local state. */
export function statusJson(plan: LoadedPlan, state: RunState, now = Date.now()) {
	const progress = runProgress(plan.plan, state);
	const clock = tClock(plan.plan, state, now);
	const items: StatusItemJson[] = [...plan.byId.values()]
		.filter((e) => e.section === 'forward' || state.items[e.item.id])
		.map((e) => {
			const s = state.items[e.item.id];
			const ev = s?.evidence;
			return {
				id: e.item.id,
				section: e.section,
				phase: e.phaseTitle,
				title: e.item.title,
				kind: e.item.kind,
				status: s?.status ?? 'pending',
				attempts: s?.attempts ?? 0,
				...(s?.startedAt ? {startedAt: s.startedAt} : {}),
				...(s?.endedAt ? {endedAt: s.endedAt} : {}),
				...(ev ? {durationMs: ev.durationMs} : {}),
				...(ev?.expected ? {expected: ev.expected} : {}),
				...(ev?.actual ? {actual: ev.actual} : {}),
				...(s?.error ? {error: s.error} : {}),
				...(s?.matrixRow ? {matrixRow: s.matrixRow} : {}),
				...(s?.skipReason ? {skipReason: s.skipReason} : {}),
				...(s?.note ? {note: s.note} : {}),
			};
		});
	const comparison = state.data['baseline-comparison'];
	return {
		...envelope('runbook.status'),
		source: 'state' as const,
		plan: {id: plan.plan.id, title: plan.plan.title, sha256: state.planSha256},
		target: state.target,
		run: {
			id: state.runId,
			status: state.status,
			...(state.statusMessage ? {message: state.statusMessage} : {}),
			startedAt: state.startedAt,
			updatedAt: state.updatedAt,
			pid: state.pid,
			host: state.host,
			...(state.currentItem ? {currentItem: state.currentItem} : {}),
		},
		progress: {total: progress.total, done: progress.done, passed: progress.passed, failed: progress.failed, skipped: progress.skipped, running: progress.running, waiting: progress.waiting},
		clock: {label: clock.label, ...(clock.t0Ms === undefined ? {} : {t0: new Date(clock.t0Ms).toISOString()}), t0Actual: clock.t0Actual},
		...(state.waiting ? {waiting: {itemId: state.waiting.itemId, reason: state.waiting.reason, prompt: state.waiting.prompt}} : {}),
		items,
		// What the run created on the server and the disk (issue 15): open ones are still there.
		resources: Object.values(state.resources ?? {}).map((r) => ({
			id: r.id,
			kind: r.kind,
			name: r.name,
			purpose: r.purpose,
			status: r.status,
			holdsData: Boolean(r.holdsData),
			...(r.server ? {server: r.server} : {}),
			...(r.bytes === undefined ? {} : {bytes: r.bytes}),
			...(r.pid === undefined ? {} : {pid: r.pid}),
			...(r.itemId ? {itemId: r.itemId} : {}),
			registeredAt: r.registeredAt,
			...(r.releasedAt ? {releasedAt: r.releasedAt} : {}),
			...(r.how ? {how: r.how} : {}),
		})),
		timeline: timelineRows(plan.plan, state, now).map((row) => ({
			id: row.id,
			at: row.at,
			activity: row.activity,
			status: row.status,
			plannedOffsetMs: row.plannedOffsetMs,
			plannedDurationMs: row.plannedDurationMs,
			...(row.actualOffsetMs === undefined ? {} : {actualOffsetMs: row.actualOffsetMs}),
			...(row.actualDurationMs === undefined ? {} : {actualDurationMs: row.actualDurationMs}),
		})),
		...(comparison
			? {
					baseline: {
						ok: comparison.ok,
						summary: comparison.summary,
						queries: comparison.comparison.queries.map((q) => ({id: q.id, beforeMedianMs: q.beforeMedian, afterMedianMs: q.afterMedian, deltaPct: q.deltaPct, verdict: q.verdict, planChanged: q.planChanged})),
					},
				}
			: {}),
		...(probesData(state.data).runs.length > 0
			? {
					probes: probesData(state.data).runs.map((run) => ({
						itemId: run.itemId,
						...(run.after ? {after: run.after} : {}),
						role: run.role,
						rls: run.rls,
						counts: countRun(plan.plan.probes.length, run),
						results: run.results.map((r) => {
							const v = run.verdicts.find((x) => x.probeId === r.probeId);
							return {id: r.probeId, outcome: r.outcome, rows: r.rows, columns: r.columns, ...(r.sqlstate ? {sqlstate: r.sqlstate} : {}), ...(r.message ? {message: r.message} : {}), ok: v?.ok ?? true, readiness: v?.readiness ?? false, problems: v?.problems ?? []};
						}),
					})),
				}
			: {}),
		rollbacks: state.rollbacks,
		notes: state.notes,
	};
}

export type LedgerMigration = {
	readonly item: string;
	readonly title?: string;
	readonly file: string;
	readonly sha256: string;
	readonly runId: string;
	readonly appliedAt: string;
	readonly appliedBy: string;
};

export type LedgerEvent = {
	readonly id: number;
	readonly item: string;
	readonly action: string;
	readonly file: string;
	readonly runId: string;
	readonly at: string;
	readonly by: string;
};

export type ServerStatus = {
	readonly planId: string;
	readonly target: string;
	/** Whether the ledger (schema runbook) exists on the target at all. */
	readonly ledger: boolean;
	readonly migrations: ReadonlyArray<{
		readonly item: string;
		readonly title: string;
		readonly file?: string;
		/** applied; pending; changed (applied, but the file's sha256 differs from the one applied); unknown (in the ledger, not in the plan). */
		readonly state: 'applied' | 'pending' | 'changed' | 'unknown';
		readonly applied?: LedgerMigration;
	}>;
	readonly events: readonly LedgerEvent[];
};

/** `runbook status --json` read from the server's ledger (no local state). */
export function serverStatusJson(status: ServerStatus) {
	return {...envelope('runbook.status'), source: 'server' as const, ...status};
}

export type ValidateProblem = {readonly line: number; readonly field?: string; readonly message: string};

export function validateJson(input: {file: string; problems: readonly ValidateProblem[]; counts?: Record<string, number>}) {
	return {
		...envelope('runbook.validate'),
		file: input.file,
		valid: input.problems.length === 0,
		problems: input.problems.map((p) => ({line: p.line, ...(p.field ? {field: p.field} : {}), message: p.message})),
		...(input.counts ? {counts: input.counts} : {}),
	};
}

export function verifyBackupJson(input: {file: string; ok: boolean; format?: string; bytes?: number; sha256?: string; reason?: string; checks: ReadonlyArray<{name: string; ok: boolean; detail: string}>}) {
	return {...envelope('runbook.verify-backup'), ...input};
}

export function reportJson(report: Record<string, unknown>) {
	return {...envelope('runbook.report'), ...report};
}

export function writeJson(value: unknown): void {
	process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
