/**
 * A probe's verdict: compared with its last good run (before the migrations,
 * or after an earlier one), it fails when it now errors, returns another
 * column set, or returns no rows where it returned some; on any run, when a
 * column the application relies on is missing or comes back NULL. An empty
 * table never fails a probe by itself: zero rows then and now is no change.
 */
import type {Probe} from '../plan/schema.js';
import type {ProbeResult, ProbeStageRun, ProbeVerdict} from './types.js';

/** The most recent earlier run in which this probe ran and was good. */
export function referenceFor(probeId: string, earlier: readonly ProbeStageRun[]): {itemId: string; result: ProbeResult} | undefined {
	for (let i = earlier.length - 1; i >= 0; i--) {
		const run = earlier[i]!;
		const result = run.results.find((r) => r.probeId === probeId);
		const verdict = run.verdicts.find((v) => v.probeId === probeId);
		if (result && result.outcome === 'ok' && verdict?.ok && verdict.problems.length === 0) return {itemId: run.itemId, result};
	}
	return undefined;
}

export function shapeOf(result: Pick<ProbeResult, 'outcome' | 'rows' | 'columns' | 'sqlstate' | 'message' | 'reason'>): string {
	if (result.outcome === 'error') return `ERROR ${result.sqlstate ?? '?'}: ${result.message ?? ''}`;
	if (result.outcome === 'not-measured') return `not measured (${result.reason ?? 'no data'})`;
	return `${result.rows} row${result.rows === 1 ? '' : 's'}, ${result.columns.length} column${result.columns.length === 1 ? '' : 's'}`;
}

export function verdictFor(probe: Probe, now: ProbeResult, earlier: readonly ProbeStageRun[]): ProbeVerdict {
	const readiness = probe.readinessFor !== undefined;
	const ref = referenceFor(probe.id, earlier);
	const reference = ref ? {itemId: ref.itemId, rows: ref.result.rows, columns: ref.result.columns} : undefined;
	const problems: string[] = [];
	if (now.outcome === 'error') {
		problems.push(`now fails with SQLSTATE ${now.sqlstate ?? '?'}: ${now.message ?? ''}`);
	} else if (now.outcome === 'ok') {
		const missing = (probe.columns ?? []).filter((c) => !now.columns.includes(c));
		const missingNonNull = (probe.nonNull ?? []).filter((c) => !now.columns.includes(c) && !missing.includes(c));
		if (missing.length + missingNonNull.length > 0) problems.push(`the application's column${missing.length + missingNonNull.length === 1 ? '' : 's'} ${[...missing, ...missingNonNull].join(', ')} missing from the result`);
		if (now.nullIn && now.nullIn.length > 0) problems.push(`${now.nullIn.join(', ')} NULL in a returned row (the application would get NULL)`);
		if (ref) {
			const gone = ref.result.columns.filter((c) => !now.columns.includes(c));
			const added = now.columns.filter((c) => !ref.result.columns.includes(c));
			if (gone.length > 0 || added.length > 0) problems.push(`returns another column set (${[gone.length > 0 ? `no longer ${gone.join(', ')}` : '', added.length > 0 ? `new ${added.join(', ')}` : ''].filter(Boolean).join('; ')})`);
			if (ref.result.rows > 0 && now.rows === 0) problems.push(`returns 0 rows where it returned ${ref.result.rows}`);
		}
	}
	return {probeId: probe.id, ok: readiness || problems.length === 0, readiness, ...(reference ? {reference} : {}), problems};
}
