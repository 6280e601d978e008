import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {captureBaseline, secretFingerprint} from '../../source/baseline/capture.js';
import {compareBaselines} from '../../source/baseline/compare.js';
import {formatComparisonTable} from '../../source/baseline/format-comparison.js';
import {BUSIEST_ORGANIZATION_SQL, SESSION_TOKEN_SQL} from '../../source/baseline/queries.js';
import type {BaselineResult} from '../../source/baseline/result.js';
import {UserError} from '../../source/errors.js';

let db: TestDatabase;
/** As the superuser, default queries: shared by the tests that only read it. */
let asOwner: BaselineResult;
/** As runbook_app (NOSUPERUSER NOBYPASSRLS, owns nothing). */
let asApp: BaselineResult;

beforeAll(async () => {
	db = await freshDatabase('baseline_capture');
	// The sandbox data creates runbook_app; make sure it exists even if that changes.
	await db.query(`DO $$
		BEGIN
			IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'runbook_app') THEN
				CREATE ROLE runbook_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
			END IF;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
		END $$`);
	await db.query('GRANT USAGE ON SCHEMA platform TO runbook_app');
	await db.query('GRANT SELECT ON ALL TABLES IN SCHEMA platform TO runbook_app');
	await db.query('ANALYZE');
	asOwner = await captureBaseline({target: db.target, label: 'before'});
	asApp = await captureBaseline({target: db.target, label: 'before', appRole: 'runbook_app'});
});

afterAll(async () => {
	await db?.drop();
});

function query(result: BaselineResult, id: string) {
	const found = result.queries.find((q) => q.id === id);
	if (found === undefined) throw new Error(`no query ${id}`);
	return found;
}

describe('captureBaseline', () => {
	test('measures the three plan queries, 7 runs each, with consistent order statistics', () => {
		expect(asOwner.queries.map((q) => q.id)).toEqual(['session-validation', 'audit-log-latest', 'organization-members']);
		for (const q of asOwner.queries) {
			expect(q.executionMs).toHaveLength(7);
			expect(q.minMs).toBe(Math.min(...q.executionMs));
			expect(q.maxMs).toBe(Math.max(...q.executionMs));
			expect(q.minMs).toBeLessThanOrEqual(q.medianMs);
			expect(q.medianMs).toBeLessThanOrEqual(q.p95Ms);
			expect(q.p95Ms).toBeLessThanOrEqual(q.maxMs);
			expect(q.medianMs).toBe([...q.executionMs].sort((a, b) => a - b)[3]);
		}
		expect(asOwner.runs).toBe(7);
		expect(asOwner.warmups).toBe(2);
		expect(asOwner.serverVersionNum).toBeGreaterThanOrEqual(150000);
		expect(asOwner.serverVersion.startsWith('15.')).toBe(true);
		expect(asOwner.label).toBe('before');
	});

	test('takes a real unexpired session token from the database and records only its fingerprint', async () => {
		const [row] = await db.query<{token: string; live: boolean}>(
			`SELECT s.token, s.expires_at > now() AS live FROM platform.user_sessions s WHERE s.token = (${SESSION_TOKEN_SQL})`,
		);
		expect(row?.live).toBe(true);
		const session = query(asOwner, 'session-validation');
		expect(session.params).toEqual([{index: 1, label: 'session token', source: 'database', display: secretFingerprint(row!.token)}]);
		expect(JSON.stringify(asOwner)).not.toContain(row!.token);
		expect(session.rows).toBe(1);
	});

	test('uses the organization with the most audit rows for both the audit and the members query', async () => {
		const [row] = await db.query<{organization_id: string}>(BUSIEST_ORGANIZATION_SQL);
		const expected = [{index: 1, label: 'organization id', source: 'database', display: row!.organization_id}];
		expect(query(asOwner, 'audit-log-latest').params).toEqual(expected);
		expect(query(asOwner, 'organization-members').params).toEqual(expected);
		expect(query(asOwner, 'audit-log-latest').rows).toBe(50);
	});

	test('detects the Index Scan on audit_logs', () => {
		const audit = query(asOwner, 'audit-log-latest');
		expect(audit.scans).toEqual([{relation: 'platform.audit_logs', scan: 'Index Scan', indexes: ['idx_audit_logs_organization_created_at']}]);
		expect(audit.planShape).toBe('Limit → Index Scan using idx_audit_logs_organization_created_at on platform.audit_logs');
		expect(audit.planNodes.map((n) => n.nodeType)).toEqual(['Limit', 'Index Scan']);
		expect(audit.sharedHit + audit.sharedRead).toBeGreaterThan(0);
	});

	test('as the superuser, records that RLS is bypassed and warns', () => {
		expect(asOwner.ranAs).toMatchObject({role: 'postgres', viaSetRole: false, superuser: true, rlsBypass: 'superuser'});
		expect(asOwner.warnings).toHaveLength(1);
		expect(asOwner.warnings[0]).toContain('bypasses row-level security');
	});

	test('with appRole runbook_app, runs as that role and RLS applies to it', () => {
		expect(asApp.ranAs).toEqual({
			role: 'runbook_app',
			sessionUser: 'postgres',
			viaSetRole: true,
			superuser: false,
			bypassRls: false,
			ownsRelations: [],
			rlsEnabledRelations: [],
			rlsBypass: null,
		});
		expect(asApp.warnings).toEqual([]);
		expect(query(asApp, 'audit-log-latest').rows).toBe(50);
	});

	test('refuses fewer than 7 runs', async () => {
		const error = await captureBaseline({target: db.target, label: 'before', runs: 5}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(UserError);
		expect((error as UserError).message).toContain('runs is `5` but must be a whole number of at least 7');
	});

	test('refuses an application role that does not exist', async () => {
		const error = await captureBaseline({target: db.target, label: 'before', appRole: 'no_such_role'}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(UserError);
		expect((error as UserError).message).toContain('The application role `no_such_role` given for the "before" baseline does not exist');
	});

	test('measures a parameter query that finds no row with a value that matches nothing, and says so', async () => {
		const result = await captureBaseline({
			target: db.target,
			label: 'before',
			queries: [{id: 'nothing', title: 'No row', sql: 'SELECT * FROM platform.users WHERE id = $1', params: [{from: 'SELECT id FROM platform.users WHERE false', label: 'user id'}]}],
		});
		const q = result.queries[0]!;
		expect(q.params).toEqual([{index: 1, label: 'user id', source: 'no-sample-row', display: '00000000-0000-0000-0000-000000000000'}]);
		expect(q.rows).toBe(0);
		expect(q.planShape).toMatch(/Index Scan using users_pkey on platform\.users/);
		expect(result.warnings).toContain(
			'nothing: the database has no row to take $1 (user id) from, so it was measured with 00000000-0000-0000-0000-000000000000, which matches nothing: the plan and its cost are measured (and compared before/after), the rows it returns are not.',
		);
	});

	test('a parameter query that finds no row, of a type with no value that matches nothing, is explained', async () => {
		const error = await captureBaseline({
			target: db.target,
			label: 'before',
			queries: [{id: 'nothing', title: 'No row', sql: 'SELECT * FROM platform.users WHERE created_at = $1', params: [{from: 'SELECT created_at FROM platform.users WHERE false'}]}],
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(UserError);
		expect((error as UserError).message).toContain('Baseline query `nothing` takes $1 from `SELECT created_at FROM platform.users WHERE false`, which returned no value');
	});

	test('cannot change data even when a plan query writes', async () => {
		const error = await captureBaseline({
			target: db.target,
			label: 'before',
			queries: [{id: 'writer', title: 'Writes', sql: 'DELETE FROM platform.audit_logs WHERE organization_id = $1', params: [{from: BUSIEST_ORGANIZATION_SQL}]}],
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(UserError);
		expect((error as UserError).message).toContain('cannot execute DELETE in a read-only transaction (SQLSTATE 25006)');
		const [row] = await db.query<{n: string}>(`SELECT count(*)::text AS n FROM platform.audit_logs WHERE organization_id = (${BUSIEST_ORGANIZATION_SQL})`);
		expect(Number(row!.n)).toBeGreaterThan(50);
	});

	// Last: it drops the index the other tests rely on.
	test('flags a real plan change from Index Scan to Seq Scan after the index is dropped', async () => {
		await db.query('DROP INDEX platform.idx_audit_logs_organization_created_at');
		const after = await captureBaseline({target: db.target, label: 'after', appRole: 'runbook_app', queries: [{
			id: 'audit-log-latest',
			title: 'Latest 50 audit log rows of an organization',
			sql: query(asApp, 'audit-log-latest').sql,
			params: [{from: BUSIEST_ORGANIZATION_SQL, label: 'organization id'}],
		}]});
		const before: BaselineResult = {...asApp, queries: [query(asApp, 'audit-log-latest')]};
		const comparison = compareBaselines(before, after);
		const audit = comparison.queries[0]!;
		expect(audit.planChanged).toBe(true);
		expect(audit.planDowngrade).toBe(true);
		expect(audit.planChange).toBe('platform.audit_logs: Index Scan (idx_audit_logs_organization_created_at) → Seq Scan');
		expect(comparison.ok).toBe(false);
		const table = formatComparisonTable(comparison, {width: 120});
		expect(table).toContain('  └ plan downgrade: platform.audit_logs: Index Scan (idx_audit_logs_organization_created_at) → Seq Scan');
	});
});
