/**
 * The three 006 migrations applied in the plan's order, then every "Expected"
 * line of Steps 1–3 and of the post-deployment integrity check, with the
 * plan's own queries where it gives one.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applyFiles, countTags, MIGRATIONS, PLATFORM_TABLES, withSession, type Applied} from '../helpers/sql.js';

let db: TestDatabase;
let step1: Applied;
let step2: Applied;
let step3: Applied;

const MONGO_URL = 'mongodb://mongo:s3cret-Mongo-pw@mongodb.railway.internal:27017/lancio?authSource=admin';
const REDIS_URL = 'redis://default:s3cret-Redis-pw@redis.railway.internal:6379/0';

beforeAll(async () => {
	db = await freshDatabase('sql_m006');
	[step1, step2, step3] = (await applyFiles(db.target, MIGRATIONS)) as [Applied, Applied, Applied];
});

afterAll(async () => {
	await db.drop();
});

describe('Step 1: 006_add_platform_databases_table.sql', () => {
	test('prints one CREATE TABLE, 6 CREATE INDEX, 4 CREATE FUNCTION, 2 CREATE TRIGGER and 2 CREATE VIEW', () => {
		const tags = countTags(step1.stdout);
		expect([tags['CREATE EXTENSION'], tags['CREATE TABLE'], tags['CREATE INDEX'], tags['CREATE FUNCTION'], tags['CREATE TRIGGER'], tags['CREATE VIEW']]).toEqual([1, 1, 6, 4, 2, 2]);
	});

	test('the table exists: the plan’s information_schema count is 1', async () => {
		const rows = await db.query(`SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = 'platform' AND table_name = 'databases'`);
		expect(rows).toEqual([{n: 1}]);
	});

	test('the plan’s pg_indexes query lists exactly 8 indexes: the unique (project_id, name) replaces the redundant project_id index', async () => {
		const rows = await db.query<{indexname: string}>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'platform' AND tablename = 'databases' ORDER BY indexname`);
		expect(rows.map((r) => r.indexname)).toEqual([
			'databases_pkey',
			'databases_project_id_name_key',
			'idx_databases_created_at',
			'idx_databases_health_check',
			'idx_databases_project_type_status',
			'idx_databases_status',
			'idx_databases_type',
			'idx_databases_updated_at',
		]);
	});

	test('the partial health-check index covers only rows with a health status', async () => {
		const rows = await db.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'platform' AND indexname = 'idx_databases_health_check'`);
		expect(rows).toEqual([{indexdef: 'CREATE INDEX idx_databases_health_check ON platform.databases USING btree (health_check_status, last_health_check_at) WHERE (health_check_status IS NOT NULL)'}]);
	});

	test('the plan’s LIKE query lists exactly the 4 functions', async () => {
		const rows = await db.query<{proname: string}>(`SELECT proname FROM pg_proc p JOIN pg_namespace n ON p.pronamespace = n.oid WHERE n.nspname = 'platform' AND proname LIKE '%database%' ORDER BY proname`);
		expect(rows.map((r) => r.proname)).toEqual([
			'decrypt_database_connection_string',
			'encrypt_database_connection_string',
			'get_project_databases',
			'update_database_health',
		]);
	});

	test('2 views exist, both security_invoker', async () => {
		const rows = await db.query(`SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'platform' AND c.relkind = 'v' AND c.relname LIKE 'databases%' ORDER BY c.relname`);
		expect(rows).toEqual([
			{relname: 'databases_safe', reloptions: ['security_invoker=true']},
			{relname: 'databases_with_connection_strings', reloptions: ['security_invoker=true']},
		]);
	});

	test('2 non-internal triggers exist on platform.databases, encryption first', async () => {
		const rows = await db.query<{tgname: string}>(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'platform.databases'::regclass AND NOT tgisinternal ORDER BY tgname`);
		expect(rows.map((r) => r.tgname)).toEqual(['encrypt_database_connection_string_trigger', 'update_databases_updated_at']);
	});

	test('the table keeps the application’s password and connection_string columns (nullable text)', async () => {
		const rows = await db.query(`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'platform' AND table_name = 'databases' AND column_name IN ('password', 'connection_string', 'key_version') ORDER BY column_name`);
		expect(rows).toEqual([
			{column_name: 'connection_string', data_type: 'text', is_nullable: 'YES'},
			{column_name: 'key_version', data_type: 'smallint', is_nullable: 'YES'},
			{column_name: 'password', data_type: 'text', is_nullable: 'YES'},
		]);
	});
});

describe('Step 2: 006_enable_rls_with_permissive_policies.sql', () => {
	test('prints CREATE POLICY and ALTER TABLE once per platform table (26), each policy before its table’s ALTER TABLE', () => {
		const tags = countTags(step2.stdout);
		expect([tags['CREATE POLICY'], tags['ALTER TABLE'], tags['CREATE FUNCTION']]).toEqual([PLATFORM_TABLES.length, PLATFORM_TABLES.length, 2]);
		expect(PLATFORM_TABLES).toHaveLength(26);
		const order = step2.stdout.filter((l) => l === 'CREATE POLICY' || l === 'ALTER TABLE');
		expect(order).toEqual(PLATFORM_TABLES.flatMap(() => ['CREATE POLICY', 'ALTER TABLE']));
	});

	test('the plan’s pg_tables query shows rowsecurity = t for all 26 tables', async () => {
		const rows = await db.query(`SELECT tablename, rowsecurity FROM pg_tables WHERE schemaname = 'platform' ORDER BY tablename`);
		expect(rows).toEqual(PLATFORM_TABLES.map((tablename) => ({tablename, rowsecurity: true})));
	});

	test('RLS is enabled but not forced on any table', async () => {
		const rows = await db.query(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'platform' AND c.relforcerowsecurity`);
		expect(rows).toEqual([{n: 0}]);
	});

	test('the plan’s policy count is 26 (plan: 24+), one permissive_all_<table> per table', async () => {
		const rows = await db.query(`SELECT tablename, policyname, permissive, roles::text[] AS roles, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'platform' ORDER BY tablename`);
		expect(rows).toEqual(
			PLATFORM_TABLES.map((tablename) => ({tablename, policyname: `permissive_all_${tablename}`, permissive: 'PERMISSIVE', roles: ['public'], cmd: 'ALL', qual: 'true', with_check: 'true'})),
		);
	});

	test('verify_rls_enabled() shows every table with RLS and exactly one policy', async () => {
		const rows = await db.query(`SELECT * FROM platform.verify_rls_enabled()`);
		expect(rows).toEqual(PLATFORM_TABLES.map((table_name) => ({table_name, rls_enabled: true, policy_count: '1'})));
	});

	test('test_rls_policies() returns true for all 5 tests', async () => {
		const rows = await db.query<{test_name: string; test_result: boolean}>(`SELECT test_name, test_result FROM platform.test_rls_policies()`);
		expect(rows).toEqual([
			{test_name: 'rls_enabled_on_every_table', test_result: true},
			{test_name: 'policy_on_every_table', test_result: true},
			{test_name: 'rls_table_count', test_result: true},
			{test_name: 'policy_count', test_result: true},
			{test_name: 'permissive_allow_all_on_every_table', test_result: true},
		]);
	});

	test('under SET ROLE runbook_app the permissive policies show every row', async () => {
		const counts = await withSession(db.target, async (client) => {
			await client.query('SET ROLE runbook_app');
			const {rows} = await client.query<{audit: number; sessions: number; orgs: number}>(
				`SELECT (SELECT count(*) FROM platform.audit_logs)::int AS audit, (SELECT count(*) FROM platform.user_sessions)::int AS sessions, (SELECT count(*) FROM platform.organizations)::int AS orgs`,
			);
			return rows[0];
		});
		expect(counts).toEqual({audit: 200000, sessions: 20000, orgs: 51});
	});
});

describe('Step 3: 006_register_railway_databases.sql', () => {
	test('without a project_ref variable it takes the single project of organization lancio and prints INSERT 0 2', async () => {
		expect(step3.stdout).toEqual(['SELECT 1', 'DO', 'INSERT 0 2']);
		const rows = await db.query(`SELECT DISTINCT p.ref FROM platform.databases d JOIN platform.projects p ON p.id = d.project_id`);
		expect(rows).toEqual([{ref: 'blackwhale-prod'}]);
	});

	test('the plan’s query returns 2 inactive placeholder rows with no health status', async () => {
		const rows = await db.query(`SELECT name, type, host, port, status, health_check_status FROM platform.databases ORDER BY type, name`);
		expect(rows).toEqual([
			{name: 'Railway MongoDB', type: 'mongodb', host: 'mongodb.railway.internal', port: 27017, status: 'inactive', health_check_status: null},
			{name: 'Railway Redis', type: 'redis', host: 'redis.railway.internal', port: 6379, status: 'inactive', health_check_status: null},
		]);
	});

	test('the placeholders carry no connection string, no ciphertext and no key version', async () => {
		const rows = await db.query(`SELECT name, connection_string, connection_string_encrypted, key_version, database, username FROM platform.databases ORDER BY name`);
		expect(rows).toEqual([
			{name: 'Railway MongoDB', connection_string: null, connection_string_encrypted: null, key_version: null, database: 'lancio', username: 'mongo'},
			{name: 'Railway Redis', connection_string: null, connection_string_encrypted: null, key_version: null, database: '0', username: 'default'},
		]);
	});

	test('get_project_databases() does not return the inactive placeholders', async () => {
		const rows = await db.query(`SELECT count(*)::int AS n FROM platform.get_project_databases((SELECT id FROM platform.projects WHERE ref = 'blackwhale-prod'))`);
		expect(rows).toEqual([{n: 0}]);
	});
});

describe('after the runbook registers the real connection strings (with parameters)', () => {
	// A database of its own: registering must not reach Step 3's placeholder tests, whatever order they run in.
	let db: TestDatabase;
	beforeAll(async () => {
		db = await freshDatabase('sql_m006_registered');
		await applyFiles(db.target, MIGRATIONS);
		for (const [name, url] of [['Railway MongoDB', MONGO_URL], ['Railway Redis', REDIS_URL]] as const) {
			await db.query(
				`UPDATE platform.databases SET connection_string = $1, status = 'active' WHERE project_id = (SELECT id FROM platform.projects WHERE ref = 'blackwhale-prod') AND name = $2`,
				[url, name],
			);
		}
	});
	afterAll(async () => {
		await db.drop();
	});

	test('the plan’s is_encrypted query shows t for both', async () => {
		const rows = await db.query(`SELECT name, connection_string_encrypted IS NOT NULL AS is_encrypted FROM platform.databases ORDER BY name`);
		expect(rows).toEqual([
			{name: 'Railway MongoDB', is_encrypted: true},
			{name: 'Railway Redis', is_encrypted: true},
		]);
	});

	test('the plan’s can_decrypt query shows t for both, and decrypts to the registered URLs', async () => {
		const rows = await db.query(`SELECT name, LENGTH(platform.decrypt_database_connection_string(id)) > 0 AS can_decrypt, platform.decrypt_database_connection_string(id) AS url FROM platform.databases ORDER BY name`);
		expect(rows).toEqual([
			{name: 'Railway MongoDB', can_decrypt: true, url: MONGO_URL},
			{name: 'Railway Redis', can_decrypt: true, url: REDIS_URL},
		]);
	});

	test('the post-deployment integrity check gives 2 databases, 26 RLS tables, 26 policies, all encrypted and decryptable', async () => {
		const [counts] = await db.query(`SELECT
			(SELECT COUNT(*) FROM platform.databases)::int AS database_count,
			(SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'platform' AND rowsecurity = true)::int AS tables_with_rls,
			(SELECT COUNT(*) FROM pg_policies WHERE schemaname = 'platform')::int AS policy_count`);
		const encryption = await db.query(`SELECT name, type, connection_string_encrypted IS NOT NULL AS encrypted, LENGTH(platform.decrypt_database_connection_string(id)) > 0 AS can_decrypt FROM platform.databases ORDER BY name`);
		expect({counts, encryption}).toEqual({
			counts: {database_count: 2, tables_with_rls: 26, policy_count: 26},
			encryption: [
				{name: 'Railway MongoDB', type: 'mongodb', encrypted: true, can_decrypt: true},
				{name: 'Railway Redis', type: 'redis', encrypted: true, can_decrypt: true},
			],
		});
	});

	test('get_project_databases() returns the now active rows, newest first, without credentials', async () => {
		const rows = await db.query(`SELECT * FROM platform.get_project_databases((SELECT id FROM platform.projects WHERE ref = 'blackwhale-prod'), 'redis')`);
		expect(rows.map((r) => Object.keys(r).sort())).toEqual([
			['config', 'created_at', 'database', 'host', 'id', 'last_health_check_at', 'health_check_status', 'name', 'port', 'project_id', 'ssl_enabled', 'status', 'type', 'updated_at'].sort(),
		]);
	});
});
