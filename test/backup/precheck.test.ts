import {afterAll, beforeAll, expect, test} from 'vitest';
import {mkdtemp, readdir, rm, stat} from 'node:fs/promises';
import {execFileSync} from 'node:child_process';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {adminQuery} from '../../source/sandbox/server.js';
import {parseTarget, type Target} from '../../source/db/target.js';
import {checkReadAccess, diskSpaceCheck, freeSpace, precheckBackup} from '../../source/backup/precheck.js';
import {runBackup, type BackupProgress} from '../../source/backup/dump.js';
import {UserError} from '../../source/errors.js';

// A small database of its own: these tests are about the checks, not the data volume.
let db: TestDatabase;
let dir: string;
let tmpfsDir: string | undefined;
const role = `runbook_reader_${randomBytes(3).toString('hex')}`;
const password = `Pw-${randomBytes(6).toString('hex')}-Distinctive`;
let reader: Target;

beforeAll(async () => {
	db = await freshDatabase('backup_precheck', {empty: true});
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-precheck-'));
	await db.query(`
		CREATE SCHEMA platform;
		CREATE TABLE platform.projects (id int PRIMARY KEY, name text);
		INSERT INTO platform.projects SELECT g, 'p' || g FROM generate_series(1, 500) g;
		CREATE TABLE platform.credentials (id int PRIMARY KEY, secret text);
		CREATE TABLE platform.tenants (id int PRIMARY KEY);
		ALTER TABLE platform.tenants ENABLE ROW LEVEL SECURITY;`);
	const {rows} = await adminQuery(db.admin, `SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text) AS sql`, [role, password]);
	await adminQuery(db.admin, rows[0]!.sql as string);
	const grants = await db.query<{sql: string}>(
		`SELECT format('GRANT USAGE ON SCHEMA platform TO %1$I; GRANT SELECT ON platform.projects, platform.tenants TO %1$I', $1::text) AS sql`,
		[role],
	);
	await db.query(grants[0]!.sql);
	const url = new URL(db.url);
	url.username = role;
	url.password = password;
	reader = parseTarget(url.toString());
});

afterAll(async () => {
	if (tmpfsDir) {
		execFileSync('umount', [tmpfsDir]);
		await rm(tmpfsDir, {recursive: true, force: true});
	}
	await db?.drop();
	const {rows} = await adminQuery(db.admin, `SELECT format('DROP ROLE IF EXISTS %I', $1::text) AS sql`, [role]);
	await adminQuery(db.admin, rows[0]!.sql as string);
	await rm(dir, {recursive: true, force: true});
});

test('the space rule needs 1.5 times the database size and names both sizes', () => {
	expect(diskSpaceCheck({dir: '/backups', freeBytes: 150 * 1024 * 1024, databaseBytes: 100 * 1024 * 1024})).toEqual({
		name: 'disk-space',
		ok: true,
		detail: '150 MiB free in /backups, database is 100 MiB, 1.5× that is 150 MiB',
	});
	expect(diskSpaceCheck({dir: '/backups', freeBytes: 150 * 1024 * 1024 - 1, databaseBytes: 100 * 1024 * 1024}).ok).toBe(false);
});

test('a backup directory on a full small filesystem stops the backup before pg_dump starts', async () => {
	// A real 512 KiB tmpfs (we run as root), smaller than any database.
	tmpfsDir = await mkdtemp(path.join(tmpdir(), 'runbook-tmpfs-'));
	execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', tmpfsDir]);
	const {freeBytes} = await freeSpace(tmpfsDir);
	expect(freeBytes).toBe(512 * 1024);
	const size = Number((await db.query<{s: string}>('SELECT pg_database_size(current_database())::text AS s'))[0]!.s);
	const expected = diskSpaceCheck({dir: tmpfsDir, freeBytes, databaseBytes: size});
	expect(expected.detail).toMatch(/^not enough space for the backup: 512 KiB free in .*, database is \d+\.\d+ MiB, 1\.5× that is \d+\.\d+ MiB\. Free space there or choose another backup directory\.$/);
	await expect(runBackup({target: db.target, dir: tmpfsDir})).rejects.toThrow(`The backup of ${db.target.display} did not start: ${expected.detail}`);
	expect(await readdir(tmpfsDir)).toEqual([]);
});

test('the precheck passes for the owner with room to spare', async () => {
	const result = await precheckBackup({target: db.target, dir});
	expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
		['disk-space', true],
		['read-privileges', true],
		['row-security', true],
	]);
	expect(result.ok).toBe(true);
});

test('a role without SELECT on a table is named with that table', async () => {
	const [privileges] = await checkReadAccess(reader);
	expect(privileges).toEqual({
		name: 'read-privileges',
		ok: false,
		detail: `role ${role} has no SELECT privilege on platform.credentials; pg_dump would fail on the first of them. Connect as the owner or a superuser, or grant the missing privileges.`,
	});
});

test('a table with row-level security that applies to the role is named, with why pg_dump fails', async () => {
	const [, rowSecurity] = await checkReadAccess(reader);
	expect(rowSecurity).toEqual({
		name: 'row-security',
		ok: false,
		detail: `row-level security applies to role ${role} on platform.tenants: pg_dump runs with row_security off and fails rather than dump a filtered table. Back up as the tables' owner, a superuser, or a role with BYPASSRLS.`,
	});
});

test('no password appears in a failing backup’s error, lines or progress', async () => {
	const seen: string[] = [];
	let error: unknown;
	try {
		await runBackup({
			target: reader,
			dir,
			countRows: false,
			progressIntervalMs: 50,
			onLine: (line) => seen.push(line.line),
			onProgress: (p: BackupProgress) => seen.push(JSON.stringify(p)),
		});
	} catch (caught) {
		error = caught;
	}
	expect(error).toBeInstanceOf(UserError);
	const message = (error as Error).message;
	expect(message).toMatch(/^pg_dump of .* failed with exit code 1; the partial file was removed, no backup exists\. Its last lines were:\n[\s\S]*permission denied for table credentials/);
	expect(seen.length).toBeGreaterThan(0);
	for (const text of [message, ...seen, JSON.stringify(error)]) {
		expect(text).not.toContain(password);
		expect(text).not.toContain(encodeURIComponent(password));
	}
	expect((await readdir(dir)).filter((f) => f.startsWith('backup-pre-migration-006'))).toEqual([]);
});

test('no password appears in a successful backup’s lines, progress or result', async () => {
	const grant = await db.query<{sql: string}>(`SELECT format('GRANT SELECT ON platform.credentials TO %I; GRANT %I TO %I', $1::text, 'pg_read_all_data', $1::text) AS sql`, [role]);
	await db.query(grant[0]!.sql);
	await db.query('ALTER TABLE platform.tenants DISABLE ROW LEVEL SECURITY');
	const seen: string[] = [];
	const result = await runBackup({
		target: reader,
		dir,
		prefix: 'reader',
		progressIntervalMs: 50,
		onLine: (line) => seen.push(line.line),
		onProgress: (p) => seen.push(JSON.stringify(p)),
	});
	expect((await stat(result.file)).mode & 0o777).toBe(0o600);
	expect(result.tables).toEqual([
		{table: 'platform.credentials', rows: 0},
		{table: 'platform.projects', rows: 500},
		{table: 'platform.tenants', rows: 0},
	]);
	for (const text of [...seen, JSON.stringify(result)]) expect(text).not.toContain(password);
});
