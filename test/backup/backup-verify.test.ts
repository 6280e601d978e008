import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {copyFile, mkdtemp, open, readdir, rm, stat, truncate} from 'node:fs/promises';
import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {runBackup, type BackupResult} from '../../source/backup/dump.js';
import {verifyBackup} from '../../source/backup/verify.js';

let db: TestDatabase;
let dir: string;
let custom: BackupResult;
let plain: BackupResult;
let platformTables: string[];

async function sha256sum(file: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

beforeAll(async () => {
	db = await freshDatabase('backup_verify');
	// The default-scale data is 90 MB; a tenth of its two largest tables keeps
	// every table and a dump well over 100 KB while the test stays quick.
	await db.query(`
		DELETE FROM platform.audit_logs WHERE ctid NOT IN (SELECT ctid FROM platform.audit_logs LIMIT 20000);
		DELETE FROM platform.user_sessions WHERE ctid NOT IN (SELECT ctid FROM platform.user_sessions LIMIT 2000);`);
	await db.query('VACUUM platform.audit_logs, platform.user_sessions');
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-backup-'));
	const rows = await db.query<{name: string}>(
		`SELECT format('%s.%s', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'platform' ORDER BY 1`,
	);
	platformTables = rows.map((r) => r.name);
	custom = await runBackup({target: db.target, dir, now: () => new Date(2025, 0, 2, 3, 4, 5)});
	plain = await runBackup({target: db.target, dir, format: 'plain', now: () => new Date(2025, 0, 2, 3, 4, 5)});
});

afterAll(async () => {
	await db?.drop();
	if (dir) await rm(dir, {recursive: true, force: true});
});

describe.each([
	['custom', () => custom, 'backup-pre-migration-006-20250102-030405.dump'],
	['plain', () => plain, 'backup-pre-migration-006-20250102-030405.sql'],
] as const)('a %s backup of a fresh database', (format, result, name) => {
	test('is written under the plan’s file name with mode 0600 and no partial file left', async () => {
		expect(result().file).toBe(path.join(dir, name));
		expect(result().format).toBe(format);
		expect((await stat(result().file)).mode & 0o777).toBe(0o600);
		expect((await readdir(dir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
	});

	test('records its size and a sha256 that matches the file', async () => {
		expect(result().bytes).toBe((await stat(result().file)).size);
		expect(result().bytes).toBeGreaterThan(100 * 1024);
		expect(result().sha256).toBe(await sha256sum(result().file));
	});

	test('passes verification with every platform table and the recorded checksum', async () => {
		const verdict = await verifyBackup(result().file, {expectedSha256: result().sha256, expectTables: platformTables});
		expect(verdict.checks.map((c) => [c.name, c.ok])).toEqual([
			['exists', true],
			['size', true],
			['format', true],
			['tables', true],
			['data', true],
			['complete', true],
			['checksum', true],
		]);
		expect(verdict).toMatchObject({ok: true, format, sha256: result().sha256});
		expect(verdict.reason).toBeUndefined();
	});

	test('records the row count of every platform table in the dump’s snapshot', async () => {
		const live = await db.query<{n: string}>('SELECT count(*)::text AS n FROM platform.audit_logs');
		expect(result().tables.map((t) => t.table).filter((t) => t.startsWith('platform.'))).toEqual(platformTables);
		expect(result().tables.find((t) => t.table === 'platform.audit_logs')?.rows).toBe(Number(live[0]!.n));
	});
});

test('the custom backup uses compression level 1 and the server and client versions are recorded', () => {
	expect(custom.compression).toBe(1);
	expect(custom.args).toContain('--compress=1');
	expect(custom.args).toContain('--lock-wait-timeout=10000');
	expect(custom.serverVersion).toMatch(/^15\.\d+$/);
	expect(custom.clientVersion).toMatch(/^15\.\d+$/);
});

async function flipMiddleByte(file: string): Promise<void> {
	const handle = await open(file, 'r+');
	try {
		const {size} = await handle.stat();
		const at = Math.floor(size / 2);
		const byte = Buffer.alloc(1);
		await handle.read(byte, 0, 1, at);
		byte[0] = byte[0]! ^ 0xff;
		await handle.write(byte, 0, 1, at);
	} finally {
		await handle.close();
	}
}

test('a truncated custom archive fails as incomplete', async () => {
	const copy = path.join(dir, 'truncated.dump');
	await copyFile(custom.file, copy);
	await truncate(copy, Math.floor(custom.bytes / 2));
	const verdict = await verifyBackup(copy, {expectedSha256: custom.sha256, expectTables: platformTables});
	expect(verdict.ok).toBe(false);
	expect(verdict.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['complete', 'checksum']);
	expect(verdict.reason).toMatch(/^complete: pg_restore could not read the whole archive \(exit code 1\): .*end of file/);
});

test('a custom archive with one flipped byte in the middle fails on its data and its checksum', async () => {
	const copy = path.join(dir, 'flipped.dump');
	await copyFile(custom.file, copy);
	await flipMiddleByte(copy);
	const verdict = await verifyBackup(copy, {expectedSha256: custom.sha256, expectTables: platformTables});
	expect(verdict.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['complete', 'checksum']);
	expect(verdict.reason).toMatch(/^complete: pg_restore could not read the whole archive \(exit code 1\): .*could not uncompress data/);
});

test('a truncated plain dump fails as incomplete', async () => {
	const copy = path.join(dir, 'truncated.sql');
	await copyFile(plain.file, copy);
	await truncate(copy, plain.bytes - 200);
	const verdict = await verifyBackup(copy, {expectedSha256: plain.sha256, expectTables: platformTables});
	expect(verdict.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['complete', 'checksum']);
	expect(verdict.reason).toBe('complete: "-- PostgreSQL database dump complete" is missing: the dump was cut short');
});

test('a plain dump with one flipped byte in the middle fails only on its checksum', async () => {
	const copy = path.join(dir, 'flipped.sql');
	await copyFile(plain.file, copy);
	await flipMiddleByte(copy);
	const verdict = await verifyBackup(copy, {expectedSha256: plain.sha256, expectTables: platformTables});
	expect(verdict.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['checksum']);
	expect(verdict.reason).toBe(`checksum: sha256 is ${await sha256sum(copy)}, but ${plain.sha256} was recorded when the backup was taken: the file changed since`);
});

test('a backup missing an expected table fails the tables check naming it', async () => {
	const verdict = await verifyBackup(custom.file, {expectTables: [...platformTables, 'platform.databases']});
	expect(verdict.reason).toBe('tables: 1 of 26 expected tables have no TABLE entry in pg_restore --list: platform.databases');
});

test('a missing file fails the exists check', async () => {
	const verdict = await verifyBackup(path.join(dir, 'nope.dump'));
	expect(verdict).toMatchObject({ok: false, format: 'unknown', reason: `exists: ${path.join(dir, 'nope.dump')} does not exist`});
});
