import {afterAll, beforeAll, expect, test} from 'vitest';
import {copyFile, mkdtemp, rm, truncate} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {freshDatabase, schemaDump, type TestDatabase} from '../helpers/db.js';
import {adminQuery, dropDatabase} from '../../source/sandbox/server.js';
import {sqlDir} from '../../source/sandbox/prepare.js';
import {runPsql} from '../../source/proc/psql.js';
import {runBackup, type BackupResult} from '../../source/backup/dump.js';
import {countRows} from '../../source/backup/row-counts.js';
import {restoreFromBackup, testRestore} from '../../source/backup/restore.js';

// The template's default-scale data (90 MB) is cut down to a few thousand rows
// in its two largest tables: these tests restore several times, and what they
// prove (every table, every row, the schema) does not depend on volume.
let db: TestDatabase;
let dir: string;
let backup: BackupResult;
let plainBackup: BackupResult;
let schemaBefore: string;
const extraDatabases: string[] = [];


async function databaseExists(name: string): Promise<boolean> {
	const {rows} = await adminQuery(db.admin, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
	return rows.length === 1;
}

beforeAll(async () => {
	db = await freshDatabase('backup_restore');
	await db.query(`
		DELETE FROM platform.audit_logs WHERE ctid NOT IN (SELECT ctid FROM platform.audit_logs LIMIT 3000);
		DELETE FROM platform.user_sessions WHERE ctid NOT IN (SELECT ctid FROM platform.user_sessions LIMIT 3000);`);
	await db.query('VACUUM platform.audit_logs, platform.user_sessions');
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-restore-'));
	schemaBefore = await schemaDump(db.target);
	backup = await runBackup({target: db.target, dir});
	plainBackup = await runBackup({target: db.target, dir, format: 'plain'});
});

afterAll(async () => {
	for (const name of extraDatabases) await dropDatabase(db.admin, name);
	await db?.drop();
	if (dir) await rm(dir, {recursive: true, force: true});
});

test('a test restore of the custom archive has the same tables and exact row counts, and its scratch database is gone', async () => {
	const result = await testRestore({file: backup.file, admin: db.admin, source: db.target, expected: backup.tables});
	expect(result.reason).toBeUndefined();
	expect(result.ok).toBe(true);
	expect(result.comparedWith).toBe('backup-snapshot');
	expect(result.mismatches).toEqual([]);
	expect(result.tables).toEqual(backup.tables.map((t) => ({table: t.table, source: t.rows, restored: t.rows})));
	expect(result.tables.filter((t) => t.table.startsWith('platform.'))).toHaveLength(25);
	expect(await databaseExists(result.database)).toBe(false);
});

test('a test restore of the plain dump matches the live source table for table', async () => {
	const result = await testRestore({file: plainBackup.file, admin: db.admin, source: db.target});
	expect(result).toMatchObject({ok: true, format: 'plain', comparedWith: 'live-source', mismatches: []});
	expect(result.tables).toEqual((await countRows(db.target)).map((t) => ({table: t.table, source: t.rows, restored: t.rows})));
	expect(await databaseExists(result.database)).toBe(false);
});

test('a test restore of a truncated archive fails and still drops its scratch database', async () => {
	const copy = path.join(dir, 'cut.dump');
	await copyFile(backup.file, copy);
	await truncate(copy, Math.floor(backup.bytes * 0.6));
	const result = await testRestore({file: copy, admin: db.admin, source: db.target, expected: backup.tables});
	expect(result.ok).toBe(false);
	expect(result.reason).toMatch(new RegExp(`^the restore into ${result.database} failed \\(exit code 1\\): [\\s\\S]*could not read from input file: end of file`));
	expect(await databaseExists(result.database)).toBe(false);
});

test('a restore with a checksum other than the recorded one is refused before anything changes', async () => {
	const wrong = '0'.repeat(64);
	await expect(restoreFromBackup({file: backup.file, target: db.target, expectedSha256: wrong, mode: 'swap'})).rejects.toThrow(
		`Refusing to restore ${backup.file}: its sha256 is ${backup.sha256}, but the backup recorded ${wrong}.`,
	);
});

test('clean mode puts deleted rows back and matches the row counts read from the archive', async () => {
	await db.query(`DELETE FROM platform.audit_logs WHERE ctid IN (SELECT ctid FROM platform.audit_logs LIMIT 100)`);
	const result = await restoreFromBackup({file: backup.file, target: db.target, expectedSha256: backup.sha256, mode: 'clean'});
	expect(result).toMatchObject({ok: true, mode: 'clean', comparedWith: 'archive', mismatches: []});
	expect(result.tables.find((t) => t.table === 'platform.audit_logs')).toEqual({table: 'platform.audit_logs', source: 3000, restored: 3000});
});

test('after the three 006 migrations, a swap restore brings back the pre-migration schema and rows, keeping the migrated database', async () => {
	for (const file of ['006_add_platform_databases_table.sql', '006_enable_rls_with_permissive_policies.sql', '006_register_railway_databases.sql']) {
		const run = await runPsql({target: db.target, steps: [{file: path.join(sqlDir, file)}], singleTransaction: true, quiet: true});
		expect(run.exitCode).toBe(0);
	}
	expect(await schemaDump(db.target)).not.toBe(schemaBefore);
	const projects = Number((await db.query<{n: string}>('SELECT count(*)::text AS n FROM platform.projects'))[0]!.n);
	// A session the application left open: the restore must end it (and not its own).
	const app = new pg.Client(db.target.clientConfig({application_name: 'app'}));
	await app.connect();
	app.on('error', () => undefined);
	const result = await restoreFromBackup({file: backup.file, target: db.target, expectedSha256: backup.sha256, mode: 'swap', expected: backup.tables});
	await app.end().catch(() => undefined);
	if (result.keptDatabase) extraDatabases.push(result.keptDatabase);
	expect(result).toMatchObject({ok: true, mode: 'swap', database: db.name, comparedWith: 'backup-snapshot', mismatches: [], projects});
	expect(result.terminated).toBeGreaterThanOrEqual(1);
	expect(result.keptDatabase).toMatch(new RegExp(`^${db.name}_pre_restore_norun_\\d{14}_[0-9a-f]{4}$`));
	expect(await schemaDump(db.target)).toBe(schemaBefore);
	expect(await countRows(db.target)).toEqual(backup.tables);
	const kept = await adminQuery(db.admin.withDatabase(result.keptDatabase!), `SELECT to_regclass('platform.databases') IS NOT NULL AS present`);
	expect(kept.rows[0]).toEqual({present: true});
});
