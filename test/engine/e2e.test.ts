/**
 * The whole master plan, end to end, non-interactive, against a real
 * PostgreSQL with the real psql / pg_dump / pg_restore and a real redis-server,
 * connecting as a role with a distinctive password that must appear nowhere.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {readdirSync, readFileSync, realpathSync, statSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {runCli, tempDir, journalEvents} from '../helpers/cli.js';
import {adminQuery, freePort} from '../../source/sandbox/server.js';
import {startRedis, type RedisServer} from '../helpers/redis-server.js';

const PASSWORD = `Zq9-${randomBytes(6).toString('hex')}-distinctive`;
const REDIS_PASSWORD = `Rd7-${randomBytes(6).toString('hex')}-redispw`;
const MONGO_PASSWORD = `Mg5-${randomBytes(6).toString('hex')}-mongopw`;
let mongoUrl: string;

let db: TestDatabase;
let url: string;
let stateDir: string;
let redis: RedisServer;
let redisUrl: string;
let run: {exitCode: number; stdout: string; stderr: string};

function allFiles(dir: string): string[] {
	return readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
		const full = path.join(dir, e.name);
		if (e.isDirectory()) return allFiles(full);
		return statSync(full).size < 5_000_000 ? [full] : [];
	});
}

beforeAll(async () => {
	db = await freshDatabase('e2e');
	const role = `rb_e2e_${randomBytes(3).toString('hex')}`;
	const {rows} = await adminQuery(db.admin, `SELECT format('CREATE ROLE %I LOGIN SUPERUSER PASSWORD %L', $1::text, $2::text) AS sql`, [role, PASSWORD]);
	await adminQuery(db.admin, rows[0]!.sql as string);
	// The application role gets what this migration role creates (platform.databases), as it would be set up in production.
	const grant = await adminQuery(db.target, `SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA platform GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO runbook_app', $1::text) AS sql`, [role]);
	await adminQuery(db.target, grant.rows[0]!.sql as string);
	const u = new URL(db.url);
	u.username = role;
	u.password = PASSWORD;
	url = u.toString();
	redis = await startRedis({password: REDIS_PASSWORD});
	redisUrl = `redis://default:${REDIS_PASSWORD}@127.0.0.1:${redis.port}/0`;
	stateDir = tempDir('e2e');
	// MongoDB "if applicable": given, but nothing listens there (no MongoDB server can run on these machines).
	mongoUrl = `mongodb://mongo:${MONGO_PASSWORD}@127.0.0.1:${await freePort()}/lancio?authSource=admin`;
	run = await runCli(['run', '--yes', '--confirm', 'all', '--go', '--database-url', url, '--state-dir', stateDir, '--app-role', 'runbook_app', '--reviewed-by', 'Ana Reviewer', '--approved-by', 'Bo Approver'], {REDIS_URL: redisUrl, MONGODB_URL: mongoUrl});
}, 300_000);

afterAll(async () => {
	await redis?.stop();
	await db?.drop();
});

describe('runbook run --yes --confirm all --go on a real database', () => {
	it('completes the whole plan and exits 0', () => {
		expect(run.stderr).not.toMatch(/bug in runbook/);
		expect(run.stdout).toMatch(/■ completed: All items of the plan are done/);
		expect(run.exitCode).toBe(0);
	});

	it('records each of the three migrations in the ledger exactly once', async () => {
		const rows = await db.query<{item: string; n: string}>(`SELECT item, count(*) AS n FROM runbook.applied_migrations WHERE plan = 'migration-006' GROUP BY item ORDER BY item`);
		expect(rows).toEqual([
			{item: 'step1.apply', n: '1'},
			{item: 'step2.apply', n: '1'},
			{item: 'step3.apply', n: '1'},
		]);
	});

	it('passes every forward item except those not applicable here', () => {
		const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as {status: string; items: Record<string, {status: string; skipReason?: string}>};
		expect(state.status).toBe('completed');
		const notPassed = Object.entries(state.items).filter(([, s]) => s.status !== 'passed');
		expect(notPassed).toEqual([['railway.status', expect.objectContaining({status: 'skipped', skipReason: expect.stringMatching(/not installed/)})]]);
	});

	it('registers both databases from the environment, Redis healthy and MongoDB unhealthy with a clear error', async () => {
		const rows = await db.query<{name: string; status: string; health_check_status: string | null; health_check_error: string | null}>(`SELECT name, status, health_check_status, health_check_error FROM platform.databases ORDER BY name`);
		expect(rows).toEqual([
			{name: 'Railway MongoDB', status: 'active', health_check_status: 'unhealthy', health_check_error: expect.stringMatching(/connection refused/)},
			{name: 'Railway Redis', status: 'active', health_check_status: 'healthy', health_check_error: null},
		]);
		const decrypted = await db.query<{ok: boolean}>(`SELECT platform.decrypt_database_connection_string(id) = $1 AS ok FROM platform.databases WHERE name = 'Railway MongoDB'`, [mongoUrl]);
		expect(decrypted).toEqual([{ok: true}]);
	});

	it('journals every item with evidence: started before passed, with times', () => {
		const events = journalEvents(stateDir);
		const started = events.filter((e) => e['type'] === 'item-started').map((e) => e['itemId']);
		const passed = events.filter((e) => e['type'] === 'item-passed');
		expect(started).toContain('step1.apply');
		for (const e of passed) {
			const evidence = e['evidence'] as {startedAt: string; endedAt: string; durationMs: number};
			expect(Date.parse(evidence.endedAt)).toBeGreaterThanOrEqual(Date.parse(evidence.startedAt));
			expect(evidence.durationMs).toBeGreaterThanOrEqual(0);
		}
		const seqs = events.map((e) => e['seq'] as number);
		expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
	});

	it('runs the migrations’ psql and the backup’s pg_dump as the binaries the tools on PATH stand for, and records them', () => {
		const passed = new Map(journalEvents(stateDir).filter((e) => e['type'] === 'item-passed').map((e) => [e['itemId'], (e['evidence'] as {details?: {binary?: string}}).details?.binary]));
		for (const [item, tool] of [['step1.apply', 'psql'], ['backup.create', 'pg_dump']] as const) {
			const onPath = execFileSync('sh', ['-c', `command -v ${tool}`], {encoding: 'utf8'}).trim();
			// Debian's wrapper is a perl script that execs one version's binary (30–150 ms a start): the runbook runs that binary.
			const expected = path.basename(realpathSync(onPath)) === 'pg_wrapper' ? new RegExp(`^/usr/lib/postgresql/\\d+/bin/${tool}$`) : new RegExp(`^${onPath}$`);
			expect(passed.get(item)).toMatch(expected);
		}
		// The client-tools item names what is on PATH and, for Debian's wrapper, the binary it runs.
		const tools = journalEvents(stateDir).find((e) => e['type'] === 'item-passed' && e['itemId'] === 'backup.client-tools');
		const actual = (tools?.['evidence'] as {actual?: string} | undefined)?.actual ?? '';
		const pgDump = execFileSync('sh', ['-c', 'command -v pg_dump'], {encoding: 'utf8'}).trim();
		if (path.basename(realpathSync(pgDump)) === 'pg_wrapper') expect(actual).toMatch(new RegExp(`pg_dump \\d+\\.\\d+ at ${pgDump} \\(Debian's wrapper; it runs /usr/lib/postgresql/\\d+/bin/pg_dump\\)`));
		else expect(actual).toContain(`pg_dump `);
	});

	it('keeps the database and Redis passwords out of the state, the journal, the report and all output', async () => {
		const report = await runCli(['report', '--database-url', url, '--state-dir', stateDir], {REDIS_URL: redisUrl, MONGODB_URL: mongoUrl});
		expect(report.exitCode).toBe(0);
		expect(report.stdout).toMatch(/Migration 006|Database Migration 006/);
		const status = await runCli(['status', '--state-dir', stateDir]);
		expect(status.exitCode).toBe(0);
		expect(report.stdout).toMatch(/Railway MongoDB .*unhealthy/);
		// MongoDB is optional, so the run completed; a registered database that is down is still an issue in the report.
		expect(report.stdout).toMatch(/Status: \*\*ISSUES\*\*/);
		expect(report.stdout).toMatch(/Railway MongoDB \(mongodb\) is unhealthy: .*connection refused/);
		expect(report.stdout).toMatch(/Railway Redis .*healthy/);
		const texts = [run.stdout, run.stderr, report.stdout, report.stderr, status.stdout, ...allFiles(stateDir).filter((f) => !f.endsWith('.dump')).map((f) => readFileSync(f, 'utf8'))];
		for (const text of texts) {
			expect(text).not.toContain(PASSWORD);
			expect(text).not.toContain(REDIS_PASSWORD);
			expect(text).not.toContain(MONGO_PASSWORD);
		}
		expect(texts.join('\n')).toContain('****');
	});

	it('refuses to start a second fresh run over existing state without --resume or --fresh', async () => {
		const again = await runCli(['run', '--yes', '--confirm', 'all', '--go', '--database-url', url, '--state-dir', stateDir]);
		expect(again.exitCode).toBe(2);
		expect(again.stderr).toMatch(/already has state .* Continue it with --resume, or archive it and start over with --fresh/s);
		expect(again.stderr).not.toContain(PASSWORD);
	});

	it('on --resume of a completed run, applies nothing again', async () => {
		const again = await runCli(['run', '--yes', '--confirm', 'all', '--go', '--resume', '--database-url', url, '--state-dir', stateDir], {REDIS_URL: redisUrl, MONGODB_URL: mongoUrl});
		expect(again.exitCode).toBe(0);
		expect(again.stdout).not.toMatch(/▶ step\d\.apply/);
		const rows = await db.query<{n: string}>(`SELECT count(*) AS n FROM runbook.events WHERE plan = 'migration-006' AND action = 'apply'`);
		expect(rows[0]!.n).toBe('3');
	});
});
