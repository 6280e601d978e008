/**
 * sql/pending/007_restrictive_rls_policies.sql: refuses to run (and changes
 * nothing) unless explicitly allowed; once allowed, it leaves no RLS table
 * without a policy and restricts the application role to the current
 * organization of the current user.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applyFile, applyFiles, MIGRATIONS, PENDING_007, PLATFORM_TABLES, ROLLBACK_RLS, schemaDump, withSession, applyAndObserve} from '../helpers/sql.js';

let db: TestDatabase;
let before007: string;

const ALLOW = {'app.allow_migration_007': 'on', 'app.migration_007_app_role': 'runbook_app'};

beforeAll(async () => {
	db = await freshDatabase('sql_m007');
	await applyFiles(db.target, MIGRATIONS);
	before007 = await schemaDump(db.target);
});

afterAll(async () => {
	await db.drop();
});

describe('007 guard', () => {
	test('without app.allow_migration_007 it raises and the schema is unchanged', async () => {
		expect(await applyAndObserve(db.target, PENDING_007)).toEqual({
			exitCode: 3,
			error: [expect.stringContaining('ERROR:  migration 007 is pending and must not run: app.allow_migration_007 is not on')],
			after: before007,
		});
	});

	test('allowed but naming a superuser as the application role, it raises and the schema is unchanged', async () => {
		expect(await applyAndObserve(db.target, PENDING_007, {settings: {...ALLOW, 'app.migration_007_app_role': 'postgres'}})).toEqual({
			exitCode: 3,
			error: [expect.stringContaining('ERROR:  migration 007: application role postgres is SUPERUSER or BYPASSRLS')],
			after: before007,
		});
	});
});

describe('007 allowed, for runbook_app', () => {
	// A database of its own: applying 007 must not reach the guard's tests, whatever order they run in.
	let db: TestDatabase;
	beforeAll(async () => {
		db = await freshDatabase('sql_m007_allowed');
		await applyFiles(db.target, MIGRATIONS);
		const result = await applyFile(db.target, PENDING_007, {settings: ALLOW});
		if (result.exitCode !== 0) throw new Error(result.stderr.join('\n'));
	});
	afterAll(async () => {
		await db.drop();
	});

	test('every platform table keeps RLS and has at least one policy', async () => {
		const rows = await db.query(`SELECT table_name, rls_enabled, policy_count > 0 AS has_policy FROM platform.verify_rls_enabled()`);
		expect(rows).toEqual(PLATFORM_TABLES.map((table_name) => ({table_name, rls_enabled: true, has_policy: true})));
	});

	test('no permissive_all_ policy of 006 remains', async () => {
		const rows = await db.query(`SELECT count(*)::int AS n FROM pg_policies WHERE schemaname = 'platform' AND policyname LIKE 'permissive\\_all\\_%'`);
		expect(rows).toEqual([{n: 0}]);
	});

	test('its helper functions are SECURITY DEFINER, pinned, and not executable by PUBLIC', async () => {
		const rows = await db.query(`SELECT proname, prosecdef, proconfig, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
			FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE n.nspname = 'platform' AND proname IN ('current_user_id', 'current_org_id') ORDER BY proname`);
		expect(rows).toEqual([
			{proname: 'current_org_id', prosecdef: true, proconfig: ['search_path=pg_catalog, pg_temp'], public_execute: false},
			{proname: 'current_user_id', prosecdef: true, proconfig: ['search_path=pg_catalog, pg_temp'], public_execute: false},
		]);
	});

	test('runbook_app without app.current_user_id / app.current_org_id sees no audit logs', async () => {
		const n = await withSession(db.target, async (client) => {
			await client.query('SET ROLE runbook_app');
			const {rows} = await client.query<{n: number}>(`SELECT count(*)::int AS n FROM platform.audit_logs`);
			return rows[0]!.n;
		});
		expect(n).toBe(0);
	});

	test('runbook_app as a member, with both settings set per transaction, sees exactly that organization’s audit logs', async () => {
		const [member] = await db.query<{user_id: string; organization_id: string; expected: number}>(`
			SELECT m.user_id, m.organization_id, (SELECT count(*)::int FROM platform.audit_logs a WHERE a.organization_id = m.organization_id) AS expected
			FROM platform.organization_members m JOIN platform.organizations o ON o.id = m.organization_id
			WHERE o.slug = 'org-00002' ORDER BY m.user_id LIMIT 1`);
		const visible = await withSession(db.target, async (client) => {
			await client.query('BEGIN');
			await client.query('SET LOCAL ROLE runbook_app');
			await client.query(`SELECT set_config('app.current_user_id', $1, true), set_config('app.current_org_id', $2, true)`, [member!.user_id, member!.organization_id]);
			const {rows} = await client.query<{n: number; orgs: number}>(`SELECT count(*)::int AS n, count(DISTINCT organization_id)::int AS orgs FROM platform.audit_logs`);
			await client.query('COMMIT');
			return rows[0];
		});
		expect(visible).toEqual({n: member!.expected, orgs: 1});
	});

	test('006_rollback then refuses, naming 007’s policies, and changes nothing', async () => {
		const before = await schemaDump(db.target);
		expect(await applyAndObserve(db.target, ROLLBACK_RLS)).toEqual({
			exitCode: 3,
			error: [expect.stringContaining('ERROR:  006_rollback found policies that migration 006 did not create: tenant_all_addons on platform.addons')],
			after: before,
		});
	});
});
