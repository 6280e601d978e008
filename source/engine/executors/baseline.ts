/**
 * Performance baselines: the plan's queries as EXPLAIN (ANALYZE, BUFFERS,
 * FORMAT JSON), before (pre-deployment) and after (post-deployment), as the
 * application role when one is given; the after item compares with the noise
 * guard and records the before/after table.
 */
import type {ExecContext, ItemOf, Outcome} from '../context.js';
import {captureBaseline} from '../../baseline/capture.js';
import {DEFAULT_BASELINE_QUERIES} from '../../baseline/queries.js';
import {compareBaselines, type BaselineComparisonData} from '../../baseline/compare.js';
import {formatComparisonTable} from '../../baseline/format-comparison.js';

export async function runBaselineItem(ctx: ExecContext<ItemOf<'baseline'>>): Promise<Outcome> {
	const item = ctx.item;
	const result = await captureBaseline({
		client: ctx.client,
		label: item.label,
		queries: [...DEFAULT_BASELINE_QUERIES, ...ctx.plan.plan.baselineQueries],
		...(ctx.settings.appRole ? {appRole: ctx.settings.appRole} : {}),
		signal: ctx.signal,
		onProgress: (p) => ctx.progress(`${p.queryId}: ${p.phase} ${p.run}/${p.of}`),
	});
	ctx.setData(`baseline-${item.label}`, result);
	const lines = [
		...result.queries.map((q) => `${q.id}: median ${q.medianMs.toFixed(3)} ms (p95 ${q.p95Ms.toFixed(3)}, min ${q.minMs.toFixed(3)}, max ${q.maxMs.toFixed(3)}), ${q.planShape}${q.params.some((p) => p.source === 'no-sample-row') ? ' (no sample row: measured with a value that matches nothing)' : ''}`),
		...result.warnings,
	];
	for (const l of lines) ctx.output(l);
	const ranAs = `${result.ranAs.role}${result.ranAs.rlsBypass ? ` (bypasses RLS: ${result.ranAs.rlsBypass} — pass --app-role for a meaningful baseline)` : ' (RLS applies)'}`;
	if (!item.compare) {
		const thin = result.queries.filter((q) => q.params.some((p) => p.source === 'no-sample-row')).map((q) => q.id);
		return {
			ok: true,
			evidence: {command: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) × ${result.warmups} warm-up + ${result.runs} runs per query, as ${ranAs}`, expected: `${result.queries.length} queries measured`, actual: lines.join('; '), outputTail: lines, details: {ranAs: result.ranAs}},
			...(thin.length > 0 ? {note: `no sample row for ${thin.join(', ')}: measured with a parameter that matches nothing`} : {}),
		};
	}
	const before = ctx.state().data['baseline-before'];
	if (!before) {
		return {ok: false, evidence: {actual: 'no "before" baseline in this run'}, error: 'There is no "before" baseline to compare with: the pre-deployment baseline item did not run in this run.'};
	}
	const comparison = compareBaselines(before, result);
	const table = formatComparisonTable(comparison, {width: 100});
	const data: BaselineComparisonData = {ok: comparison.ok, summary: comparison.summary, table, comparison};
	ctx.setData('baseline-comparison', data);
	for (const l of table) ctx.output(l);
	return {
		ok: true,
		evidence: {
			command: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON), ${result.runs} runs per query, as ${ranAs}; compared with the before baseline`,
			expected: 'after within 10% of before (changes under the runs\' own spread or 1 ms are noise); no Index Scan → Seq Scan',
			actual: comparison.summary,
			outputTail: table,
		},
		note: comparison.ok ? 'within baseline' : 'see the comparison: the performance criterion will fail',
	};
}

/** The success criterion "Query performance within 10% of baseline". */
export async function runPerformanceVerdict(ctx: ExecContext): Promise<Outcome> {
	const data = ctx.state().data['baseline-comparison'];
	if (!data) return {ok: false, evidence: {expected: 'a before/after comparison', actual: 'none recorded'}, error: 'No baseline comparison was recorded: the before and after baseline items must both run.'};
	for (const l of data.table) ctx.output(l);
	return {
		ok: data.ok,
		evidence: {expected: 'no regression beyond 10% and the noise guard; no plan downgrade', actual: data.summary, outputTail: [...data.table]},
		...(data.ok ? {} : {error: `Performance is not within the baseline: ${data.summary}. The decision matrix says: monitor and optimize (MEDIUM, no rollback).`, matrixRow: 'slow-queries'}),
	};
}
