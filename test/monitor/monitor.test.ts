import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applySqlFiles} from '../../source/sandbox/prepare.js';
import {runMonitor} from '../../source/monitor/run-monitor.js';
import {formatMonitorReport} from '../../source/monitor/format-report.js';
import {FAILED_STATEMENTS_NOTE} from '../../source/monitor/statements.js';
import type {BaselineResult} from '../../source/baseline/result.js';
import {SERVER_LOG} from '../helpers/server-log.js';

const SECRET_URL = 'redis://default:monitor-s3cret@redis.railway.internal:6379';

let db: TestDatabase;
let dir: string;

function check(result: Awaited<ReturnType<typeof runMonitor>>, id: string) {
	const found = result.checks.find((c) => c.id === id);
	if (found === undefined) throw new Error(`no check ${id}`);
	return found;
}

beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-monitor-'));
	db = await freshDatabase('monitor');
	await applySqlFiles(db.target, ['006_add_platform_databases_table.sql']);
	await db.query(
		`INSERT INTO platform.databases (project_id, name, type, host, port, connection_string, status)
		 SELECT p.id, 'Railway Redis', 'redis', 'redis.railway.internal', 6379, $1, 'active' FROM platform.projects p WHERE p.ref = 'blackwhale-prod'`,
		[SECRET_URL],
	);
	// What 006's RLS step does: a permissive policy and RLS on every platform table.
	await db.query(`DO $$
		DECLARE t record;
		BEGIN
			FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			         WHERE n.nspname = 'platform' AND c.relkind = 'r' LOOP
				EXECUTE format('CREATE POLICY %I ON platform.%I AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true)', 'permissive_all_' || t.relname, t.relname);
				EXECUTE format('ALTER TABLE platform.%I ENABLE ROW LEVEL SECURITY', t.relname);
			END LOOP;
		END $$`);
});

afterAll(async () => {
	await db?.drop();
	await rm(dir, {recursive: true, force: true});
});

describe('runMonitor', () => {
	test('reports pg_stat_statements as not installed, and that it never sees failed statements', async () => {
		const result = await runMonitor({target: db.target});
		expect(result.statements.status).toBe('not-installed');
		expect(result.statements.message).toBe(
			'The pg_stat_statements extension is not installed in this database: run `CREATE EXTENSION pg_stat_statements;` as a superuser (or a role allowed to create it), then check again.',
		);
		expect(result.statements.note).toBe(FAILED_STATEMENTS_NOTE);
		expect(formatMonitorReport(result)).toContain('  pg_stat_statements records only statements that completed: failed statements');
	});

	test('passes the RLS, registration and decryption checks on an intact database without revealing the secret', async () => {
		const result = await runMonitor({target: db.target});
		expect(result.checks.map((c) => [c.id, c.status])).toEqual([
			['rls-active', 'pass'],
			['connections-intact', 'pass'],
			['encryption-working', 'pass'],
		]);
		expect(check(result, 'encryption-working').detail).toBe('All 1 encrypted registration(s) decrypt to a non-empty value.');
		expect(result.ok).toBe(true);
		expect(JSON.stringify(result)).not.toContain('monitor-s3cret');
		expect(formatMonitorReport(result).join('\n')).not.toContain('monitor-s3cret');
	});

	test('finds a slow statement after CREATE EXTENSION and pairs it with the baseline query of the same text', async () => {
		await db.query('CREATE EXTENSION pg_stat_statements');
		// The suite's server holds the statements of every test database; past pg_stat_statements.max (5000) it
		// evicts entries, and one evicted between parse and end comes back with its text raw (pg_sleep(0.15), no $1).
		await db.query('SELECT pg_stat_statements_reset()');
		await db.query('SELECT pg_sleep(0.15)');
		const baseline = {queries: [{id: 'sleep', title: 'Sleep', sql: 'select  pg_sleep($1)', medianMs: 100}]} as unknown as BaselineResult;
		const result = await runMonitor({target: db.target, baseline});
		expect(result.statements.status).toBe('slow');
		expect(result.statements.column).toBe('mean_exec_time');
		const sleep = result.statements.slow.filter((s) => s.query.startsWith('SELECT pg_sleep'));
		expect(sleep).toHaveLength(1);
		expect(sleep[0]).toMatchObject({query: 'SELECT pg_sleep($1)', calls: 1, rows: 1, baselineId: 'sleep', baselineMedianMs: 100});
		expect(result.statements.baseline).toHaveLength(1);
		expect(result.statements.baseline[0]).toMatchObject({id: 'sleep', calls: 1});
	});

	test('counts permission errors (SQLSTATE 42501) in the server log and fails', async () => {
		const logFile = path.join(dir, 'postgresql.log');
		await writeFile(logFile, `${SERVER_LOG}\n`);
		const result = await runMonitor({target: db.target, logFile});
		expect(result.permissionErrors).toMatchObject({status: 'errors', count: 5, linesScanned: 12});
		expect(result.ok).toBe(false);
		expect(result.alerts).toContain(`5 permission error(s) (SQLSTATE 42501) in 12 line(s) of ${logFile}.`);
	});

	test('without a log, reports the rollback and deadlock counters as a proxy', async () => {
		const result = await runMonitor({target: db.target});
		expect(result.permissionErrors.status).toBe('not-given');
		expect(result.activity.xactCommit).toBeGreaterThan(0);
		expect(result.activity.deadlocks).toBe(0);
		expect(formatMonitorReport(result, {ascii: true}).some((l) => l.includes('deadlock(s)'))).toBe(true);
	});

	test('the RLS check fails naming the table whose RLS was disabled', async () => {
		await db.query('ALTER TABLE platform.users DISABLE ROW LEVEL SECURITY');
		const result = await runMonitor({target: db.target});
		expect(check(result, 'rls-active')).toMatchObject({status: 'fail', failures: ['platform.users: RLS disabled']});
		expect(result.ok).toBe(false);
		await db.query('ALTER TABLE platform.users ENABLE ROW LEVEL SECURITY');
	});

	test('the encryption check fails naming the registration whose ciphertext no longer decrypts', async () => {
		await db.query(`UPDATE platform.databases SET connection_string_encrypted = decode('c30d040703020000', 'hex') WHERE name = 'Railway Redis'`);
		const result = await runMonitor({target: db.target});
		const encryption = check(result, 'encryption-working');
		expect(encryption.status).toBe('fail');
		expect(encryption.failures).toHaveLength(1);
		expect(encryption.failures[0]!.startsWith('Railway Redis (redis): ')).toBe(true);
		expect(check(result, 'connections-intact').status).toBe('pass');
		expect(check(result, 'rls-active').status).toBe('pass');
	});
});
