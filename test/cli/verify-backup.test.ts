/** `runbook verify-backup <file>`: a backup file checked alone, exit 0 or 1 with the reason. */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {copyFileSync, readFileSync, writeFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {runCli, tempDir} from '../helpers/cli.js';
import {runBackup} from '../../source/backup/dump.js';

let db: TestDatabase;
let file: string;
let sha256: string;
let dir: string;

beforeAll(async () => {
	db = await freshDatabase('verify_cli');
	dir = tempDir('verify');
	const result = await runBackup({target: db.target, dir, countRows: false});
	file = result.file;
	sha256 = result.sha256;
});

afterAll(async () => {
	await db?.drop();
});

describe('runbook verify-backup', () => {
	it('passes a complete backup and its recorded checksum with exit 0', async () => {
		const result = await runCli(['verify-backup', file, sha256]);
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/^OK .* \(custom, \d+ bytes, sha256 [0-9a-f]{64}\)$/m);
	});

	it('fails a truncated copy with exit 1 and the reason', async () => {
		const truncated = path.join(dir, 'truncated.dump');
		writeFileSync(truncated, readFileSync(file).subarray(0, Math.floor(statSync(file).size / 2)));
		const result = await runCli(['verify-backup', truncated]);
		expect(result.exitCode).toBe(1);
		expect(result.stderr).toMatch(/is not a usable backup: complete: /);
	});

	it('fails a copy whose checksum does not match the recorded one', async () => {
		const copy = path.join(dir, 'copy.dump');
		copyFileSync(file, copy);
		const bytes = readFileSync(copy);
		const middle = Math.floor(bytes.length / 2);
		bytes[middle] = bytes[middle]! ^ 0xff;
		writeFileSync(copy, bytes);
		const result = await runCli(['verify-backup', copy, sha256]);
		expect(result.exitCode).toBe(1);
		expect(result.stdout).toMatch(/FAIL checksum/);
	});
});
