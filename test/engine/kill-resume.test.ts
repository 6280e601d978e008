/**
 * Nothing left behind (issue 15), through the CLI against a real server:
 * kill -9 at each phase boundary of the whole window, the moment found from
 * the journal, then --resume. The run completes, each migration is in the
 * ledger once, and no database, child process or file the run created is
 * left. One database copy for the whole file; each kill resumes the same run.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import type pg from 'pg';
import {freshDatabase, connectTo, schemaDump, type TestDatabase} from '../helpers/db.js';
import {spawnCli, runCli, tempDir, journalEvents, waitFor, ROOT} from '../helpers/cli.js';
import {runPsql} from '../../source/proc/psql.js';
import {startRedis, type RedisServer} from '../helpers/redis-server.js';
import {processAlive} from '../../source/engine/leftovers.js';

let db: TestDatabase;
let reference: TestDatabase;
let redis: RedisServer;
let env: Record<string, string>;
let stateDir: string;
let args: string[];

type Resource = {id: string; kind: string; name: string; pid?: number; purpose: string; itemId?: string; applicationName?: string};

/** Resources the journal shows registered (with their pid once known), and which were released. */
function resources(): {all: Map<string, Resource>; released: Set<string>} {
	const all = new Map<string, Resource>();
	const released = new Set<string>();
	for (const e of journalEvents(stateDir)) {
		if (e['type'] === 'resource-registered') {
			const r = e['resource'] as Resource;
			all.set(r.id, r);
		}
		if (e['type'] === 'resource-updated' && typeof e['pid'] === 'number') {
			const r = all.get(String(e['id']));
			if (r) all.set(r.id, {...r, pid: e['pid']});
		}
		if (e['type'] === 'resource-released') released.add(String(e['id']));
	}
	return {all, released};
}

/** A child of `itemId` running now (its pid journaled, not yet released). */
function runningChild(itemId: string, name: string): Resource | undefined {
	const {all, released} = resources();
	return [...all.values()].find((r) => r.kind === 'process' && r.itemId === itemId && r.name === name && r.pid !== undefined && !released.has(r.id));
}

/**
 * Whether the item has started, from the journal's text: parsing every event of a journal that grows to
 * thousands of lines took longer than a short item (registration, the report) runs, and the kill came after the run ended.
 */
function started(itemId: string): true | undefined {
	const file = path.join(stateDir, 'journal.jsonl');
	if (!existsSync(file)) return undefined;
	const id = `"itemId":${JSON.stringify(itemId)}`;
	return readFileSync(file, 'utf8')
		.split('\n')
		.some((l) => l.includes('"type":"item-started"') && l.includes(id))
		? true
		: undefined;
}

async function holdLock(table: string, mode: string): Promise<pg.Client> {
	const client = await connectTo(db, 'test-lock-holder');
	await client.query('BEGIN');
	await client.query(`LOCK TABLE ${table} IN ${mode} MODE`);
	return client;
}

async function waitingOnLock(applicationPrefix: string): Promise<true | undefined> {
	const rows = await db.query<{n: string}>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE $1 AND wait_event_type = 'Lock'`, [`${applicationPrefix}%`]);
	return rows[0]!.n !== '0' ? true : undefined;
}

/** Starts `run --resume`, waits for the moment, kills it with SIGKILL. */
async function killWhen(ready: () => Promise<true | undefined> | true | undefined, what: string): Promise<void> {
	const child = spawnCli([...args, '--resume'], env);
	try {
		await waitFor(ready, what, 120_000, 5);
	} catch (error) {
		child.kill('SIGKILL');
		const r = await child;
		throw new Error(`${(error as Error).message}\nstdout:\n${String(r.stdout).slice(-3000)}\nstderr:\n${String(r.stderr).slice(-2000)}`);
	}
	child.kill('SIGKILL');
	const result = await child;
	expect(result.signal).toBe('SIGKILL');
}

/** Databases on the server whose name carries this run's id (other test files share the server). */
async function scratchDatabases(): Promise<string[]> {
	const runId = String(journalEvents(stateDir).find((e) => e['type'] === 'run-started')!['runId']);
	const tag = runId.toLowerCase().replace(/[^a-z0-9]+/g, '_');
	const rows = await db.query<{datname: string}>(`SELECT datname FROM pg_database WHERE strpos(datname, $1) > 0 ORDER BY 1`, [tag]);
	return rows.map((r) => r.datname);
}

beforeAll(async () => {
	db = await freshDatabase('leftovers');
	// The same three files applied without interruption: the catalog the killed and resumed run must end with.
	reference = await freshDatabase('leftovers_ref');
	for (const file of ['006_add_platform_databases_table.sql', '006_enable_rls_with_permissive_policies.sql', '006_register_railway_databases.sql']) {
		const r = await runPsql({target: reference.target, steps: [{file: path.join(ROOT, 'sql', file)}], singleTransaction: true, quiet: true});
		expect(r.exitCode).toBe(0);
	}
	const password = randomBytes(8).toString('hex');
	redis = await startRedis({password});
	env = {REDIS_URL: `redis://default:${password}@127.0.0.1:${redis.port}/0`};
	stateDir = tempDir('leftovers');
	args = ['run', '--yes', '--confirm', 'all', '--go', '--database-url', db.url, '--state-dir', stateDir, '--lock-timeout', '90s', '--app-role', 'runbook_app'];
}, 120_000);

afterAll(async () => {
	await redis?.stop();
	await db?.drop();
	await reference?.drop();
});

describe('kill -9 at every phase boundary, then --resume', () => {
	it('completes the window with each migration applied once and nothing the run created left behind', async () => {
		const backups = path.join(stateDir, 'backups');
		const kills: string[] = [];

		// Backup: the moment pg_dump's pid is journaled (the kill lands while it runs: its record is still open).
		await killWhen(() => (runningChild('backup.create', 'pg_dump') ? true : undefined), 'pg_dump to start');
		kills.push('backup.create');
		const orphanDump = runningChild('backup.create', 'pg_dump')!;
		// The partial backup file pg_dump writes (journaled).
		expect(readdirSync(backups).filter((f) => f.endsWith('.partial'))).toHaveLength(1);
		// --fresh would archive the only record of the orphaned pg_dump and the partial file: refused, nothing archived.
		const journalBefore = journalEvents(stateDir).length;
		const fresh = await runCli([...args, '--fresh'], env);
		expect(fresh.exitCode).toBe(2);
		expect(fresh.stderr).toMatch(/--fresh would archive the state of run \S+, which still has \d+ thing\(s\) it created and did not release: .* Run `runbook cleanup` with the same --database-url/);
		expect(fresh.stderr).toMatch(/process pg_dump pid \d+/);
		expect(fresh.stderr).toMatch(/file \S+\.partial /);
		expect(fresh.stderr.trim().split('\n')).toHaveLength(1);
		expect(journalEvents(stateDir).length).toBe(journalBefore);
		expect(existsSync(path.join(stateDir, 'archive'))).toBe(false);

		// Test restore: the scratch database exists and pg_restore fills it when the runbook dies (the reproduced bug).
		await killWhen(() => (runningChild('backup.test-restore', 'pg_restore') ? true : undefined), 'pg_restore of the test restore to start');
		kills.push('backup.test-restore');
		const scratch = [...resources().all.values()].find((r) => r.kind === 'database' && r.itemId === 'backup.test-restore')!;
		expect(scratch.name).toMatch(/^runbook_test_restore_\d{8}t\d{6}_[0-9a-f]{8}_[0-9a-f]{4}$/);
		expect(await scratchDatabases()).toContain(scratch.name);

		// Each migration: psql waits inside its transaction on a lock the test holds.
		for (const [item, table] of [
			['step1.apply', 'platform.projects'],
			['step2.apply', 'platform.users'],
			['step3.apply', 'platform.databases'],
		] as const) {
			let holder: pg.Client | undefined = item === 'step3.apply' ? undefined : await holdLock(table, 'SHARE');
			// Connected ahead, so that taking the lock costs two round trips once the moment comes (the window is step 2's verification).
			const standby = item === 'step3.apply' ? await connectTo(db, 'test-lock-holder') : undefined;
			await killWhen(async () => {
				// platform.databases exists only after step 1, and step 2 alters it: take that lock once step 2 is verified.
				if (!holder && standby && started('step2.rls-all')) {
					await standby.query('BEGIN');
					holder = await standby.query(`LOCK TABLE ${table} IN SHARE MODE`).then(() => standby, async () => (await standby.query('ROLLBACK'), undefined));
				}
				return runningChild(item, 'psql') ? waitingOnLock(`runbook:${item}:`) : undefined;
			}, `${item} to wait for its lock`);
			kills.push(item);
			await holder?.query('COMMIT');
			await (holder ?? standby)?.end();
		}

		// Each killed psql ran between wrapper files journaled before they were written, named with the run's id.
		const tag = String(journalEvents(stateDir).find((e) => e['type'] === 'run-started')!['runId']).toLowerCase().replace(/[^a-z0-9]+/g, '_');
		const wrappers = [...resources().all.values()].filter((r) => r.kind === 'file' && r.purpose.startsWith('psql wrapper'));
		for (const item of ['step1.apply', 'step2.apply', 'step3.apply']) expect(wrappers.filter((r) => r.itemId === item).length).toBeGreaterThanOrEqual(2);
		for (const r of wrappers) expect(path.basename(r.name)).toMatch(new RegExp(`^(guard|record)_${tag}_[0-9a-f]{8}\\.sql$`));

		// Registration, health check, report: the moment each starts.
		for (const item of ['step3.register', 'post.health-check', 'signoff.report']) {
			await killWhen(() => started(item), `${item} to start`);
			kills.push(item);
		}

		const final = await runCli([...args, '--resume'], env, 300_000);
		expect(final.stderr).not.toMatch(/bug in runbook/);
		expect(final.exitCode).toBe(0);
		expect(final.stdout).toMatch(/■ completed/);
		// The resumed runs said what they did with each leftover.
		const settled = journalEvents(stateDir).filter((e) => e['type'] === 'resource-released' && e['settled']);
		const {all} = resources();
		const howFor = (name: string) => settled.filter((e) => all.get(String(e['id']))?.name === name).map((e) => String(e['how']));
		expect(howFor(scratch.name)).toEqual(['dropped']);
		expect(settled.some((e) => String(e['how']).match(/^(ended the orphaned pg_dump|the orphaned pg_dump .* had already exited)/))).toBe(true);

		// Each migration in the ledger once.
		const ledger = await db.query<{item: string; n: string}>(`SELECT item, count(*) AS n FROM runbook.applied_migrations GROUP BY item ORDER BY item`);
		expect(ledger).toEqual([
			{item: 'step1.apply', n: '1'},
			{item: 'step2.apply', n: '1'},
			{item: 'step3.apply', n: '1'},
		]);
		// No database, process, session or file the run created is left.
		expect(await scratchDatabases()).toEqual([]);
		expect(processAlive(orphanDump.pid!, 'pg_dump')).toBe(false);
		const childNames = [...all.values()].flatMap((r) => (r.applicationName ? [r.applicationName] : []));
		const sessions = await db.query<{application_name: string}>(
			`SELECT application_name FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (application_name = ANY($1::text[]) OR (datname = $2 AND application_name LIKE 'runbook%'))`,
			[childNames, db.name],
		);
		expect(sessions).toEqual([]);
		expect(readdirSync(path.join(stateDir, 'psql'))).toEqual([]);
		const files = readdirSync(backups);
		expect(files.filter((f) => f.endsWith('.partial'))).toEqual([]);
		expect(files.filter((f) => f.endsWith('.dump'))).toHaveLength(1);
		const state = JSON.parse((await runCli(['status', '--json', '--state-dir', stateDir])).stdout) as {resources: Array<{status: string; name: string; kind: string; pid?: number}>};
		const open = state.resources.filter((r) => r.status === 'open');
		expect(open).toEqual([]);
		for (const r of state.resources) if (r.kind === 'process' && r.pid) expect(processAlive(r.pid, r.name)).toBe(false);
		expect(kills).toHaveLength(8);
		// Same catalog as the three files applied without interruption.
		expect(await schemaDump(db.target, {schema: 'platform'})).toBe(await schemaDump(reference.target, {schema: 'platform'}));
		// The journal shows the reconciliation of the interrupted backup.
		expect(journalEvents(stateDir).some((e) => e['type'] === 'item-reset' && e['itemId'] === 'backup.create')).toBe(true);
		expect(existsSync(path.join(stateDir, 'report.md'))).toBe(true);
	}, 600_000);
});
