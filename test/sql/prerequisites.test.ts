/**
 * What the global setup built from sql/001–005 and seedData (scale 1): the
 * customer's real pre-006 database (CUSTOMER-DATABASE.md) — 25 platform
 * tables with exactly their columns, 5 views, 15 functions, 20 triggers, the
 * extensions, the PUBLIC grants, organization lancio with its single project
 * BlackWhale — plus the indexes the plan's queries use, the application role
 * and the seeded volumes. An empty database with only 001–005 has no users,
 * members or sessions.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applySqlFiles, PREREQUISITES} from '../../source/sandbox/prepare.js';
import {PLATFORM_TABLES, rolledBack} from '../helpers/sql.js';
import {CUSTOMER_FUNCTIONS, CUSTOMER_TABLES, CUSTOMER_VIEWS} from '../helpers/customer-shape.js';

let db: TestDatabase;
let bare: TestDatabase;

beforeAll(async () => {
	db = await freshDatabase('sql_prereq');
	bare = await freshDatabase('sql_prereq_bare', {empty: true});
	await applySqlFiles(bare.target, PREREQUISITES);
});

afterAll(async () => {
	await db.drop();
	await bare.drop();
});

describe('001–005 on an empty database', () => {
	test('create exactly the customer’s 25 tables, each with its columns, types and NOT NULLs in order', async () => {
		const rows = await bare.query<{table_name: string; columns: string}>(`
			SELECT c.table_name, string_agg(c.column_name || ' ' ||
				CASE c.data_type WHEN 'timestamp with time zone' THEN 'timestamptz' ELSE c.data_type END ||
				CASE WHEN c.is_nullable = 'NO' THEN ' nn' ELSE '' END, ', ' ORDER BY c.ordinal_position) AS columns
			FROM information_schema.columns c
			JOIN pg_tables t ON t.schemaname = c.table_schema AND t.tablename = c.table_name
			WHERE c.table_schema = 'platform'
			GROUP BY c.table_name ORDER BY c.table_name`);
		expect(Object.fromEntries(rows.map((r) => [r.table_name, r.columns]))).toEqual(CUSTOMER_TABLES);
		expect(rows).toHaveLength(25);
	});

	test('create the 5 views and the 15 functions with the customer’s signatures', async () => {
		const views = await bare.query<{viewname: string}>(`SELECT viewname FROM pg_views WHERE schemaname = 'platform' ORDER BY viewname`);
		expect(views.map((v) => v.viewname)).toEqual([...CUSTOMER_VIEWS]);
		const functions = await bare.query<{signature: string}>(`
			SELECT p.proname || '(' || replace(pg_get_function_identity_arguments(p.oid), 'timestamp with time zone', 'timestamptz') || ')' AS signature
			FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'platform' ORDER BY p.proname`);
		expect(functions.map((f) => f.signature)).toEqual([...CUSTOMER_FUNCTIONS]);
	});

	test('create 20 triggers: one update_<table>_updated_at per table with updated_at, and update_user_sessions_activity', async () => {
		const rows = await bare.query<{tgname: string; relname: string}>(`
			SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = 'platform' AND NOT t.tgisinternal ORDER BY c.relname`);
		const withUpdatedAt = Object.entries(CUSTOMER_TABLES).filter(([, columns]) => /(^|, )updated_at /.test(columns)).map(([t]) => t);
		expect(rows).toHaveLength(20);
		expect(rows.filter((r) => r.relname !== 'user_sessions')).toEqual(withUpdatedAt.map((t) => ({tgname: `update_${t}_updated_at`, relname: t})));
		expect(rows.filter((r) => r.relname === 'user_sessions')).toEqual([{tgname: 'update_user_sessions_activity', relname: 'user_sessions'}]);
	});

	test('the triggers keep updated_at and a session’s last_activity_at current', async () => {
		// Rolled back: the other tests count users and sessions on this database.
		const row = await rolledBack(bare.target, async (client) => {
			await client.query(`UPDATE platform.organizations SET updated_at = '2020-01-01' WHERE slug = 'lancio'`);
			await client.query(`INSERT INTO platform.users (email) VALUES ('trigger-test@example.com')`);
			await client.query(`INSERT INTO platform.user_sessions (user_id, token, expires_at, last_activity_at)
				SELECT id, 'trigger-test', now() + interval '1 hour', '2020-01-01' FROM platform.users WHERE email = 'trigger-test@example.com'`);
			await client.query(`UPDATE platform.user_sessions SET user_agent = 'test' WHERE token = 'trigger-test'`);
			return (await client.query(`SELECT
				(SELECT updated_at > '2021-01-01' FROM platform.organizations WHERE slug = 'lancio') AS organization,
				(SELECT last_activity_at > '2021-01-01' FROM platform.user_sessions WHERE token = 'trigger-test') AS session`)).rows[0];
		});
		expect(row).toEqual({organization: true, session: true});
	});

	test('log_audit_event writes the columns audit_logs has and returns the new row’s uuid', async () => {
		const row = await rolledBack(bare.target, async (client) => {
			const {rows: [logged]} = await client.query<{id: string}>(
				`SELECT platform.log_audit_event(NULL, 'project', (SELECT id::text FROM platform.projects WHERE ref = 'blackwhale-prod'), 'update', '{"name": "BlackWhale"}', '10.0.0.1', 'test') AS id`,
			);
			const {rows} = await client.query(
				`SELECT a.event_type, a.resource_type, a.action, a.severity, o.slug AS organization_slug, a.metadata -> 'changes' AS changes
				FROM platform.audit_logs a JOIN platform.organizations o ON o.id = a.organization_id WHERE a.id = $1`,
				[logged!.id],
			);
			return rows[0];
		});
		expect(row).toEqual({event_type: 'project.update', resource_type: 'project', action: 'update', severity: 'info', organization_slug: 'lancio', changes: {name: 'BlackWhale'}});
	});

	test('create organization lancio with the single project BlackWhale (blackwhale-prod), 4 billing plans, and no users, members or sessions', async () => {
		const rows = await bare.query(`SELECT o.slug, o.name AS org_name, p.name, p.ref FROM platform.projects p JOIN platform.organizations o ON o.id = p.organization_id`);
		expect(rows).toEqual([{slug: 'lancio', org_name: 'Lancio', name: 'BlackWhale', ref: 'blackwhale-prod'}]);
		const [counts] = await bare.query(`SELECT (SELECT count(*) FROM platform.billing_plans)::int AS plans, (SELECT count(*) FROM platform.users)::int AS users,
			(SELECT count(*) FROM platform.organization_members)::int AS members, (SELECT count(*) FROM platform.user_sessions)::int AS sessions`);
		expect(counts).toEqual({plans: 4, users: 0, members: 0, sessions: 0});
	});

	test('grant SELECT to PUBLIC on exactly the five relations the customer’s 001 granted', async () => {
		const rows = await bare.query<{relname: string; privilege_type: string}>(`
			SELECT c.relname, a.privilege_type FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			CROSS JOIN LATERAL aclexplode(c.relacl) a
			WHERE n.nspname = 'platform' AND a.grantee = 0 ORDER BY c.relname`);
		expect(rows).toEqual(
			['credentials', 'organizations', 'organizations_with_stats', 'projects', 'projects_with_credentials'].map((relname) => ({relname, privilege_type: 'SELECT'})),
		);
	});

	test('create uuid-ossp and pgcrypto in schema public', async () => {
		const rows = await bare.query(`SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1`);
		expect(rows).toEqual([{extname: 'pgcrypto', nspname: 'public'}, {extname: 'uuid-ossp', nspname: 'public'}]);
	});

	test('create the indexes the baseline queries use', async () => {
		const rows = await bare.query<{indexdef: string}>(
			`SELECT indexdef FROM pg_indexes WHERE schemaname = 'platform' AND indexname = ANY($1) ORDER BY indexname`,
			[['idx_audit_logs_organization_created_at', 'idx_organization_members_organization_id', 'idx_user_sessions_token']],
		);
		expect(rows.map((r) => r.indexdef)).toEqual([
			'CREATE INDEX idx_audit_logs_organization_created_at ON platform.audit_logs USING btree (organization_id, created_at DESC)',
			'CREATE INDEX idx_organization_members_organization_id ON platform.organization_members USING btree (organization_id)',
			'CREATE UNIQUE INDEX idx_user_sessions_token ON platform.user_sessions USING btree (token)',
		]);
	});
});

describe('seedData at scale 1', () => {
	test('seeds the documented volumes and leaves Lancio with its single project', async () => {
		const rows = await db.query(`SELECT
			(SELECT count(*) FROM platform.organizations)::int AS organizations,
			(SELECT count(*) FROM platform.users)::int AS users,
			(SELECT count(*) FROM platform.user_sessions)::int AS sessions,
			(SELECT count(*) FROM platform.user_sessions WHERE expires_at > now())::int AS unexpired_sessions,
			(SELECT count(*) FROM platform.audit_logs)::int AS audit_logs,
			(SELECT count(*) FROM platform.projects)::int AS projects,
			(SELECT count(*) FROM platform.projects p JOIN platform.organizations o ON o.id = p.organization_id WHERE o.slug = 'lancio')::int AS lancio_projects`);
		expect(rows).toEqual([{organizations: 51, users: 2000, sessions: 20000, unexpired_sessions: 18000, audit_logs: 200000, projects: 151, lancio_projects: 1}]);
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
