import {describe, expect, test} from 'vitest';
import {compareBaselines} from '../../source/baseline/compare.js';
import {formatComparisonTable} from '../../source/baseline/format-comparison.js';
import {summarise} from '../../source/baseline/stats.js';
import type {BaselineResult, QueryBaseline, RanAs} from '../../source/baseline/result.js';
import type {RelationScan} from '../../source/baseline/plan-summary.js';

const APP: RanAs = {
	role: 'runbook_app',
	sessionUser: 'postgres',
	viaSetRole: true,
	superuser: false,
	bypassRls: false,
	ownsRelations: [],
	rlsEnabledRelations: [],
	rlsBypass: null,
};

const INDEX_SCAN: RelationScan[] = [{relation: 'platform.audit_logs', scan: 'Index Scan', indexes: ['idx_audit']}];

function q(id: string, runs: number[], scans: RelationScan[] = INDEX_SCAN, rows = 50): QueryBaseline {
	const s = summarise(runs);
	return {
		id,
		title: id,
		sql: 'SELECT 1',
		params: [{index: 1, source: 'database', display: 'org-1'}],
		executionMs: runs,
		medianMs: s.median,
		p95Ms: s.p95,
		minMs: s.min,
		maxMs: s.max,
		iqrMs: s.iqr,
		planningMedianMs: 0.1,
		rows,
		sharedHit: 10,
		sharedRead: 0,
		planNodes: [],
		planShape: scans.map((x) => x.scan).join(', '),
		scans,
	};
}

function result(label: 'before' | 'after', queries: QueryBaseline[], ranAs: RanAs = APP): BaselineResult {
	return {
		label,
		capturedAt: '2025-11-22T02:00:00.000Z',
		durationMs: 1000,
		serverVersion: '15.18',
		serverVersionNum: 150018,
		database: 'db',
		ranAs,
		warmups: 2,
		runs: 7,
		queries,
		warnings: [],
	};
}

function compareOne(before: number[], after: number[]) {
	return compareBaselines(result('before', [q('a', before)]), result('after', [q('a', after)])).queries[0]!;
}

describe('compareBaselines', () => {
	test('a 50% slower median inside the runs\u2019 own spread is noise', () => {
		// before: median 8, IQR 14 - 5 = 9; after: median 12, IQR 18 - 8 = 10; delta 4 < noise 10.
		const c = compareOne([4, 5, 6, 8, 10, 14, 20], [6, 8, 10, 12, 14, 18, 25]);
		expect(c).toMatchObject({beforeMedian: 8, afterMedian: 12, delta: 4, deltaPct: 0.5, noise: 10, verdict: 'noise', planChanged: false});
	});

	test('a clearly slower median beyond the noise is a regression and fails the comparison', () => {
		const comparison = compareBaselines(
			result('before', [q('a', [10, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6])]),
			result('after', [q('a', [15, 15.1, 15.2, 15.3, 15.4, 15.5, 15.6])]),
		);
		expect(comparison.queries[0]).toMatchObject({delta: 5, deltaPct: 0.4854, noise: 0.4, verdict: 'regression'});
		expect(comparison.ok).toBe(false);
		expect(comparison.summary).toBe('1 query: 1 regression (a +49%)');
	});

	test('a change within 10% is ok even when it is beyond the noise', () => {
		expect(compareOne([10, 10, 10, 10, 10, 10, 10], [10.9, 10.9, 10.9, 10.9, 10.9, 10.9, 10.9]).verdict).toBe('ok');
	});

	test('a much faster median beyond the noise is an improvement', () => {
		expect(compareOne([20, 20, 20, 20, 20, 20, 20], [10, 10, 10, 10, 10, 10, 10]).verdict).toBe('improvement');
	});

	test('a change under 1 ms is never a regression, whatever its percentage', () => {
		const c = compareOne([0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]);
		expect(c).toMatchObject({delta: 0.3, deltaPct: 1, noise: 0, verdict: 'noise'});
	});

	test('flags a plan change that is not a downgrade without failing', () => {
		const after = q('a', [10, 10, 10, 10, 10, 10, 10], [{relation: 'platform.audit_logs', scan: 'Index Only Scan', indexes: ['idx_audit']}]);
		const comparison = compareBaselines(result('before', [q('a', [10, 10, 10, 10, 10, 10, 10])]), result('after', [after]));
		expect(comparison.queries[0]).toMatchObject({
			verdict: 'ok',
			planChanged: true,
			planDowngrade: false,
			planChange: 'platform.audit_logs: Index Scan (idx_audit) → Index Only Scan (idx_audit)',
		});
		expect(comparison.ok).toBe(true);
	});

	test('fails on an index-to-Seq-Scan downgrade even when the time is within bounds', () => {
		const after = q('a', [10, 10, 10, 10, 10, 10, 10], [{relation: 'platform.audit_logs', scan: 'Seq Scan', indexes: []}]);
		const comparison = compareBaselines(result('before', [q('a', [10, 10, 10, 10, 10, 10, 10])]), result('after', [after]));
		expect(comparison.queries[0]).toMatchObject({verdict: 'ok', planDowngrade: true, planChange: 'platform.audit_logs: Index Scan (idx_audit) → Seq Scan'});
		expect(comparison.ok).toBe(false);
	});

	test('a query measured before but not after fails the comparison', () => {
		const comparison = compareBaselines(result('before', [q('a', [1, 1, 1, 1, 1, 1, 1]), q('b', [1, 1, 1, 1, 1, 1, 1])]), result('after', [q('a', [1, 1, 1, 1, 1, 1, 1])]));
		expect(comparison.missingAfter).toEqual(['b']);
		expect(comparison.ok).toBe(false);
	});

	test('warns when the row counts differ and when the roles differ', () => {
		const owner: RanAs = {...APP, role: 'postgres', viaSetRole: false, superuser: true, rlsBypass: 'superuser'};
		const comparison = compareBaselines(result('before', [q('a', [1, 1, 1, 1, 1, 1, 1])], owner), result('after', [q('a', [1, 1, 1, 1, 1, 1, 1], INDEX_SCAN, 0)]));
		expect(comparison.warnings).toEqual([
			'a returned 50 row(s) before and 0 after: the timings measure different work (row-level security filtering rows, or changed data).',
			'The baselines ran as different roles (before: postgres, bypassing RLS as superuser; after: runbook_app).',
		]);
	});
});

describe('formatComparisonTable', () => {
	test('renders an ASCII before/after table with the plan change and the verdict line', () => {
		const after = q('audit-log-latest', [15, 15.1, 15.2, 15.3, 15.4, 15.5, 15.6], [{relation: 'platform.audit_logs', scan: 'Seq Scan', indexes: []}]);
		const comparison = compareBaselines(
			result('before', [q('audit-log-latest', [10, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6]), q('session-validation', [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])]),
			result('after', [after, q('session-validation', [0.52, 0.52, 0.52, 0.52, 0.52, 0.52, 0.52])]),
		);
		expect(formatComparisonTable(comparison, {width: 80, ascii: true})).toEqual([
			'Query               Before ms  After ms      d ms     d % Noise ms  Verdict',
			'--------------------------------------------------------------------------------',
			'audit-log-latest         10.3      15.3    +5.000    +49%    0.400  REGRESSION !',
			'  `- plan downgrade: platform.audit_logs: Index Scan (idx_audit) -> Seq Scan',
			'session-validation      0.500     0.520    +0.020   +4.0%    0.000  ok',
			'--------------------------------------------------------------------------------',
			'FAIL: 2 queries: 1 ok, 1 regression (audit-log-latest +49%); plan downgrade in',
			'  audit-log-latest; within 10% (changes under the noise or 1 ms ignored)',
		]);
	});
});
