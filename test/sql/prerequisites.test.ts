/**
 * What the global setup built from sql/001–005 and seedData (scale 1): the
 * 23 platform tables, the Lancio project, no PUBLIC grants, the indexes the
 * plan's queries use, the application role, and the seeded volumes.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {PLATFORM_TABLES} from './sql-helpers.js';

let db: TestDatabase;

beforeAll(async () => {
	db = await freshDatabase('sql_prereq');
});

afterAll(async () => {
	await db.drop();
});

describe('001–005', () => {
	test('create exactly the 23 platform base tables (all of 006’s list except databases)', async () => {
		const rows = await db.query<{tablename: string}>(`SELECT tablename FROM pg_tables WHERE schemaname = 'platform' ORDER BY tablename`);
		expect(rows.map((r) => r.tablename)).toEqual(PLATFORM_TABLES.filter((t) => t !== 'databases'));
	});

	test('create exactly one project with ref lancio-studio, named Lancio Studio, in organization slug lancio', async () => {
		const rows = await db.query(
			`SELECT p.name, o.name AS org_name FROM platform.projects p JOIN platform.organizations o ON o.id = p.organization_id WHERE p.ref = 'lancio-studio'`,
		);
		expect(rows).toEqual([{name: 'Lancio Studio', org_name: 'Lancio'}]);
	});

	test('grant nothing to PUBLIC on the platform schema, its tables or its functions', async () => {
		const rows = await db.query<{n: string}>(`
			SELECT count(*) AS n FROM (
				SELECT (aclexplode(nspacl)).grantee FROM pg_namespace WHERE nspname = 'platform' AND nspacl IS NOT NULL
				UNION ALL
				SELECT (aclexplode(c.relacl)).grantee FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'platform' AND c.relacl IS NOT NULL
			) g WHERE grantee = 0`);
		expect(rows[0]?.n).toBe('0');
	});

	test('create pgcrypto in schema public', async () => {
		const rows = await db.query(`SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto'`);
		expect(rows).toEqual([{nspname: 'public'}]);
	});

	test('create the indexes the baseline queries use', async () => {
		const rows = await db.query<{indexdef: string}>(
			`SELECT indexdef FROM pg_indexes WHERE schemaname = 'platform' AND indexname = ANY($1) ORDER BY indexname`,
			[['idx_audit_logs_organization_created_at', 'idx_organization_members_organization_id', 'idx_user_sessions_token']],
		);
		expect(rows.map((r) => r.indexdef)).toEqual([
			'CREATE INDEX idx_audit_logs_organization_created_at ON platform.audit_logs USING btree (organization_id, created_at DESC)',
			'CREATE INDEX idx_organization_members_organization_id ON platform.organization_members USING btree (organization_id)',
			'CREATE UNIQUE INDEX idx_user_sessions_token ON platform.user_sessions USING btree (token)',
		]);
	});

	test('define platform.update_updated_at_column() as a trigger function', async () => {
		const rows = await db.query(
			`SELECT p.prorettype::regtype::text AS returns FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'platform' AND p.proname = 'update_updated_at_column'`,
		);
		expect(rows).toEqual([{returns: 'trigger'}]);
	});
});

describe('seedData at scale 1', () => {
	test('seeds the documented volumes', async () => {
		const rows = await db.query(`SELECT
			(SELECT count(*) FROM platform.organizations)::int AS organizations,
			(SELECT count(*) FROM platform.users)::int AS users,
			(SELECT count(*) FROM platform.user_sessions)::int AS sessions,
			(SELECT count(*) FROM platform.user_sessions WHERE expires_at > now())::int AS unexpired_sessions,
			(SELECT count(*) FROM platform.audit_logs)::int AS audit_logs,
			(SELECT count(*) FROM platform.projects)::int AS projects`);
		expect(rows).toEqual([{organizations: 51, users: 2000, sessions: 20000, unexpired_sessions: 18000, audit_logs: 200000, projects: 151}]);
	});

	test('fills every platform table', async () => {
		const tables = PLATFORM_TABLES.filter((t) => t !== 'databases');
		const rows = await db.query<{table_name: string}>(
			tables.map((t) => `SELECT '${t}' AS table_name WHERE NOT EXISTS (SELECT 1 FROM platform.${t})`).join(' UNION ALL '),
		);
		expect(rows).toEqual([]);
	});

	test('skews audit_logs so that one organization has far more rows than any other', async () => {
		const rows = await db.query<{n: number}>(
			`SELECT count(*)::int AS n FROM platform.audit_logs GROUP BY organization_id ORDER BY count(*) DESC LIMIT 2`,
		);
		expect(rows[0]!.n).toBeGreaterThan(3 * rows[1]!.n);
	});

	test('creates runbook_app as NOLOGIN NOSUPERUSER NOBYPASSRLS owning no platform table', async () => {
		const rows = await db.query(`SELECT r.rolcanlogin, r.rolsuper, r.rolbypassrls,
			(SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'platform' AND c.relowner = r.oid) AS owned
			FROM pg_roles r WHERE r.rolname = 'runbook_app'`);
		expect(rows).toEqual([{rolcanlogin: false, rolsuper: false, rolbypassrls: false, owned: 0}]);
	});

	test('grants runbook_app read and write on every platform table', async () => {
		const rows = await db.query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = 'platform' AND c.relkind = 'r'
				AND NOT (has_table_privilege('runbook_app', c.oid, 'SELECT') AND has_table_privilege('runbook_app', c.oid, 'INSERT')
					AND has_table_privilege('runbook_app', c.oid, 'UPDATE') AND has_table_privilege('runbook_app', c.oid, 'DELETE'))`);
		expect(rows).toEqual([]);
	});
});
