import {describe, expect, it} from 'vitest';
import {renderNotification} from '../../source/report/notification.js';
import {renderReport} from '../../source/report/render-report.js';
import {parseTarget} from '../../source/db/target.js';
import {parseServiceUrl} from '../../source/railway/parse-url.js';
import {reportInput} from './fixture.js';

const EXPECTED_REPORT = `# Migration 006 Execution Report

Status: **ISSUES**

Target: postgres@db.example.com:5432/app

Execution Time: 14 min 32 s (planned 1h), from 2025-11-23 02:00:00 UTC to 2025-11-23 02:14:32 UTC

Objects Created: 1 table, 8 indexes, 6 functions, 2 views, 2 triggers, 26 policies

| Object | Before | After | Created |
|---|---|---|---|
| tables | 25 | 26 | 1 |
| indexes | 60 | 68 | 8 |
| functions | 15 | 21 | 6 |
| views | 5 | 7 | 2 |
| triggers | 20 | 22 | 2 |
| policies | 0 | 26 | 26 |

## Verification Results

- Database integrity: PASS
- Application tests: FAIL (1 of 4 endpoints returned 403)

## Checklist

1 of 3 items passed.

| ID | Phase | Item | Result | Expected | Actual | Duration |
|---|---|---|---|---|---|---|
| step1.exec | Step 1 | Execute Migration 1 | PASS | exit 0 | exit 0 | 2.1 s |
| app.endpoints | Post-deployment | All endpoints return 200 | FAIL | 200 ×4 | /api/platform/projects 403 | - |
| perf.baseline | Technical success | Performance within 10% | SKIPPED: no application role given | - | - | - |

## Health Checks

| Database | Type | Status | Latency | Error |
|---|---|---|---|---|
| Railway Redis | redis | healthy | 3.2 ms | - |

## Application Checks

| Endpoint | HTTP status | Result | Latency | Error |
|---|---|---|---|---|
| /api/platform/projects | 403 | FAIL | 12 ms | expected 200, got 403 Forbidden |

## Baseline Comparison

\`\`\`mermaid
xychart-beta
    title "Baseline: median ms per query (bars before, line after)"
    x-axis ["audit-log-latest"]
    y-axis "median (ms)" 0 --> 1.6
    bar [1.2]
    line [1.31]
\`\`\`

| Query | Before | After | Change |
|---|---|---|---|
| audit logs (50) | 1.20 ms | 1.31 ms | +9% |

## Timeline (planned vs actual, UTC)

\`\`\`mermaid
gantt
    title Timeline, planned vs actual (UTC)
    dateFormat YYYY-MM-DD HH:mm:ss
    axisFormat %H:%M
    section T+0m Execute Migration 1 (databases table)
    planned :p0, 2025-11-23 02:00:00, 2s
    actual :done, a0, 2025-11-23 02:00:00, 2s
    section T+1m Verify Migration 1
    planned :p1, 2025-11-23 02:01:00, 180s
\`\`\`

| Time | Activity | Owner | Planned | Started | Ended | Actual | Over / under |
|---|---|---|---|---|---|---|---|
| T+0m | Execute Migration 1 (databases table) | Rafael | 2s | 02:00:00 | 02:00:02 | 2.1 s | +100 ms |
| T+1m | Verify Migration 1 | Rafael | 3m | - | - | - | - |

## Issues Encountered

- [HIGH] Projects endpoint answered 403
- Post-deployment: All endpoints return 200 failed (expected 200 ×4, got /api/platform/projects 403)

Resolution:

- Projects endpoint answered 403: Granted SELECT to the app role

## Operator Notes

- 2025-11-23 02:10:00 UTC: projects endpoint 403: app role lacks SELECT

## Next Steps

1. Watch 42501 errors for a week

## Sign-Off

**Prepared By**: Rafael Santos  
**Reviewed By**: _________________  
**Approved By**: _________________  
**Execution Date**: 2025-11-23

---

Full details: runbook/migration-006.yaml  
Report generated 2025-11-23 03:00:00 UTC
`;

describe('renderReport', () => {
	it('renders the plan’s post-migration template with the run’s evidence as Markdown', () => {
		expect(renderReport(reportInput())).toBe(EXPECTED_REPORT);
	});

	it('says None / N/A for issues and uses the plan’s next steps when there are none', () => {
		const text = renderReport(reportInput({status: 'SUCCESS', items: [], issues: [], notes: [], nextSteps: undefined}));
		const from = text.indexOf('## Issues Encountered');
		expect(text.slice(from, text.indexOf('## Sign-Off'))).toBe(`## Issues Encountered

None

Resolution: N/A

## Next Steps

1. Test the application thoroughly: all critical user paths, API endpoints and admin operations
2. Monitor performance against the baseline; watch for slow queries and check the error logs
3. Document any issues: create tickets and update the plan with what was learned

`);
	});

	it('reports the counts after the run when no "before" counts exist', () => {
		const text = renderReport(reportInput({objectCounts: {after: {tables: 26, indexes: 68, functions: 21, views: 7, triggers: 22, policies: 26}}}));
		expect(text.split('\n').find((l) => l.startsWith('Objects Created'))).toBe(
			'Objects Created: schema platform now holds 26 tables, 68 indexes, 21 functions, 7 views, 22 triggers, 26 policies',
		);
	});

	it('escapes pipes and newlines inside table cells', () => {
		const text = renderReport(reportInput({baseline: {columns: ['Query', 'Note'], rows: [['a | b', 'line1\nline2']]}}));
		expect(text.split('\n').find((l) => l.startsWith('| a \\|'))).toBe('| a \\| b | line1<br>line2 |');
	});

	it('contains no trace of a password placed in every kind of field', () => {
		// Distinctive, with a pipe and a backslash that Markdown escaping would otherwise split.
		const password = 'Zx9|Pq\\7-unique';
		const pg = parseTarget(`postgres://admin:${encodeURIComponent(password)}@db.example.com:5432/app`);
		const redisUrl = parseServiceUrl(`redis://default:${password}@redis.example.com:6379`);
		const text = renderReport(
			reportInput({
				target: `${pg.display} ${pg.masked}`,
				secrets: [...pg.secrets, ...redisUrl.secrets],
				items: [
					{id: 'x', title: `connect with ${password}`, phase: 'Step 3', status: 'failed', expected: redisUrl.raw, actual: `psql: password ${password} rejected`},
				],
				verifications: [{name: 'Encryption', result: 'FAIL', detail: `decrypted ${redisUrl.raw}`}],
				notes: [{at: '2025-11-23T02:10:00Z', text: `tried ${encodeURIComponent(password)} and postgres://admin:${password}@h/db`}],
				issues: [{summary: `leak ${password}`, resolution: `rotated ${password}`}],
				baseline: {columns: ['Query', password], rows: [[password, redisUrl.raw]]},
				health: [{name: 'Railway Redis', type: 'redis', status: 'unhealthy', latencyMs: 1, error: `AUTH ${password}`}],
				appChecks: [{path: `/api?token=${password}`, status: 403, latencyMs: 1, ok: false, error: password}],
				timeline: [{at: 'T+0m', activity: password, plannedMinutes: 1, owner: password}],
				nextSteps: [`rotate ${password}`],
				signOff: {preparedBy: password, reviewedBy: password, approvedBy: password},
			}),
		);
		const fragments = ['Zx9', 'Pq\\7', 'Pq\\\\7', encodeURIComponent(password), '7-unique'];
		expect(fragments.filter((f) => text.includes(f))).toEqual([]);
	});
});

describe('renderNotification', () => {
	it('fills the plan’s pre-migration notification', () => {
		const text = renderNotification({title: 'Database Migration 006', when: '2025-11-23T02:00:00Z', durationMinutes: 15, contact: 'Rafael Santos (Database Specialist)'});
		expect(text).toBe(`Database Migration 006 Scheduled

When: 2025-11-23 02:00:00 UTC
Duration: ~15 minutes (low-risk, no planned downtime)
Impact: None expected - permissive RLS policies maintain current behavior; enabling RLS takes brief table locks (bounded by lock_timeout, retried)
Changes:
- Multi-database support (MongoDB, Redis)
- Row Level Security foundation
- Database connection encryption

Rollback: Full rollback capability available (tested rollback scripts and a verified backup)
Contact: Rafael Santos (Database Specialist)
`);
	});

	it('removes secrets from every field', () => {
		const text = renderNotification({
			title: 'Migration Kq7-secret-x',
			when: 'tonight',
			durationMinutes: 0.5,
			contact: 'ops (postgres://u:Kq7-secret-x@h/db)',
			target: 'Kq7-secret-x',
			changes: ['Kq7-secret-x'],
			secrets: ['Kq7-secret-x'],
		});
		expect([text.includes('Kq7'), text.split('\n')[3]]).toEqual([false, 'Duration: ~30 seconds (low-risk, no planned downtime)']);
	});
});
