/**
 * Faults the engine must end cleanly, against the real server and binaries:
 * an injected SQL error, a second runbook on the same target, a lock held by
 * another session. Plans here hold only Steps 1–2 of the real plan (the
 * engine is plan-agnostic; a short plan keeps the tests fast).
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {copyFileSync, readdirSync, appendFileSync} from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import {freshDatabase, connectTo, schemaDump, type TestDatabase} from '../helpers/db.js';
import {DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT_MS} from '../../source/db/lock-timeout.js';
import {runCli, spawnCli, subsetPlan, tempDir, journalEvents, waitFor, ROOT} from '../helpers/cli.js';

const dbs: TestDatabase[] = [];
async function database(prefix: string): Promise<TestDatabase> {
	const db = await freshDatabase(prefix);
	dbs.push(db);
	return db;
}


let plan: string;
beforeAll(() => {
	plan = subsetPlan(['step1', 'step2']);
});

afterAll(async () => {
	for (const db of dbs) await db.drop();
});

describe('an injected SQL error', () => {
	it('fails the item, leaves the database exactly as before, and names the decision-matrix row', async () => {
		const db = await database('fault_sql');
		const sqlDir = tempDir('sql');
		for (const f of readdirSync(path.join(ROOT, 'sql')).filter((f) => f.endsWith('.sql'))) copyFileSync(path.join(ROOT, 'sql', f), path.join(sqlDir, f));
		appendFileSync(path.join(sqlDir, '006_add_platform_databases_table.sql'), '\nCREATE TABLE platform.broken (id int PRIMARY KEY;\n');
		const brokenPlan = subsetPlan(['step1', 'step2'], {sqlDir});
		const before = await schemaDump(db.target, {schema: 'platform'});
		const stateDir = tempDir('fault-sql');
		const result = await runCli(['run', '--yes', '--database-url', db.url, '--state-dir', stateDir, '--plan', brokenPlan]);
		expect(result.exitCode).toBe(1);
		expect(result.stdout).toMatch(/✗ step1\.apply: 006_add_platform_databases_table\.sql failed and its transaction rolled back.*syntax error/);
		expect(result.stdout).toMatch(/\[decision matrix: syntax-error\]/);
		expect(await schemaDump(db.target, {schema: 'platform'})).toBe(before);
		const ledger = await db.query(`SELECT * FROM runbook.applied_migrations`);
		expect(ledger).toEqual([]);
		const status = await runCli(['status', '--plan', brokenPlan, '--state-dir', stateDir]);
		expect(status.stdout).toMatch(/\[!\] step1\.apply/);
		expect(status.stdout).toMatch(/decision matrix: syntax-error/);
	});
});

describe('a lock held by another session', () => {
	it('makes the DDL retry, then fail naming the blocker, and no other query waits longer than lock_timeout', async () => {
		const db = await database('fault_lock');
		// Step 1 applies; Step 2's ALTER TABLE platform.users will need ACCESS EXCLUSIVE.
		const holder = await connectTo(db, 'long-report-job');
		const holderPid = (await holder.query<{pid: number}>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
		await holder.query('BEGIN');
		await holder.query('SELECT count(*) FROM platform.users');

		const stateDir = tempDir('fault-lock');
		const run = spawnCli(['run', '--yes', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan, '--lock-timeout', '1s', '--lock-retries', '2', '--retry-delay', '300ms']);
		// Meanwhile the application keeps reading users; each read is timed.
		const app = await connectTo(db, 'app');
		const waits: number[] = [];
		let done = false;
		void run.then(() => {
			done = true;
		});
		await waitFor(() => (journalEvents(stateDir).some((e) => e['type'] === 'item-started' && e['itemId'] === 'step2.apply') ? true : undefined), 'step2 to start');
		while (!done) {
			const t = performance.now();
			await app.query('SELECT count(*) FROM platform.users');
			waits.push(performance.now() - t);
			await new Promise((r) => setTimeout(r, 20));
		}
		const result = await run;
		await app.end();
		await holder.query('ROLLBACK');
		await holder.end();
		expect(result.exitCode).toBe(1);
		const out = String(result.stdout);
		expect(out.match(/lock timeout or deadlock \(attempt \d of 3\)/g)).toHaveLength(2);
		expect(out).toMatch(new RegExp(`could not get its locks within lock_timeout=1000ms after 3 attempt\\(s\\); nothing was applied.*Blocked by pid ${holderPid} \\(user postgres, application long-report-job, idle in transaction`, 's'));
		expect(out).toMatch(/running `SELECT count\(\*\) FROM platform\.users`/);
		// A lock timeout is not a syntax error: no decision-matrix row is suggested for it.
		expect(out).not.toMatch(/✗ step2\.apply.*decision matrix/);
		// Bounded by lock_timeout (1 s): a queued read waits at most that long behind the DDL. 1 s of slack for a loaded CI machine.
		expect(waits.length).toBeGreaterThan(0);
		expect(Math.max(...waits)).toBeLessThan(2000);
		const rls = await db.query<{n: string}>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'platform' AND rowsecurity`);
		expect(rls[0]!.n).toBe('0');
	});
});

describe('a second runbook on the same target', () => {
	it('is refused with the holder\'s pid, host and start time, while the first one runs on', async () => {
		const db = await database('fault_twice');
		const holder = await connectTo(db, 'blocker');
		await holder.query('BEGIN');
		await holder.query('LOCK TABLE platform.projects IN SHARE MODE');
		const first = spawnCli(['run', '--yes', '--database-url', db.url, '--state-dir', tempDir('first'), '--plan', plan, '--lock-timeout', '60s']);
		await waitFor(async () => ((await db.query<{n: string}>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'runbook:step1.apply:%' AND wait_event_type = 'Lock'`))[0]!.n === '1' ? true : undefined), 'the first run to wait in step 1');
		const second = await runCli(['run', '--yes', '--database-url', db.url, '--state-dir', tempDir('second'), '--plan', plan]);
		expect(second.exitCode).toBe(2);
		expect(second.stderr).toMatch(new RegExp(`Another run of plan migration-006 is already in progress on .*: runbook process ${first.pid} on host \\S+ \\(server pid \\d+, user postgres, connected since \\d{4}-\\d\\d-\\d\\dT`));
		await holder.query('ROLLBACK');
		await holder.end();
		const result = await first;
		expect(result.exitCode).toBe(0);
	});

	it('is allowed once the first was killed: the server released its lock with its session', async () => {
		const db = await database('fault_killed');
		const stateDir = tempDir('killed');
		const holder = await connectTo(db, 'blocker');
		await holder.query('BEGIN');
		await holder.query('LOCK TABLE platform.projects IN SHARE MODE');
		const first = spawnCli(['run', '--yes', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan, '--lock-timeout', '60s']);
		await waitFor(() => (journalEvents(stateDir).some((e) => e['type'] === 'item-started' && e['itemId'] === 'step1.apply') ? true : undefined), 'step1 to start');
		first.kill('SIGKILL');
		await first;
		await holder.query('ROLLBACK');
		await holder.end();
		const resumed = await runCli(['run', '--yes', '--resume', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan]);
		expect(resumed.stderr).not.toMatch(/Another run/);
		expect(resumed.exitCode).toBe(0);
	});
});

describe('interruption by a signal', () => {
	it('stops after recording the current step, exits 130, and --resume finishes', async () => {
		const db = await database('fault_sigint');
		const stateDir = tempDir('sigint');
		const holder = await connectTo(db, 'blocker');
		await holder.query('BEGIN');
		await holder.query('LOCK TABLE platform.projects IN SHARE MODE');
		const run = spawnCli(['run', '--yes', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan, '--lock-timeout', '60s']);
		await waitFor(async () => ((await db.query<{n: string}>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'runbook:step1.apply:%' AND wait_event_type = 'Lock'`))[0]!.n === '1' ? true : undefined), 'step 1 to wait');
		run.kill('SIGINT');
		const result = await run;
		expect(result.exitCode).toBe(130);
		expect(String(result.stdout)).toMatch(/■ interrupted/);
		await holder.query('ROLLBACK');
		await holder.end();
		const ledger = await db.query(`SELECT * FROM runbook.applied_migrations`);
		expect(ledger).toEqual([]);
		const resumed = await runCli(['run', '--yes', '--resume', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan]);
		expect(resumed.exitCode).toBe(0);
		const applied = await db.query<{item: string}>(`SELECT item FROM runbook.applied_migrations ORDER BY item`);
		expect(applied.map((r) => r.item)).toEqual(['step1.apply', 'step2.apply']);
	});
});

describe('bad input', () => {
	it('a wrong password gives one clear paragraph, exit 2, without the password', async () => {
		const db = await database('fault_pw');
		const u = new URL(db.url);
		u.password = 'Wr0ng-Secret-Pw';
		const result = await runCli(['run', '--yes', '--database-url', u.toString(), '--state-dir', tempDir('pw'), '--plan', plan]);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/Could not connect to postgres@127\.0\.0\.1:\d+\/fault_pw_\w+ \(via --database-url\): .*refused the credentials for user `postgres`/);
		expect(result.stderr).not.toContain('Wr0ng-Secret-Pw');
		expect(result.stderr.trim().split('\n')).toHaveLength(1);
	});

	it('a malformed URL names the problem and what to do', async () => {
		const result = await runCli(['status', '--database-url', 'mysql://u:Secret99@h/db']);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/uses the scheme `mysql`, but runbook only drives PostgreSQL/);
		expect(result.stderr).not.toContain('Secret99');
	});
});

describe('an applied migration whose file changed', () => {
	it('stops the run with a clear error naming both checksums, and applies nothing', async () => {
		const db = await database('fault_sha');
		const sqlDir = tempDir('sql-sha');
		for (const f of readdirSync(path.join(ROOT, 'sql')).filter((f) => f.endsWith('.sql'))) copyFileSync(path.join(ROOT, 'sql', f), path.join(sqlDir, f));
		const stepPlan = subsetPlan(['step1'], {sqlDir});
		const first = await runCli(['run', '--yes', '--database-url', db.url, '--state-dir', tempDir('sha-1'), '--plan', stepPlan]);
		expect(first.exitCode).toBe(0);
		appendFileSync(path.join(sqlDir, '006_add_platform_databases_table.sql'), '\n-- edited after it was applied\n');
		const second = await runCli(['run', '--yes', '--database-url', db.url, '--state-dir', tempDir('sha-2'), '--plan', stepPlan]);
		expect(second.exitCode).toBe(1);
		expect(second.stdout).toMatch(/✗ step1\.apply: 006_add_platform_databases_table\.sql was applied by run \S+ at \S+ with checksum [0-9a-f]{16}…, but the file on disk now has checksum [0-9a-f]{16}…\. An applied migration must not change\./);
		const events = await db.query<{n: string}>(`SELECT count(*) AS n FROM runbook.events`);
		expect(events[0]!.n).toBe('1');
	});
});

describe('a deadlock between a migration and an application transaction', () => {
	it('with the default lock_timeout, below the server’s deadlock_timeout, never aborts the application’s transaction', async () => {
		const db = await database('fault_cycle');
		const stateDir = tempDir('cycle');
		// The application keeps the server's deadlock_timeout (1 s): its check fires after the migration's lock_timeout (500 ms).
		const app = await connectTo(db, 'app');
		await app.query('BEGIN');
		await app.query(`UPDATE platform.users SET updated_at = updated_at WHERE id IN (SELECT id FROM platform.users LIMIT 1)`);
		const run = spawnCli(['run', '--yes', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan]);
		await waitFor(async () => ((await db.query<{n: string}>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'runbook:step2.apply:%' AND wait_event_type = 'Lock'`))[0]!.n === '1' ? true : undefined), 'step 2 to wait for users');
		// The other order: audit_logs, which Step 2 already holds.
		await app.query(`INSERT INTO platform.audit_logs (event_type, action, severity) VALUES ('test.cycle', 'cycle-test', 'info')`);
		await app.query('COMMIT');
		await app.end();
		const result = await run;
		expect(result.exitCode).toBe(0);
		expect(String(result.stdout)).toMatch(/lock timeout or deadlock \(attempt 1 of/);
		const note = journalEvents(stateDir).find((e) => e['type'] === 'data' && e['key'] === 'lock-timeout');
		expect(note?.['value']).toMatchObject({lockTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS, deadlockTimeoutMs: 1000});
		const inserted = await db.query<{n: string}>(`SELECT count(*) AS n FROM platform.audit_logs WHERE action = 'cycle-test'`);
		expect(inserted[0]!.n).toBe('1');
	});


	it('is given up by the migration, which retries; the application transaction goes through', async () => {
		const db = await database('fault_deadlock');
		const stateDir = tempDir('deadlock');
		// The application holds a row lock's table lock on users, as an UPDATE does mid-transaction.
		const app = await connectTo(db, 'app');
		// The application's own deadlock check must not fire first; the migration's (100 ms) or its lock_timeout (3 s) does.
		await app.query(`SET deadlock_timeout = '60s'`);
		await app.query('BEGIN');
		await app.query(`UPDATE platform.users SET updated_at = updated_at WHERE id IN (SELECT id FROM platform.users LIMIT 1)`);
		const run = spawnCli(['run', '--yes', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan, '--lock-timeout', '3s', '--retry-delay', '200ms']);
		// Step 2 locks addons, api_keys, audit_logs, … in file order and then waits for users.
		await waitFor(async () => ((await db.query<{n: string}>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'runbook:step2.apply:%' AND wait_event_type = 'Lock'`))[0]!.n === '1' ? true : undefined), 'step 2 to wait for users');
		// Now the application touches a table the migration already holds: a deadlock cycle.
		// A row of the customer's audit_logs shape (event_type and action are NOT NULL); no existing row is needed.
		await app.query(`INSERT INTO platform.audit_logs (event_type, action, severity) VALUES ('test.deadlock', 'deadlock-test', 'info')`);
		await app.query('COMMIT');
		await app.end();
		const result = await run;
		// Depending on timing the migration detects the deadlock itself or runs into its lock_timeout: it gives way either way.
		expect(String(result.stdout)).toMatch(/deadlock detected|canceling statement due to lock timeout/);
		expect(String(result.stdout)).toMatch(new RegExp(`lock timeout or deadlock \\(attempt 1 of ${DEFAULT_LOCK_RETRIES + 1}\\)`));
		expect(result.exitCode).toBe(0);
		const applied = await db.query<{item: string}>(`SELECT item FROM runbook.applied_migrations ORDER BY item`);
		expect(applied.map((r) => r.item)).toEqual(['step1.apply', 'step2.apply']);
		const inserted = await db.query<{n: string}>(`SELECT count(*) AS n FROM platform.audit_logs WHERE action = 'deadlock-test'`);
		expect(inserted[0]!.n).toBe('1');
	});
});
