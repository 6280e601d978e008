/**
 * Baselines through the engine: a plan may add its own queries to the plan's
 * three; before and after are compared with the noise guard and the table is
 * recorded for the TUI and the report. Then `runbook monitor` on the result.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {parse, stringify} from 'yaml';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {runCli, subsetPlan, tempDir} from '../helpers/cli.js';

let db: TestDatabase;
let stateDir: string;
let run: {exitCode: number; stdout: string; stderr: string};

beforeAll(async () => {
	db = await freshDatabase('baseline_plan');
	const file = subsetPlan(['pre-readiness', 'step1', 'step2', 'post-performance']);
	const plan = parse(readFileSync(file, 'utf8')) as Record<string, unknown> & {phases: Array<{id: string; items: Array<{id: string}>}>};
	// Only the baseline and object-count items of the readiness phase (the others need options or an operator).
	plan.phases = plan.phases.map((p) => (p.id === 'pre-readiness' ? {...p, items: p.items.filter((i) => i.id === 'ready.baseline-before' || i.id === 'ready.objects-before')} : p));
	plan['baselineQueries'] = [
		{id: 'projects-of-busiest-org', title: 'Projects of the busiest organization', sql: 'SELECT * FROM platform.projects WHERE organization_id = $1', params: [{from: 'SELECT organization_id FROM platform.audit_logs GROUP BY 1 ORDER BY count(*) DESC LIMIT 1'}]},
	];
	const withQueries = path.join(path.dirname(file), 'with-queries.yaml');
	writeFileSync(withQueries, stringify(plan));
	stateDir = tempDir('baseline-plan');
	run = await runCli(['run', '--yes', '--database-url', db.url, '--state-dir', stateDir, '--plan', withQueries, '--app-role', 'runbook_app']);
}, 180_000);

afterAll(async () => {
	await db?.drop();
});

describe('baselines in a run', () => {
	it('measures the plan\'s three queries and the plan file\'s own, before and after, as the application role', () => {
		expect(run.exitCode).toBe(0);
		const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as {data: Record<string, {queries: Array<{id: string; executionMs: number[]}>; ranAs: {role: string; rlsBypass: string | null}}>};
		for (const label of ['baseline-before', 'baseline-after']) {
			const baseline = state.data[label]!;
			expect(baseline.queries.map((q) => q.id)).toEqual(['session-validation', 'audit-log-latest', 'organization-members', 'projects-of-busiest-org']);
			expect(baseline.queries.every((q) => q.executionMs.length >= 7)).toBe(true);
			expect(baseline.ranAs).toMatchObject({role: 'runbook_app', rlsBypass: null});
		}
	});

	it('records the before/after table with a verdict per query', () => {
		const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as {data: {'baseline-comparison': {table: string[]; comparison: {queries: Array<{id: string; verdict: string}>}}}};
		const comparison = state.data['baseline-comparison'];
		expect(comparison.comparison.queries.map((q) => q.id)).toEqual(['session-validation', 'audit-log-latest', 'organization-members', 'projects-of-busiest-org']);
		for (const q of comparison.comparison.queries) expect(['ok', 'noise', 'regression', 'improvement']).toContain(q.verdict);
		expect(comparison.table.join('\n')).toMatch(/projects-of-busiest-org|Projects of the busiest organization/);
	});

	it('runbook monitor reports the stability checks and explains what pg_stat_statements cannot see', async () => {
		const result = await runCli(['monitor', '--database-url', db.url, '--state-dir', stateDir]);
		expect(result.stderr).not.toMatch(/bug in runbook/);
		expect(result.stdout).toMatch(/pg_stat_statements/);
		expect(result.stdout).toMatch(/RLS/);
		// Migration 3 did not run here: no registered database, so the configurations check cannot pass.
		expect(result.exitCode).toBe(1);
	});
});
