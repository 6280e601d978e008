/** A small, complete report input (a run with one failed verification). */
import type {ReportInput} from '../../source/report/types.js';

export function reportInput(overrides: Partial<ReportInput> = {}): ReportInput {
	return {
		planTitle: 'Migration 006',
		planFile: 'runbook/migration-006.yaml',
		target: 'postgres@db.example.com:5432/app',
		status: 'ISSUES',
		timing: {startedAt: '2025-11-23T02:00:00.000Z', endedAt: '2025-11-23T02:14:32.000Z', plannedMinutes: 60},
		items: [
			{id: 'step1.exec', title: 'Execute Migration 1', phase: 'Step 1', status: 'passed', expected: 'exit 0', actual: 'exit 0', startedAt: '2025-11-23T02:00:00.000Z', endedAt: '2025-11-23T02:00:02.100Z'},
			{id: 'app.endpoints', title: 'All endpoints return 200', phase: 'Post-deployment', status: 'failed', expected: '200 ×4', actual: '/api/platform/projects 403'},
			{id: 'perf.baseline', title: 'Performance within 10%', phase: 'Technical success', status: 'skipped', skipReason: 'no application role given'},
		],
		verifications: [
			{name: 'Database integrity', result: 'PASS'},
			{name: 'Application tests', result: 'FAIL', detail: '1 of 4 endpoints returned 403'},
		],
		timeline: [
			{at: 'T+0m', activity: 'Execute Migration 1 (databases table)', plannedMinutes: 2 / 60, owner: 'Rafael', plannedStart: '2025-11-23T02:00:00.000Z', actualStart: '2025-11-23T02:00:00.000Z', actualEnd: '2025-11-23T02:00:02.100Z', status: 'done'},
			{at: 'T+1m', activity: 'Verify Migration 1', plannedMinutes: 3, owner: 'Rafael', plannedStart: '2025-11-23T02:01:00.000Z', status: 'pending'},
		],
		notes: [{at: '2025-11-23T02:10:00.000Z', text: 'projects endpoint 403: app role lacks SELECT'}],
		issues: [{summary: 'Projects endpoint answered 403', severity: 'HIGH', resolution: 'Granted SELECT to the app role'}],
		baseline: {columns: ['Query', 'Before', 'After', 'Change'], rows: [['audit logs (50)', '1.20 ms', '1.31 ms', '+9%']]},
		baselineQueries: [{id: 'audit-log-latest', beforeMedianMs: 1.2, afterMedianMs: 1.31, deltaPct: 0.09, verdict: 'ok'}],
		health: [{name: 'Railway Redis', type: 'redis', status: 'healthy', latencyMs: 3.2}],
		appChecks: [{path: '/api/platform/projects', status: 403, latencyMs: 12, ok: false, error: 'expected 200, got 403 Forbidden'}],
		objectCounts: {
			before: {tables: 25, indexes: 60, functions: 15, views: 5, triggers: 20, policies: 0},
			after: {tables: 26, indexes: 68, functions: 21, views: 7, triggers: 22, policies: 26},
		},
		nextSteps: ['Watch 42501 errors for a week'],
		signOff: {preparedBy: 'Rafael Santos', executionDate: '2025-11-23'},
		secrets: [],
		generatedAt: '2025-11-23T03:00:00.000Z',
		...overrides,
	};
}
