/**
 * Compares an "after" baseline with the "before" one, for the plan's success
 * criterion "Query performance within 10% of baseline".
 *
 * A change counts only when it is larger than the noise of the runs
 * themselves and at least `minAbsMs`: a 0.3 ms query that takes 0.4 ms is
 * +33% and means nothing. Noise is the larger interquartile range (IQR) of the
 * two sets of runs. Why the IQR and not p95 − median: with 7 runs the p95 is
 * the single slowest run, so one checkpoint or autovacuum hiccup would widen
 * the band enough to hide a real regression; the IQR ignores the extreme runs
 * at both ends and measures how much typical runs disagree, which is what a
 * shift of the median has to exceed to be believed.
 *
 * Independently of time, a plan change is flagged, and a relation that was
 * read through an index before and is sequentially scanned after is a
 * downgrade: it fails the comparison even when today's data is small enough
 * for the Seq Scan to be fast.
 */
import type {BaselineResult, QueryBaseline} from './result.js';
import {isIndexScan, type RelationScan} from './plan-summary.js';
import {round3, summarise} from './stats.js';

export type Verdict = 'ok' | 'regression' | 'improvement' | 'noise';

export type QueryComparison = {
	readonly id: string;
	readonly title: string;
	readonly beforeMedian: number;
	readonly afterMedian: number;
	/** after − before, ms. */
	readonly delta: number;
	/** delta / before as a fraction (0.1 = +10%); null when before is 0. */
	readonly deltaPct: number | null;
	/** The runs' own spread (max IQR of both sides), ms. */
	readonly noise: number;
	readonly verdict: Verdict;
	readonly planChanged: boolean;
	/** A relation went from an index scan to a Seq Scan. */
	readonly planDowngrade: boolean;
	/** "platform.audit_logs: Index Scan (idx_audit_logs_org_created) → Seq Scan"; empty when unchanged. */
	readonly planChange: string;
	readonly beforeShape: string;
	readonly afterShape: string;
	readonly rowsBefore: number;
	readonly rowsAfter: number;
};

export type Comparison = {
	/** No regression, no plan downgrade, and every "before" query measured after. */
	readonly ok: boolean;
	readonly threshold: number;
	readonly minAbsMs: number;
	readonly queries: readonly QueryComparison[];
	/** Query ids measured before but not after (or after but not before). */
	readonly missingAfter: readonly string[];
	readonly extraAfter: readonly string[];
	readonly warnings: readonly string[];
	/** One line for status and the report: "3 queries: 2 ok, 1 regression (audit-log-latest +35%)". */
	readonly summary: string;
};

/** What the run keeps of a before/after comparison (`state.data['baseline-comparison']`). */
export type BaselineComparisonData = {readonly ok: boolean; readonly summary: string; readonly table: readonly string[]; readonly comparison: Comparison};

export type CompareOptions = {
	/** Allowed slowdown as a fraction (default 0.10). */
	readonly threshold?: number;
	/** Changes smaller than this many ms never count (default 1). */
	readonly minAbsMs?: number;
};

function noiseOf(query: QueryBaseline): number {
	if (query.executionMs.length > 0) return summarise(query.executionMs).iqr;
	return query.iqrMs;
}

function scanKey(scan: RelationScan): string {
	return scan.indexes.length > 0 ? `${scan.scan} (${scan.indexes.join(', ')})` : scan.scan;
}

function byRelation(scans: readonly RelationScan[]): Map<string, RelationScan[]> {
	const map = new Map<string, RelationScan[]>();
	for (const scan of scans) map.set(scan.relation, [...(map.get(scan.relation) ?? []), scan]);
	return map;
}

/** Describes how each relation's access changed; flags index → Seq Scan. */
export function describePlanChange(before: QueryBaseline, after: QueryBaseline): {changed: boolean; downgrade: boolean; description: string} {
	const was = byRelation(before.scans);
	const now = byRelation(after.scans);
	const parts: string[] = [];
	let downgrade = false;
	for (const relation of [...new Set([...was.keys(), ...now.keys()])].sort()) {
		const a = (was.get(relation) ?? []).map(scanKey).sort();
		const b = (now.get(relation) ?? []).map(scanKey).sort();
		if (a.join('|') === b.join('|')) continue;
		parts.push(`${relation}: ${a.length > 0 ? a.join(' + ') : 'not read'} → ${b.length > 0 ? b.join(' + ') : 'not read'}`);
		const hadIndex = (was.get(relation) ?? []).some((s) => isIndexScan(s.scan));
		const nowSeq = (now.get(relation) ?? []).some((s) => s.scan === 'Seq Scan');
		if (hadIndex && nowSeq) downgrade = true;
	}
	if (parts.length === 0 && before.planShape !== after.planShape) parts.push(`plan: ${before.planShape} → ${after.planShape}`);
	return {changed: parts.length > 0, downgrade, description: parts.join('; ')};
}

export function compareQuery(before: QueryBaseline, after: QueryBaseline, threshold: number, minAbsMs: number): QueryComparison {
	const delta = round3(after.medianMs - before.medianMs);
	const deltaPct = before.medianMs > 0 ? delta / before.medianMs : null;
	const noise = round3(Math.max(noiseOf(before), noiseOf(after)));
	const beyondNoise = Math.abs(delta) > noise && Math.abs(delta) >= minAbsMs;
	const pct = deltaPct ?? (delta > 0 ? Infinity : delta < 0 ? -Infinity : 0);
	let verdict: Verdict;
	if (Math.abs(pct) <= threshold) verdict = 'ok';
	else if (!beyondNoise) verdict = 'noise';
	else verdict = pct > 0 ? 'regression' : 'improvement';
	const plan = describePlanChange(before, after);
	return {
		id: before.id,
		title: before.title,
		beforeMedian: before.medianMs,
		afterMedian: after.medianMs,
		delta,
		deltaPct: deltaPct === null ? null : Math.round(deltaPct * 10_000) / 10_000,
		noise,
		verdict,
		planChanged: plan.changed,
		planDowngrade: plan.downgrade,
		planChange: plan.description,
		beforeShape: before.planShape,
		afterShape: after.planShape,
		rowsBefore: before.rows,
		rowsAfter: after.rows,
	};
}

export function formatPct(fraction: number | null): string {
	if (fraction === null) return 'n/a';
	const pct = fraction * 100;
	const text = Math.abs(pct) >= 10 ? pct.toFixed(0) : pct.toFixed(1);
	return `${pct > 0 ? '+' : ''}${text}%`;
}

export function compareBaselines(before: BaselineResult, after: BaselineResult, options: CompareOptions = {}): Comparison {
	const threshold = options.threshold ?? 0.1;
	const minAbsMs = options.minAbsMs ?? 1;
	const afterById = new Map(after.queries.map((q) => [q.id, q]));
	const beforeIds = new Set(before.queries.map((q) => q.id));
	const queries: QueryComparison[] = [];
	const missingAfter: string[] = [];
	const warnings: string[] = [];
	for (const b of before.queries) {
		const a = afterById.get(b.id);
		if (a === undefined) {
			missingAfter.push(b.id);
			continue;
		}
		const result = compareQuery(b, a, threshold, minAbsMs);
		queries.push(result);
		if (result.rowsBefore !== result.rowsAfter) {
			warnings.push(`${b.id} returned ${result.rowsBefore} row(s) before and ${result.rowsAfter} after: the timings measure different work (row-level security filtering rows, or changed data).`);
		}
		const paramsBefore = b.params.map((p) => p.display).join(', ');
		const paramsAfter = a.params.map((p) => p.display).join(', ');
		if (paramsBefore !== paramsAfter) {
			warnings.push(`${b.id} ran with different parameters before (${paramsBefore}) and after (${paramsAfter}).`);
		}
	}
	const extraAfter = after.queries.filter((q) => !beforeIds.has(q.id)).map((q) => q.id);
	if (before.ranAs.role !== after.ranAs.role || before.ranAs.rlsBypass !== after.ranAs.rlsBypass) {
		warnings.push(
			`The baselines ran as different roles (before: ${before.ranAs.role}${before.ranAs.rlsBypass ? `, bypassing RLS as ${before.ranAs.rlsBypass}` : ''}; after: ${after.ranAs.role}${after.ranAs.rlsBypass ? `, bypassing RLS as ${after.ranAs.rlsBypass}` : ''}).`,
		);
	}
	if (after.ranAs.rlsBypass !== null) {
		warnings.push(`The "after" baseline bypassed row-level security (${after.ranAs.rlsBypass}); the comparison says nothing about what the policies cost.`);
	}
	if (missingAfter.length > 0) warnings.push(`Not measured after: ${missingAfter.join(', ')}.`);
	const regressions = queries.filter((q) => q.verdict === 'regression');
	const downgrades = queries.filter((q) => q.planDowngrade);
	const ok = regressions.length === 0 && downgrades.length === 0 && missingAfter.length === 0;
	return {ok, threshold, minAbsMs, queries, missingAfter, extraAfter, warnings, summary: summarize(queries, missingAfter)};
}

function summarize(queries: readonly QueryComparison[], missing: readonly string[]): string {
	const counts = new Map<Verdict, number>();
	for (const q of queries) counts.set(q.verdict, (counts.get(q.verdict) ?? 0) + 1);
	const order: Verdict[] = ['ok', 'noise', 'improvement', 'regression'];
	const parts = order.filter((v) => counts.has(v)).map((v) => `${counts.get(v)} ${v}`);
	const details = queries.filter((q) => q.verdict === 'regression').map((q) => `${q.id} ${formatPct(q.deltaPct)}`);
	const downgrades = queries.filter((q) => q.planDowngrade).map((q) => q.id);
	let line = `${queries.length} ${queries.length === 1 ? 'query' : 'queries'}: ${parts.join(', ') || 'none compared'}`;
	if (details.length > 0) line += ` (${details.join(', ')})`;
	if (downgrades.length > 0) line += `; plan downgrade in ${downgrades.join(', ')}`;
	if (missing.length > 0) line += `; not measured after: ${missing.join(', ')}`;
	return line;
}
