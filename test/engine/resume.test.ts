/**
 * kill -9 of the runbook during pg_dump and during each of the three
 * migrations, then --resume: the run finishes in the same catalog as the
 * migrations applied without interruption, and each migration is in the
 * ledger exactly once.
 *
 * A migration is caught mid-flight by holding a conflicting lock from the
 * test's own session, so psql is waiting inside its transaction when the
 * runbook dies. The orphaned psql then commits or rolls back by itself; the
 * resumed run waits for it (in-flight advisory lock) and asks the ledger.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {existsSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import type pg from 'pg';
import {freshDatabase, connectTo, schemaDump, type TestDatabase} from '../helpers/db.js';
import {spawnCli, runCli, tempDir, journalEvents, waitFor, ROOT} from '../helpers/cli.js';
import {startRedis, type RedisServer} from '../health/redis-server.js';
import {runPsql} from '../../source/proc/psql.js';

let db: TestDatabase;
let reference: TestDatabase;
let redis: RedisServer;
let env: Record<string, string>;
let stateDir: string;
let args: string[];

function started(itemId: string): true | undefined {
	return journalEvents(stateDir).some((e) => e['type'] === 'item-started' && e['itemId'] === itemId) ? true : undefined;
}

async function holdLock(table: string, mode: string): Promise<pg.Client> {
	const client = await connectTo(db, 'test-lock-holder');
	await client.query('BEGIN');
	await client.query(`LOCK TABLE ${table} IN ${mode} MODE`);
	return client;
}

async function psqlWaiting(itemId: string): Promise<true | undefined> {
	const rows = await db.query<{n: string}>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE $1 AND wait_event_type = 'Lock'`, [`runbook:${itemId}:%`]);
	return rows[0]!.n !== '0' ? true : undefined;
}


beforeAll(async () => {
	db = await freshDatabase('resume');
	reference = await freshDatabase('resume_ref');
	for (const file of ['006_add_platform_databases_table.sql', '006_enable_rls_with_permissive_policies.sql', '006_register_railway_databases.sql']) {
		const r = await runPsql({target: reference.target, steps: [{file: path.join(ROOT, 'sql', file)}], singleTransaction: true, quiet: true});
		expect(r.exitCode).toBe(0);
	}
	const password = randomBytes(8).toString('hex');
	redis = await startRedis({password});
	env = {REDIS_URL: `redis://default:${password}@127.0.0.1:${redis.port}/0`};
	stateDir = tempDir('resume');
	args = ['run', '--yes', '--confirm', 'all', '--go', '--database-url', db.url, '--state-dir', stateDir, '--lock-timeout', '90s', '--app-role', 'runbook_app'];
}, 120_000);

afterAll(async () => {
	await redis?.stop();
	await db?.drop();
	await reference?.drop();
});

describe('kill -9 and --resume', () => {
	it('survives kills during pg_dump and each migration, and ends with every migration applied exactly once', async () => {
		const backups = path.join(stateDir, 'backups');
		// 1. During pg_dump: the partial file exists, the runbook dies.
		await killDuringEnv(() => (existsSync(backups) && readdirSync(backups).some((f) => f.endsWith('.partial')) ? true : undefined), 'pg_dump to be writing');
		expect(readdirSync(backups).some((f) => f.endsWith('.partial'))).toBe(true);

		// 2–4. During each migration, psql waiting inside its transaction on a lock the test holds.
		for (const [item, table, mode] of [
			['step1.apply', 'platform.projects', 'SHARE'],
			['step2.apply', 'platform.users', 'SHARE'],
			['step3.apply', 'platform.databases', 'SHARE'],
		] as const) {
			const holder = item === 'step3.apply' ? undefined : await holdLock(table, mode);
			// platform.databases exists only after step 1 and step 2 alters it: take that lock once step 2 is verified.
			let late: pg.Client | undefined;
			await killDuringEnv(async () => {
				if (!holder && !late && started('step2.rls-all')) late = await holdLock(table, mode).catch(() => undefined);
				return started(item) ? psqlWaiting(item) : undefined;
			}, `${item} to wait for its lock`);
			await (holder ?? late)?.query('COMMIT');
			await (holder ?? late)?.end();
		}

		// 5. Resume to the end.
		const final = await runCli([...args, '--resume'], env, 300_000);
		expect(final.stderr).not.toMatch(/bug in runbook/);
		expect(final.exitCode).toBe(0);

		const ledger = await db.query<{item: string; n: string}>(`SELECT item, count(*) AS n FROM runbook.applied_migrations GROUP BY item ORDER BY item`);
		expect(ledger).toEqual([
			{item: 'step1.apply', n: '1'},
			{item: 'step2.apply', n: '1'},
			{item: 'step3.apply', n: '1'},
		]);
		const applies = await db.query<{item: string; n: string}>(`SELECT item, count(*) AS n FROM runbook.events WHERE action = 'apply' GROUP BY item ORDER BY item`);
		expect(applies.map((r) => r.n)).toEqual(['1', '1', '1']);
		// The interrupted backup was discarded and redone: exactly one finished backup, no partial left.
		const files = readdirSync(backups);
		expect(files.filter((f) => f.endsWith('.partial'))).toEqual([]);
		expect(files.filter((f) => f.endsWith('.dump'))).toHaveLength(1);
		// Same catalog as the three files applied without interruption.
		expect(await schemaDump(db.target, {schema: 'platform'})).toBe(await schemaDump(reference.target, {schema: 'platform'}));
		// The journal shows the reconciliation of each interrupted item.
		const resets = journalEvents(stateDir).filter((e) => e['type'] === 'item-reset' || (e['type'] === 'item-passed' && String(e['note'] ?? '').includes('reconciled')));
		expect(resets.map((e) => e['itemId'])).toEqual(expect.arrayContaining(['backup.create']));
	}, 600_000);
});

async function killDuringEnv(ready: () => Promise<true | undefined> | true | undefined, what: string): Promise<void> {
	const child = spawnCli([...args, '--resume'], env);
	try {
		await waitFor(ready, what, 150_000, 50);
	} catch (error) {
		child.kill('SIGKILL');
		const r = await child;
		throw new Error(`${(error as Error).message}\nstdout:\n${String(r.stdout).slice(-3000)}\nstderr:\n${String(r.stderr).slice(-2000)}`);
	}
	child.kill('SIGKILL');
	const result = await child;
	expect(result.signal).toBe('SIGKILL');
}
