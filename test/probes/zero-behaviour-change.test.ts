/**
 * "Zero behaviour change", proven against the application's own statements
 * (shared/CUSTOMER-DATABASE.md): the runbook migrates a seeded database, then
 * every statement of the application runs as the application role and
 * succeeds, with the Redis row's connection_string equal to REDIS_URL; and a
 * migration that drops a column a probe reads fails its own verification,
 * naming the probe and the error and offering the rollback level.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import path from 'node:path';
import {parse, stringify} from 'yaml';
import pg from 'pg';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {runCli, tempDir, journalEvents, subsetPlan} from '../helpers/cli.js';
import {startRedis, type RedisServer} from '../helpers/redis-server.js';
import {applySqlFiles, PREREQUISITES} from '../../source/sandbox/prepare.js';

type State = {status: string; items: Record<string, {status: string; error?: string; matrixRow?: string}>; data: Record<string, unknown>};
const stateOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as State;

/** Runs `work` as runbook_app inside a transaction that is rolled back (nothing stays behind). */
async function asApp<T>(db: TestDatabase, work: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client(db.target.clientConfig({application_name: 'the-application'}));
	await client.connect();
	try {
		await client.query('BEGIN');
		await client.query('SET LOCAL ROLE runbook_app');
		return await work(client);
	} finally {
		await client.query('ROLLBACK').catch(() => undefined);
		await client.end();
	}
}

describe('the whole plan on a seeded database, then the application’s statements as runbook_app', () => {
	let db: TestDatabase;
	let redis: RedisServer;
	let redisUrl: string;
	let stateDir: string;
	let run: {exitCode: number; stdout: string; stderr: string};

	beforeAll(async () => {
		db = await freshDatabase('zbc');
		redis = await startRedis({password: 'zbc-redis-pw'});
		redisUrl = `redis://default:zbc-redis-pw@127.0.0.1:${redis.port}/0`;
		stateDir = tempDir('zbc');
		run = await runCli(['run', '--yes', '--confirm', 'all', '--go', '--database-url', db.url, '--state-dir', stateDir, '--app-role', 'runbook_app'], {REDIS_URL: redisUrl});
	}, 300_000);

	afterAll(async () => {
		await redis?.stop();
		await db?.drop();
	});

	it('completes, with every probes item passed and no probe changed', () => {
		expect(run.stdout).toMatch(/■ completed/);
		expect(run.exitCode).toBe(0);
		const state = stateOf(stateDir);
		expect(['ready.probes-before', 'step1.probes', 'step2.probes', 'step3.probes'].map((id) => [id, state.items[id]?.status])).toEqual([
			['ready.probes-before', 'passed'],
			['step1.probes', 'passed'],
			['step2.probes', 'passed'],
			['step3.probes', 'passed'],
		]);
		expect(run.stdout).toMatch(/✓ step3\.probes \(\d+ ms\): 11 probes as runbook_app \(RLS applies\): 11 ran, 10 unchanged, 0 changed; readiness for pending migrations: 0 of 1 ready/);
	});

	it('the Redis route: SELECT * … WHERE id = $1 gives connection_string equal to REDIS_URL', async () => {
		const rows = await asApp(db, async (c) => {
			const {rows: ids} = await c.query<{id: string}>(`SELECT id FROM platform.databases WHERE type = 'redis' AND status = 'active'`);
			return (await c.query(`SELECT * FROM platform.databases WHERE id = $1`, [ids[0]!.id])).rows;
		});
		expect(rows.map((r) => [r['name'], r['connection_string']])).toEqual([['Railway Redis', redisUrl]]);
	});

	it('every one of the six statements of CUSTOMER-DATABASE.md succeeds as runbook_app', async () => {
		const outcome = await asApp(db, async (c) => {
			const {rows: [redisRow]} = await c.query<{id: string; project_id: string}>(`SELECT id, project_id FROM platform.databases WHERE type = 'redis' AND status = 'active'`);
			const list = await c.query(`SELECT * FROM platform.databases WHERE project_id = $1 ORDER BY created_at DESC`, [redisRow!.project_id]);
			const created = await c.query(
				`INSERT INTO platform.databases (project_id, name, type, connection_string, host, port, database, username, password, ssl_enabled, metadata, status)
				 VALUES ($1, 'created by the app', 'mongodb', 'mongodb://app:s3cret@mongo.example:27017/app', 'mongo.example', 27017, 'app', 'app', 's3cret', false, '{}'::jsonb, 'active') RETURNING *`,
				[redisRow!.project_id],
			);
			const id = created.rows[0]!['id'] as string;
			const updated = await c.query(`UPDATE platform.databases SET connection_string = $2, status = 'active', metadata = '{"v": 2}'::jsonb, password = 'n3w', updated_at = now() WHERE id = $1 RETURNING *`, [id, 'mongodb://app:n3w@mongo.example:27017/app']);
			const mongo = await c.query(`SELECT d.id, d.project_id, d.name, d.type, d.connection_string, d.config, d.status FROM platform.databases d WHERE d.id = $1 AND d.type = 'mongodb' AND d.status = 'active'`, [id]);
			const deleted = await c.query(`DELETE FROM platform.databases WHERE id = $1`, [id]);
			return {
				listed: list.rows.map((r) => r['name']).sort(),
				created: [created.rows[0]!['password'], created.rows[0]!['connection_string']],
				updated: [updated.rows[0]!['password'], updated.rows[0]!['connection_string']],
				mongo: mongo.rows.map((r) => r['connection_string']),
				deleted: deleted.rowCount,
			};
		});
		expect(outcome).toEqual({
			listed: ['Railway MongoDB', 'Railway Redis'],
			created: ['s3cret', 'mongodb://app:s3cret@mongo.example:27017/app'],
			updated: ['n3w', 'mongodb://app:n3w@mongo.example:27017/app'],
			mongo: ['mongodb://app:n3w@mongo.example:27017/app'],
			deleted: 1,
		});
	});

	it('the probes left nothing behind: only the two Railway rows exist', async () => {
		const rows = await db.query(`SELECT name FROM platform.databases ORDER BY name`);
		expect(rows).toEqual([{name: 'Railway MongoDB'}, {name: 'Railway Redis'}]);
	});

	it('the GO gate counted the probes', () => {
		const passed = journalEvents(stateDir).find((e) => e['type'] === 'item-passed' && e['itemId'] === 'gate.go') as {evidence: {outputTail: string[]}} | undefined;
		expect(passed?.evidence.outputTail.find((l) => l.includes('The application’s statements') || l.includes("The application's statements"))).toMatch(/GO {4}✓ {2}The application's statements run as the application role .* \[ready\.probes-before: passed \(11 probes as runbook_app \(RLS applies\): 4 ran, 4 unchanged, 0 changed, 7 apply after a later migration\)\]/);
	});

	it('status shows the probes, and the report tells the truth about security', async () => {
		const status = await runCli(['status', '--state-dir', stateDir]);
		const report = await runCli(['report', '--state-dir', stateDir]);
		expect(status.stdout).toMatch(/^probes \(step3\.probes\) 11 probes as runbook_app/m);
		expect(status.stdout).toMatch(/NOT READY probe\.hardening\.read-through-decrypt {2}read ERROR 42501: permission denied for function decrypt_database_connection_string/);
		expect(report.stdout).toMatch(/- Still plaintext at rest: connection_string in 1 row\(s\) of platform\.databases — the connection_string and password columns stay/);
		expect(report.stdout).toMatch(/- Database security posture improved, for what actually changed: decrypt_database_connection_string not executable by PUBLIC; decrypt_database_connection_string has a pinned search_path \(SECURITY DEFINER\); RLS on every platform table \((\d+) of \1\); databases_safe exposes no secret column\./);
		expect(report.stdout).toMatch(/- Next step: sql\/pending\/008_databases_no_plaintext_at_rest\.sql .* NOT in place yet: the probe probe\.hardening\.read-through-decrypt as runbook_app gives ERROR 42501/);
		expect(report.stdout).toMatch(/\| probe\.databases\.create \| write \| step1\.apply \| — \| 1 row, 21 columns \| 1 row, 21 columns \| 1 row, 21 columns \| unchanged \|/);
		expect(`${status.stdout}${report.stdout}`).not.toContain('zbc-redis-pw');
	});

	it('status --json carries every probe run, whole even through a pipe (more than 64 KiB)', async () => {
		const json = await runCli(['status', '--json', '--state-dir', stateDir]);
		expect(json.stdout.length).toBeGreaterThan(65_536);
		const parsed = JSON.parse(json.stdout) as {probes: Array<{itemId: string; counts: {changed: number}; results: unknown[]}>};
		expect(parsed.probes.map((p) => [p.itemId, p.results.length, p.counts.changed])).toEqual([
			['ready.probes-before', 4, 0],
			['step1.probes', 11, 0],
			['step2.probes', 11, 0],
			['step3.probes', 11, 0],
		]);
	});
});

describe('a migration that drops a column a probe reads', () => {
	let db: TestDatabase;
	let stateDir: string;
	let planFile: string;
	let run: {exitCode: number; stdout: string; stderr: string};

	beforeAll(async () => {
		db = await freshDatabase('zbc_drop');
		const dir = tempDir('zbc-plan');
		mkdirSync(path.join(dir, 'sql'));
		writeFileSync(path.join(dir, 'sql', '001_drop_severity.sql'), 'ALTER TABLE platform.audit_logs DROP COLUMN severity;\n');
		writeFileSync(path.join(dir, 'sql', '001_rollback.sql'), 'ALTER TABLE platform.audit_logs ADD COLUMN severity text;\n');
		const plan = {
			id: 'drop-column',
			title: 'A migration that breaks the application',
			version: 1,
			sqlDir: 'sql',
			timeline: [{id: 't0', at: '+0m', activity: 'Migrate'}],
			decisionMatrix: [
				{id: 'all-403', issue: 'All queries return 403', severity: 'CRITICAL', rollback: true, level: 1, procedure: 'Immediate rollback'},
				{id: 'single-endpoint', issue: 'Single endpoint broken', severity: 'HIGH', rollback: false, procedure: 'Fix forward, investigate'},
			],
			probes: [
				{id: 'probe.audit-severity', title: 'Severity of the latest audit events', access: 'read', sql: 'SELECT id, severity FROM platform.audit_logs ORDER BY created_at DESC, id LIMIT 20'},
				{id: 'probe.lancio', title: 'The Lancio organization by slug', access: 'read', sql: 'SELECT id, name FROM platform.organizations WHERE slug = $1', params: [{value: 'lancio', label: 'slug'}]},
			],
			phases: [
				{id: 'before', title: 'Before', items: [{id: 'probes.before', kind: 'probes', title: 'Probes before'}]},
				{
					id: 'm1',
					title: 'Migration 1',
					items: [
						{id: 'm1.apply', kind: 'sql-file', file: '001_drop_severity.sql', migration: true, title: 'Drop audit_logs.severity', timeline: 't0'},
						{id: 'm1.probes', kind: 'probes', after: 'm1.apply', title: 'Probes after migration 1', onFailure: 'single-endpoint', onWidespreadFailure: 'all-403'},
					],
				},
			],
			rollback: [{level: 1, title: 'Rollback Step 1 — re-add the column', items: [{id: 'rb1.apply', kind: 'sql-file', file: '001_rollback.sql', reverts: ['m1.apply'], title: 'Re-add severity'}]}],
		};
		planFile = path.join(dir, 'plan.yaml');
		writeFileSync(planFile, stringify(plan));
		stateDir = tempDir('zbc-drop');
		run = await runCli(['run', '--yes', '--plan', planFile, '--database-url', db.url, '--state-dir', stateDir, '--app-role', 'runbook_app']);
	}, 120_000);

	afterAll(async () => {
		await db?.drop();
	});

	it('exits 1, failing at the migration’s verification (not at the migration)', () => {
		const state = stateOf(stateDir);
		expect([run.exitCode, state.status, state.items['m1.apply']?.status, state.items['m1.probes']?.status]).toEqual([1, 'failed', 'passed', 'failed']);
	});

	it('names the probe, its SQL, the SQLSTATE and message, before and after, the decision-matrix row and the rollback level', () => {
		const failed = run.stdout.split('\n').find((l) => l.includes('✗ m1.probes'));
		expect(failed).toBeDefined();
		expect(failed).toContain('1 of 2 application statement(s) behave differently after m1.apply, as role runbook_app: zero behaviour change is broken.');
		expect(failed).toContain('probe.audit-severity ("Severity of the latest audit events", read) now fails with SQLSTATE 42703: column "severity" does not exist.');
		expect(failed).toContain('SQL: SELECT id, severity FROM platform.audit_logs ORDER BY created_at DESC, id LIMIT 20.');
		expect(failed).toMatch(/Before: probes\.before: 20 rows, 2 columns\. After: SQLSTATE 42703: column "severity" does not exist\./);
		expect(failed).toContain('Decision matrix: "Single endpoint broken" (HIGH): Fix forward, investigate.');
		expect(failed).toContain('Rollback level 1 (Rollback Step 1 — re-add the column) undoes m1.apply: `runbook rollback 1`, or b in the TUI.');
		expect(failed).toMatch(/\[decision matrix: single-endpoint\]$/);
		expect(failed).not.toContain('probe.lancio (');
	});

	it('status shows the changed probe; the one that still works is recorded as unchanged', async () => {
		const status = await runCli(['status', '--plan', planFile, '--state-dir', stateDir]);
		expect(status.stdout).toMatch(/^ {8}2 probes as runbook_app \(RLS applies\): 2 ran, 1 unchanged, 1 changed$/m);
		expect(status.stdout).toMatch(/^ {8}✗ probe\.audit-severity {2}read ERROR 42703: column "severity" does not exist \(probes\.before: 20 rows, 2 columns\) — now fails with SQLSTATE 42703/m);
		const probes = stateOf(stateDir).data['probes'] as {runs: Array<{itemId: string; verdicts: Array<{probeId: string; ok: boolean}>}>};
		expect(probes.runs.map((r) => [r.itemId, r.verdicts.map((v) => [v.probeId, v.ok])])).toEqual([
			['probes.before', [['probe.audit-severity', true], ['probe.lancio', true]]],
			['m1.probes', [['probe.audit-severity', false], ['probe.lancio', true]]],
		]);
	});
});

describe('an empty staging copy (001–005, no data, no project)', () => {
	let db: TestDatabase;
	let stateDir: string;
	let run: {exitCode: number; stdout: string; stderr: string};

	beforeAll(async () => {
		db = await freshDatabase('zbc_empty', {empty: true});
		await applySqlFiles(db.target, PREREQUISITES);
		await db.query('DELETE FROM platform.projects');
		for (const grant of ['GRANT USAGE ON SCHEMA platform TO runbook_app', 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA platform TO runbook_app', 'ALTER DEFAULT PRIVILEGES IN SCHEMA platform GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO runbook_app']) await db.query(grant);
		stateDir = tempDir('zbc-empty');
		// No project to resolve: the plan's project rule goes, so the probes find no project id either.
		const planFile = subsetPlan(['step1'], {keepProbes: true});
		const plan = parse(readFileSync(planFile, 'utf8')) as Record<string, unknown>;
		delete plan['project'];
		writeFileSync(planFile, stringify(plan));
		run = await runCli(['run', '--yes', '--plan', planFile, '--database-url', db.url, '--state-dir', stateDir, '--app-role', 'runbook_app']);
	}, 120_000);

	afterAll(async () => {
		await db?.drop();
	});

	it('passes: empty tables make no probe fail, and the create route is "not measured" without a project', () => {
		const state = stateOf(stateDir);
		const step1 = (state.data['probes'] as {runs: Array<{itemId: string; results: Array<{probeId: string; outcome: string; rows: number}>}>}).runs.find((r) => r.itemId === 'step1.probes')!;
		expect({exit: run.exitCode, status: state.items['step1.probes']?.status, create: step1.results.find((r) => r.probeId === 'probe.databases.create')?.outcome, rows: step1.results.filter((r) => r.outcome === 'ok').map((r) => r.rows).reduce((a, b) => a + b, 0)}).toEqual({
			exit: 0,
			status: 'passed',
			create: 'not-measured',
			rows: 1,
		});
	});
});
