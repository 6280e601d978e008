/**
 * What happens when a 006 migration fails or is applied twice. Each file runs
 * in one transaction (--single-transaction, ON_ERROR_STOP), so a failure
 * leaves the schema exactly as it was (compared with pg_dump --schema-only).
 *
 * Each test has a database of its own with the steps it starts from applied,
 * so none depends on what another left behind, or on the order they run in.
 */
import {describe, expect, test} from 'vitest';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applyFile, applyFiles, brokenCopy, MIGRATIONS, schemaDump, applyAndObserve} from '../helpers/sql.js';

const [ADD, RLS, REGISTER] = MIGRATIONS;

/** Runs `work` on a new database with `steps` applied, then drops it. */
async function withDatabase(steps: readonly string[], work: (db: TestDatabase) => Promise<void>): Promise<void> {
	const db = await freshDatabase('sql_fail');
	try {
		await applyFiles(db.target, steps);
		await work(db);
	} finally {
		await db.drop();
	}
}

describe('a syntax error injected at the end of a migration', () => {
	test('006_add_platform_databases_table: psql exits 3 and the schema is unchanged', () =>
		withDatabase([], async (db) => {
			const before = await schemaDump(db.target);
			const broken = await brokenCopy(ADD);
			try {
				const result = await applyFile(db.target, broken.path);
				expect({exitCode: result.exitCode, after: await schemaDump(db.target)}).toEqual({exitCode: 3, after: before});
			} finally {
				await broken.cleanup();
			}
		}));

	test('006_enable_rls_with_permissive_policies: psql exits 3 and the schema is unchanged', () =>
		withDatabase([ADD], async (db) => {
			const before = await schemaDump(db.target);
			const broken = await brokenCopy(RLS);
			try {
				const result = await applyFile(db.target, broken.path);
				expect({exitCode: result.exitCode, after: await schemaDump(db.target)}).toEqual({exitCode: 3, after: before});
			} finally {
				await broken.cleanup();
			}
		}));
});

describe('applying a migration twice', () => {
	test('006_add_platform_databases_table: the second run fails cleanly and changes nothing', () =>
		withDatabase([ADD], async (db) => {
			const before = await schemaDump(db.target);
			expect(await applyAndObserve(db.target, ADD)).toEqual({
				exitCode: 3,
				error: [expect.stringContaining('ERROR:  relation "databases" already exists')],
				after: before,
			});
		}));

	test('006_enable_rls_with_permissive_policies: the second run fails cleanly and changes nothing', () =>
		withDatabase([ADD, RLS], async (db) => {
			const before = await schemaDump(db.target);
			expect(await applyAndObserve(db.target, RLS)).toEqual({
				exitCode: 3,
				error: [expect.stringContaining('ERROR:  function "verify_rls_enabled" already exists with same argument types')],
				after: before,
			});
		}));

	test('006_register_railway_databases: the second run inserts nothing and keeps registered values', () =>
		withDatabase([ADD, RLS, REGISTER], async (db) => {
			await db.query(`UPDATE platform.databases SET connection_string = $1, status = 'active' WHERE name = 'Railway Redis'`, ['redis://default:pw@redis.railway.internal:6379/0']);
			const before = await db.query(`SELECT * FROM platform.databases ORDER BY name`);
			const result = await applyFile(db.target, REGISTER);
			expect({exitCode: result.exitCode, stdout: result.stdout, after: await db.query(`SELECT * FROM platform.databases ORDER BY name`)}).toEqual({
				exitCode: 0,
				stdout: ['SELECT 1', 'DO', 'INSERT 0 0'],
				after: before,
			});
		}));
});

describe('006_register_railway_databases without exactly one project to register for', () => {
	test('a second project in organization lancio: raises, names both candidates, and inserts nothing', () =>
		withDatabase([ADD, RLS], async (db) => {
			const second = `INSERT INTO platform.projects (organization_id, name, slug, ref, database_host, database_password, postgres_meta_url, supabase_url)
				SELECT id, 'Orca', 'orca', 'orca-staging', 'db.orca.internal', 'x', 'http://meta.orca.internal', 'https://orca.example' FROM platform.organizations WHERE slug = 'lancio'`;
			const result = await applyFile(db.target, REGISTER, {before: [second]});
			const rows = await db.query(`SELECT (SELECT count(*) FROM platform.databases)::int AS databases, (SELECT count(*) FROM platform.projects WHERE ref = 'orca-staging')::int AS orca`);
			expect({exitCode: result.exitCode, error: result.stderr.filter((l) => l.includes('ERROR')), rows}).toEqual({
				exitCode: 3,
				error: [expect.stringContaining('ERROR:  expected exactly one project in organization lancio, found 2: BlackWhale (blackwhale-prod), Orca (orca-staging)')],
				rows: [{databases: 0, orca: 0}],
			});
		}));

	test('a project_ref variable that matches no project: raises, names the ref, and inserts nothing', () =>
		withDatabase([ADD, RLS], async (db) => {
			const result = await applyFile(db.target, REGISTER, {vars: {project_ref: 'no-such-ref'}});
			const rows = await db.query(`SELECT count(*)::int AS databases FROM platform.databases`);
			expect({exitCode: result.exitCode, error: result.stderr.filter((l) => l.includes('ERROR')), rows}).toEqual({
				exitCode: 3,
				error: [expect.stringContaining('ERROR:  expected exactly one project with ref no-such-ref, found 0')],
				rows: [{databases: 0}],
			});
		}));

	test('with project_ref naming the project, registers for that one', () =>
		withDatabase([ADD, RLS], async (db) => {
			const result = await applyFile(db.target, REGISTER, {vars: {project_ref: 'blackwhale-prod'}});
			const rows = await db.query(`SELECT p.ref, count(*)::int AS n FROM platform.databases d JOIN platform.projects p ON p.id = d.project_id GROUP BY p.ref`);
			expect({exitCode: result.exitCode, rows}).toEqual({exitCode: 0, rows: [{ref: 'blackwhale-prod', n: 2}]});
		}));
});
