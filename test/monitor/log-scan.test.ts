import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {isPermissionError, scanLogForPermissionErrors} from '../../source/monitor/log-scan.js';
import {SERVER_LOG} from '../helpers/server-log.js';

let dir: string;
let logFile: string;

beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-log-'));
	logFile = path.join(dir, 'postgresql.log');
	await writeFile(logFile, `${SERVER_LOG}\n`);
});

afterAll(async () => {
	await rm(dir, {recursive: true, force: true});
});

describe('scanLogForPermissionErrors', () => {
	test('counts SQLSTATE 42501 and permission-denied entries in stderr and csv log lines', async () => {
		const scan = await scanLogForPermissionErrors(logFile);
		expect(scan).toMatchObject({status: 'errors', linesScanned: 12, count: 5});
		expect(scan.byObject).toEqual([
			{object: 'database prod', count: 1},
			{object: 'row-level security on organization_members', count: 1},
			{object: 'schema platform', count: 1},
			{object: 'table audit_logs', count: 1},
			{object: 'table users', count: 1},
		]);
		expect(scan.samples).toEqual([
			'2025-11-22 02:14:03.123 UTC [48211] app@prod 42501 ERROR:  permission denied for table users',
			'2025-11-22 02:17:44.010 UTC [48214] app@prod 42501 ERROR:  new row violates row-level security policy for table "organization_members"',
			'2025-11-22 02:18:00.000 UTC [48215] ERROR:  permission denied for schema platform at character 15',
		]);
	});

	test('does not count the operating system\u2019s "Permission denied" file errors', () => {
		expect(isPermissionError('2025-11-22 02:18:30.000 UTC [48216] ERROR:  could not open file "base/16384/2619": Permission denied')).toBe(false);
	});

	test('does not count a line whose prefix shows another SQLSTATE', () => {
		expect(isPermissionError('2025-11-22 02:18:30.000 UTC [1] app@prod 42P01 ERROR:  permission denied for table x')).toBe(false);
	});

	test('counts a jsonlog entry', () => {
		expect(isPermissionError('{"timestamp":"2025-11-22 02:19:05.000 UTC","error_severity":"ERROR","state_code":"42501","message":"permission denied for table users"}')).toBe(true);
	});

	test('masks secrets in the sample lines', async () => {
		const file = path.join(dir, 'secret.log');
		await writeFile(file, '2025-11-22 02:14:03.123 UTC [1] app@prod 42501 ERROR:  permission denied for function f(hunter2-secret)\n');
		const scan = await scanLogForPermissionErrors(file, {secrets: ['hunter2-secret']});
		expect(scan.samples).toEqual(['2025-11-22 02:14:03.123 UTC [1] app@prod 42501 ERROR:  permission denied for function f(****)']);
	});

	test('reports an unreadable log instead of failing', async () => {
		const missing = path.join(dir, 'missing.log');
		const scan = await scanLogForPermissionErrors(missing);
		expect(scan.status).toBe('unreadable');
		expect(scan.message).toContain(`The server log ${missing} could not be read (ENOENT`);
	});

	test('without a log, says why permission errors were not counted', async () => {
		const scan = await scanLogForPermissionErrors(undefined);
		expect(scan.status).toBe('not-given');
		expect(scan.message).toContain('pg_stat_statements cannot see failed statements');
	});
});
