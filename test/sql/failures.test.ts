/**
 * What happens when a 006 migration fails or is applied twice. Each file runs
 * in one transaction (--single-transaction, ON_ERROR_STOP), so a failure
 * leaves the schema exactly as it was (compared with pg_dump --schema-only).
 *
 * The tests run in order on one database: nothing, then Step 1, then Step 2,
 * then Step 3.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applyFile, applyFiles, brokenCopy, MIGRATIONS, schemaDump, applyAndObserve} from './sql-helpers.js';

const [ADD, RLS, REGISTER] = MIGRATIONS;

let db: TestDatabase;

beforeAll(async () => {
	db = await freshDatabase('sql_fail');
});

afterAll(async () => {
	await db.drop();
});

describe('a syntax error injected at the end of a migration', () => {
	test('006_add_platform_databases_table: psql exits 3 and the schema is unchanged', async () => {
		const before = await schemaDump(db.target);
		const broken = await brokenCopy(ADD);
		try {
			const result = await applyFile(db.target, broken.path);
			expect({exitCode: result.exitCode, after: await schemaDump(db.target)}).toEqual({exitCode: 3, after: before});
		} finally {
			await broken.cleanup();
		}
	});

	test('006_enable_rls_with_permissive_policies: psql exits 3 and the schema is unchanged', async () => {
		await applyFiles(db.target, [ADD]);
		const before = await schemaDump(db.target);
		const broken = await brokenCopy(RLS);
		try {
			const result = await applyFile(db.target, broken.path);
			expect({exitCode: result.exitCode, after: await schemaDump(db.target)}).toEqual({exitCode: 3, after: before});
		} finally {
			await broken.cleanup();
		}
	});
});

describe('applying a migration twice', () => {
	test('006_add_platform_databases_table: the second run fails cleanly and changes nothing', async () => {
		const before = await schemaDump(db.target);
		expect(await applyAndObserve(db.target, ADD)).toEqual({
			exitCode: 3,
			error: [expect.stringContaining('ERROR:  relation "databases" already exists')],
			after: before,
		});
	});

	test('006_enable_rls_with_permissive_policies: the second run fails cleanly and changes nothing', async () => {
		await applyFiles(db.target, [RLS]);
		const before = await schemaDump(db.target);
		expect(await applyAndObserve(db.target, RLS)).toEqual({
			exitCode: 3,
			error: [expect.stringContaining('ERROR:  function "verify_rls_enabled" already exists with same argument types')],
			after: before,
		});
	});

	test('006_register_railway_databases: the second run inserts nothing and keeps registered values', async () => {
		await applyFiles(db.target, [REGISTER]);
		await db.query(`UPDATE platform.databases SET connection_string = $1, status = 'active' WHERE name = 'Railway Redis'`, ['redis://default:pw@redis.railway.internal:6379/0']);
		const before = await db.query(`SELECT * FROM platform.databases ORDER BY name`);
		const result = await applyFile(db.target, REGISTER);
		expect({exitCode: result.exitCode, stdout: result.stdout, after: await db.query(`SELECT * FROM platform.databases ORDER BY name`)}).toEqual({
			exitCode: 0,
			stdout: ['SELECT 1', 'DO', 'INSERT 0 0'],
			after: before,
		});
	});
});

describe('006_register_railway_databases without exactly one project to register for', () => {
	test('a second project in organization lancio: raises, names both candidates, and inserts nothing', async () => {
		await db.query(`DELETE FROM platform.databases`);
		const second = `INSERT INTO platform.projects (organization_id, name, slug, ref, database_host, database_password, postgres_meta_url, supabase_url)
			SELECT id, 'Orca', 'orca', 'orca-staging', 'db.orca.internal', 'x', 'http://meta.orca.internal', 'https://orca.example' FROM platform.organizations WHERE slug = 'lancio'`;
		const result = await applyFile(db.target, REGISTER, {before: [second]});
		const rows = await db.query(`SELECT (SELECT count(*) FROM platform.databases)::int AS databases, (SELECT count(*) FROM platform.projects WHERE ref = 'orca-staging')::int AS orca`);
		expect({exitCode: result.exitCode, error: result.stderr.filter((l) => l.includes('ERROR')), rows}).toEqual({
			exitCode: 3,
			error: [expect.stringContaining('ERROR:  expected exactly one project in organization lancio, found 2: BlackWhale (blackwhale-prod), Orca (orca-staging)')],
			rows: [{databases: 0, orca: 0}],
		});
	});

	test('a project_ref variable that matches no project: raises, names the ref, and inserts nothing', async () => {
		const result = await applyFile(db.target, REGISTER, {vars: {project_ref: 'no-such-ref'}});
		const rows = await db.query(`SELECT count(*)::int AS databases FROM platform.databases`);
		expect({exitCode: result.exitCode, error: result.stderr.filter((l) => l.includes('ERROR')), rows}).toEqual({
			exitCode: 3,
			error: [expect.stringContaining('ERROR:  expected exactly one project with ref no-such-ref, found 0')],
			rows: [{databases: 0}],
		});
	});

	test('with project_ref naming the project, registers for that one', async () => {
		const result = await applyFile(db.target, REGISTER, {vars: {project_ref: 'blackwhale-prod'}});
		const rows = await db.query(`SELECT p.ref, count(*)::int AS n FROM platform.databases d JOIN platform.projects p ON p.id = d.project_id GROUP BY p.ref`);
		expect({exitCode: result.exitCode, rows}).toEqual({exitCode: 0, rows: [{ref: 'blackwhale-prod', n: 2}]});
	});
});
