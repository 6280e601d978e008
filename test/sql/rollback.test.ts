/**
 * The plan's rollback: after all three 006 migrations (and a registered
 * connection string), 006_rollback then rollback-006 leave the schema exactly
 * as it was before 006, compared with the real pg_dump --schema-only.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applyFile, applyFiles, MIGRATIONS, ROLLBACK_RLS, ROLLBACK_TABLE, schemaDump, type Applied} from '../helpers/sql.js';

let db: TestDatabase;
let before: string;
let rlsRollback: Applied;
let afterRlsRollback: {policies: number; rlsTables: number; functions: string[]};
let tableRollback: Applied;

beforeAll(async () => {
	db = await freshDatabase('sql_rollback');
	before = await schemaDump(db.target);
	await applyFiles(db.target, MIGRATIONS);
	await db.query(`UPDATE platform.databases SET connection_string = $1, status = 'active' WHERE name = 'Railway Redis'`, ['redis://default:pw-123@redis.railway.internal:6379/0']);
	rlsRollback = await applyFile(db.target, ROLLBACK_RLS);
	const [counts] = await db.query<{policies: number; rls_tables: number}>(`SELECT
		(SELECT COUNT(*) FROM pg_policies WHERE schemaname = 'platform')::int AS policies,
		(SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'platform' AND rowsecurity = true)::int AS rls_tables`);
	const functions = await db.query<{proname: string}>(`SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'platform' AND proname IN ('verify_rls_enabled', 'test_rls_policies')`);
	afterRlsRollback = {policies: counts!.policies, rlsTables: counts!.rls_tables, functions: functions.map((f) => f.proname)};
	tableRollback = await applyFile(db.target, ROLLBACK_TABLE);
});

afterAll(async () => {
	await db.drop();
});

describe('Rollback step 1: 006_rollback.sql', () => {
	test('exits 0', () => {
		expect(rlsRollback.exitCode).toBe(0);
	});

	test('leaves 0 policies and 0 tables with RLS in schema platform', () => {
		expect([afterRlsRollback.policies, afterRlsRollback.rlsTables]).toEqual([0, 0]);
	});

	test('drops verify_rls_enabled() and test_rls_policies()', () => {
		expect(afterRlsRollback.functions).toEqual([]);
	});
});

describe('Rollback step 2: rollback-006.sql', () => {
	test('exits 0', () => {
		expect(tableRollback.exitCode).toBe(0);
	});

	test('the plan’s check counts 0 databases tables', async () => {
		const rows = await db.query(`SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = 'platform' AND table_name = 'databases'`);
		expect(rows).toEqual([{n: 0}]);
	});

	test('keeps pgcrypto', async () => {
		const rows = await db.query(`SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'`);
		expect(rows).toEqual([{extname: 'pgcrypto'}]);
	});
});

describe('after both rollbacks', () => {
	test('pg_dump --schema-only is identical to the dump taken before 006', async () => {
		expect(await schemaDump(db.target)).toBe(before);
	});
});

describe('006_rollback undoes exactly the tables 006 changed', () => {
	let other: TestDatabase;
	let result: Applied;
	let after: Array<{tablename: string; rowsecurity: boolean; policies: string[]}>;

	beforeAll(async () => {
		other = await freshDatabase('sql_rollback_exact');
		// Before 006: one table already protected by RLS with its own policy (006 leaves it alone).
		await other.query(`CREATE TABLE platform.partner_secrets (id uuid PRIMARY KEY, owner text NOT NULL)`);
		await other.query(`CREATE POLICY partner_owner ON platform.partner_secrets USING (owner = current_user)`);
		await other.query(`ALTER TABLE platform.partner_secrets ENABLE ROW LEVEL SECURITY`);
		await applyFiles(other.target, MIGRATIONS);
		// After 006: a table 006 never saw.
		await other.query(`CREATE TABLE platform.partner_late (id uuid PRIMARY KEY)`);
		result = await applyFile(other.target, ROLLBACK_RLS);
		after = await other.query(`SELECT t.tablename, t.rowsecurity,
			coalesce((SELECT array_agg(p.policyname::text ORDER BY p.policyname) FROM pg_policies p WHERE p.schemaname = 'platform' AND p.tablename = t.tablename), '{}'::text[]) AS policies
			FROM pg_tables t WHERE t.schemaname = 'platform' AND (t.rowsecurity OR EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'platform' AND p.tablename = t.tablename))
			ORDER BY t.tablename`);
	});

	afterAll(async () => {
		await other.drop();
	});

	test('prints one DROP POLICY and one ALTER TABLE per table 006 changed (26), and exits 0', () => {
		const tags = result.stdout.filter((l) => l === 'DROP POLICY' || l === 'ALTER TABLE');
		expect(result.exitCode).toBe(0);
		expect(tags).toEqual(Array.from({length: 26}, () => ['DROP POLICY', 'ALTER TABLE']).flat());
	});

	test('leaves the table that had RLS before 006 exactly as it was, and the later table untouched', () => {
		expect(after).toEqual([{tablename: 'partner_secrets', rowsecurity: true, policies: ['partner_owner']}]);
	});
});
