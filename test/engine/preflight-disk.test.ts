/**
 * Before the window and when the disk fills (issue 15), through the CLI:
 * a missing pg_dump or too little space is bad input (exit 2) before anything
 * runs; a disk that fills while pg_dump writes (a small tmpfs the test mounts,
 * filled by another writer once the partial file exists) gives a clear error,
 * leaves no partial file and a sound state, and a resume with space finishes.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {existsSync, mkdirSync, readdirSync, rmSync, symlinkSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {runCli, spawnCli, subsetPlan, tempDir, journalEvents, waitFor} from '../helpers/cli.js';
import {freeSpace} from '../../source/backup/precheck.js';

let db: TestDatabase;
let plan: string;
const mounts: string[] = [];

/** A tmpfs of `size` mounted by the test (we run as root, like CI). */
async function smallFilesystem(size: string): Promise<string> {
	const dir = tempDir('tmpfs');
	const mounted = await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], {reject: false});
	if (mounted.exitCode !== 0) throw new Error(`mounting a tmpfs failed (the test needs root): ${mounted.stderr}`);
	mounts.push(dir);
	return dir;
}

beforeAll(async () => {
	db = await freshDatabase('preflight');
	plan = subsetPlan(['pre-backup']);
}, 120_000);

afterAll(async () => {
	for (const dir of mounts) await execa('umount', [dir], {reject: false});
	await db?.drop();
});

describe('preflight before the window', () => {
	it('a missing pg_dump is exit 2 before anything runs, naming the items that need it', async () => {
		const bin = tempDir('bin');
		for (const tool of ['node', 'psql', 'pg_restore']) symlinkSync(path.join('/usr/bin', tool), path.join(bin, tool));
		const stateDir = tempDir('preflight-tools');
		const result = await runCli(['run', '--yes', '--confirm', 'all', '--go', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan], {PATH: bin});
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/The run did not start: a check before the window failed\. Nothing ran and nothing was changed\.\n\n`pg_dump` was not found on PATH .* \(needed by backup\.client-tools, backup\.create\)/);
		expect(journalEvents(stateDir).filter((e) => e['type'] === 'item-started')).toEqual([]);
		expect(await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'runbook'`)).toEqual([]);
	});

	it('too little space for the backup is exit 2 before anything runs, one paragraph per problem', async () => {
		const tiny = await smallFilesystem('4m');
		const stateDir = tempDir('preflight-space');
		const result = await runCli(['run', '--yes', '--confirm', 'all', '--go', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan, '--backup-dir', tiny, '--app-role', 'no_such_role']);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/2 checks before the window failed/);
		expect(result.stderr).toMatch(new RegExp(`\\n\\nNot enough disk space for the backup \\(backup\\.create\\): .*${tiny}`));
		expect(result.stderr).toMatch(/\n\nThe application role `no_such_role` \(--app-role\) does not exist/);
		expect(journalEvents(stateDir).filter((e) => e['type'] === 'item-started')).toEqual([]);
	});
});

describe('the disk fills while pg_dump writes', () => {
	it('fails with a clear error, leaves no partial file and a sound state, and a resume with space finishes', async () => {
		// Room for the precheck (1.5 × the database), then another writer takes it all once the partial exists.
		const {rows} = {rows: await db.query<{bytes: string}>('SELECT pg_database_size(current_database())::text AS bytes')};
		const mib = Math.ceil((Number(rows[0]!.bytes) * 1.6) / 1048576) + 8;
		const disk = await smallFilesystem(`${mib}m`);
		const backups = path.join(disk, 'backups');
		mkdirSync(backups, {mode: 0o700});
		const filler = path.join(disk, 'filler');
		const stateDir = tempDir('disk-full');
		const args = ['run', '--yes', '--confirm', 'all', '--go', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan, '--backup-dir', backups];
		const run = spawnCli(args);
		await waitFor(() => (existsSync(backups) && readdirSync(backups).some((f) => f.endsWith('.partial')) ? true : undefined), 'the partial backup file', 120_000, 5);
		// Take what is free; pg_dump writes meanwhile, so a fallocate of what was free a moment ago can find less.
		for (let attempt = 0; attempt < 20; attempt++) {
			const {freeBytes} = await freeSpace(disk);
			if (freeBytes < 65_536) break;
			if ((await execa('fallocate', ['-l', String(freeBytes), `${filler}.${attempt}`], {reject: false})).exitCode === 0) break;
		}
		const result = await run;
		expect(result.exitCode).toBe(1);
		expect(String(result.stdout)).toMatch(new RegExp(`✗ backup\\.create: The disk holding the backup directory ${backups} is full: pg_dump of .* could not write the backup \\(No space left on device\\)\\. The partial file was removed`));
		expect(readdirSync(backups)).toEqual([]);
		// The state is sound: status reads it, and the failed item is what it shows.
		const status = await runCli(['status', '--plan', plan, '--state-dir', stateDir]);
		expect(status.exitCode).toBe(0);
		expect(status.stdout).toMatch(/\[!\] backup\.create/);
		for (const f of readdirSync(disk).filter((name) => name.startsWith('filler.'))) rmSync(path.join(disk, f));
		const resumed = await runCli([...args, '--resume']);
		expect(resumed.stderr).not.toMatch(/bug in runbook/);
		expect(resumed.exitCode).toBe(0);
		expect(resumed.stdout).toMatch(/✓ backup\.create/);
		expect(resumed.stdout).toMatch(/■ completed/);
		const files = readdirSync(backups);
		expect(files.filter((f) => f.endsWith('.partial'))).toEqual([]);
		expect(files.filter((f) => f.endsWith('.dump'))).toHaveLength(1);
	});
});
