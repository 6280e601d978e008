/**
 * Probe runs as text, for every renderer (the item's evidence, the TUI detail
 * pane and watch, `status`, the report): counts, and one line per probe with
 * its result now and what it was compared with.
 */
import type {Probe} from '../plan/schema.js';
import {shapeOf} from './compare.js';
import {PROBES_DATA_KEY, type ProbeStageRun, type ProbesData} from './types.js';

/** The run data's probes entry (any record with it: the state's data). */
export type WithProbes = {readonly [PROBES_DATA_KEY]?: ProbesData};

export function probesData(data: WithProbes): ProbesData {
	const value = data[PROBES_DATA_KEY];
	return value && Array.isArray(value.runs) ? value : {runs: []};
}

export function runOf(data: WithProbes, itemId: string): ProbeStageRun | undefined {
	return probesData(data).runs.find((r) => r.itemId === itemId);
}

export type ProbeCounts = {
	/** Probes of the plan. */
	readonly total: number;
	/** Run in this stage. */
	readonly measured: number;
	/** Ran and gave no problem (readiness probes excluded). */
	readonly unchanged: number;
	/** Failed this stage's verification. */
	readonly changed: number;
	/** A required parameter had no row. */
	readonly notMeasured: number;
	/** Do not apply yet. */
	readonly notYet: number;
	readonly readiness: {readonly ready: number; readonly notReady: number};
};

export function countRun(total: number, run: ProbeStageRun): ProbeCounts {
	const byId = new Map(run.results.map((r) => [r.probeId, r]));
	const normal = run.verdicts.filter((v) => !v.readiness);
	const readiness = run.verdicts.filter((v) => v.readiness);
	const readyOf = (id: string) => byId.get(id)?.outcome === 'ok';
	return {
		total,
		measured: run.results.filter((r) => r.outcome !== 'not-measured').length,
		unchanged: normal.filter((v) => v.ok && byId.get(v.probeId)?.outcome === 'ok').length,
		changed: normal.filter((v) => !v.ok).length,
		notMeasured: run.results.filter((r) => r.outcome === 'not-measured').length,
		notYet: run.notYet.length,
		readiness: {ready: readiness.filter((v) => readyOf(v.probeId)).length, notReady: readiness.filter((v) => !readyOf(v.probeId)).length},
	};
}

/** "11 probes as runbook_app (RLS applies): 7 ran, 7 unchanged, 0 changed, 0 not measured (empty table), 4 apply later; readiness 0 of 1 ready" */
export function countsLine(counts: ProbeCounts, run: Pick<ProbeStageRun, 'role' | 'rls'>): string {
	const parts = [`${counts.measured} ran`, `${counts.unchanged} unchanged`, `${counts.changed} changed`];
	if (counts.notMeasured > 0) parts.push(`${counts.notMeasured} not measured (no row to take a parameter from)`);
	if (counts.notYet > 0) parts.push(`${counts.notYet} apply after a later migration`);
	const readiness = counts.readiness.ready + counts.readiness.notReady;
	const tail = readiness > 0 ? `; readiness for pending migrations: ${counts.readiness.ready} of ${readiness} ready` : '';
	return `${counts.total} probe${counts.total === 1 ? '' : 's'} as ${run.role} (${run.rls}): ${parts.join(', ')}${tail}`;
}

/** One line per probe of the run: mark, id, result now, and what it was compared with. */
export function probeLines(probes: readonly Probe[], run: ProbeStageRun): string[] {
	const lines: string[] = [];
	for (const probe of probes) {
		const result = run.results.find((r) => r.probeId === probe.id);
		if (!result) {
			if (run.notYet.includes(probe.id)) lines.push(`  · ${probe.id}  applies from ${probe.from ?? '?'} on`);
			continue;
		}
		const verdict = run.verdicts.find((v) => v.probeId === probe.id);
		const mark = verdict?.readiness ? (result.outcome === 'ok' ? 'ready' : 'NOT READY') : verdict?.ok ? '✓' : '✗';
		const was = verdict?.reference ? ` (${verdict.reference.itemId}: ${shapeOf({outcome: 'ok', rows: verdict.reference.rows, columns: verdict.reference.columns})})` : run.after ? ' (first run)' : '';
		lines.push(`  ${mark} ${probe.id}  ${probe.access} ${shapeOf(result)}${was}${verdict && verdict.problems.length > 0 && !verdict.readiness ? ` — ${verdict.problems.join('; ')}` : ''}`);
	}
	return lines;
}
