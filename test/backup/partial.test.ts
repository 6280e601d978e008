import {afterAll, beforeAll, expect, test} from 'vitest';
import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {connectTo, freshDatabase, type TestDatabase} from '../helpers/db.js';
import {discardPartial, runBackup} from '../../source/backup/dump.js';

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
	db = await freshDatabase('backup_partial', {empty: true});
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-partial-'));
});

afterAll(async () => {
	await db?.drop();
	await rm(dir, {recursive: true, force: true});
});

test('a backup cancelled while pg_dump runs leaves neither a partial nor a finished file', async () => {
	const controller = new AbortController();
	const out = path.join(dir, 'cancelled');
	await expect(
		runBackup({target: db.target, dir: out, signal: controller.signal, onLine: () => controller.abort()}),
	).rejects.toThrow(`The backup of ${db.target.display} was cancelled; the partial file was removed.`);
	expect(await readdir(out)).toEqual([]);
});

test('a table held by DDL stops the backup within the lock wait timeout, and pg_dump with it, leaving no file', async () => {
	await db.query('CREATE TABLE IF NOT EXISTS held (id int)');
	const holder = await connectTo(db, 'runbook-test-ddl-holder');
	try {
		await holder.query('BEGIN');
		await holder.query('LOCK TABLE held IN ACCESS EXCLUSIVE MODE');
		const out = path.join(dir, 'held');
		const started = Date.now();
		// Our reads in the snapshot and pg_dump's LOCK TABLE both wait at most the lock wait timeout; either way, no backup.
		await expect(runBackup({target: db.target, dir: out, lockWaitTimeoutMs: 300})).rejects.toThrow(/lock timeout|canceling statement due to lock timeout|could not obtain lock/);
		expect(Date.now() - started).toBeLessThan(10_000);
		expect(await readdir(out)).toEqual([]);
		// pg_dump's session goes with it (its backend may take a moment to notice).
		const dumping = () => db.query(`SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'runbook-pg_dump%' AND datname = current_database()`);
		for (let i = 0; i < 40 && (await dumping()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
		expect(await dumping()).toEqual([]);
	} finally {
		await holder.query('ROLLBACK');
		await holder.end();
		await db.query('DROP TABLE held');
	}
});

test('discardPartial removes only the partial files of backups with the prefix', async () => {
	const out = path.join(dir, 'crashed');
	await mkdir(out);
	for (const name of ['backup-pre-migration-006-20250102-030405.dump.partial', 'backup-pre-migration-006-20250101-000000.dump', 'other.dump.partial']) {
		await writeFile(path.join(out, name), 'x');
	}
	expect(await discardPartial(out)).toEqual([path.join(out, 'backup-pre-migration-006-20250102-030405.dump.partial')]);
	expect((await readdir(out)).sort()).toEqual(['backup-pre-migration-006-20250101-000000.dump', 'other.dump.partial']);
});

test('discardPartial of a directory that does not exist removes nothing', async () => {
	expect(await discardPartial(path.join(dir, 'never-created'))).toEqual([]);
});
