/**
 * Part 4: "zero downtime", measured. A pgbench workload on platform tables at
 * a fixed rate runs before and during the three migrations, in three
 * scenarios on fresh clones:
 *   A. the runbook, nothing in the way;
 *   B. the runbook while a transaction holds ACCESS SHARE on platform.users
 *      for HOLD seconds (ENABLE RLS queues behind it; with lock_timeout the
 *      DDL gives up, the workload moves on, the runbook retries);
 *   C. the plan's way, psql with no lock_timeout, with the same blocker (the
 *      DDL queues for the whole hold and every query on users queues behind it);
 *   D. the runbook with its default lock_timeout while the workload forms lock
 *      cycles with Step 2 (users, then audit_logs, in one transaction): the
 *      migration must give way every time, so no application transaction is
 *      aborted by a deadlock and none waits much longer than lock_timeout.
 */
import pg from 'pg';
import {runChild} from '../source/proc/child.js';
import type {BenchContext, BenchDatabase} from './context.js';
import {writeMigrationPlan, type MigrationPlan} from './bench-plan.js';
import {runbookMigrations} from './bench-migrations.js';
import {CYCLE_WORKLOAD, startWorkload, summarize, type LatencySummary, type WorkloadRun} from './pgbench.js';
import {bound, info, type Figure} from './results.js';
import {waitFor} from './tmux.js';

const RATE = 50;
const CLIENTS = 4;
const BEFORE_S = 5;
const HOLD_S = 10;
const LOCK_TIMEOUT_MS = 5000;

type Scenario = {before: LatencySummary; during: LatencySummary; migrationMs: number; lockTimeouts: number; lockTimeoutMs: number; workload: WorkloadRun};
type Migrated = {lockTimeouts: number; lockTimeoutMs: number};

/** A session that holds ACCESS SHARE on platform.users for `seconds`, then commits. */
async function holdLock(db: BenchDatabase, seconds: number): Promise<{released: Promise<void>}> {
	const client = new pg.Client(db.target.clientConfig({application_name: 'bench-blocker'}));
	await client.connect();
	await client.query('BEGIN');
	await client.query('LOCK TABLE platform.users IN ACCESS SHARE MODE');
	const released = (async () => {
		await client.query('SELECT pg_sleep($1)', [seconds]);
		await client.query('COMMIT');
		await client.end();
	})();
	return {released};
}

async function plainPsql(plan: MigrationPlan, db: BenchDatabase): Promise<void> {
	for (const step of plan.steps) {
		const result = await runChild({file: 'psql', args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', step.file], env: db.target.childEnv()});
		if (result.exitCode !== 0) throw new Error(`psql -f ${step.file} failed:\n${result.tail.map((l) => l.line).join('\n')}`);
	}
}

async function scenario(ctx: BenchContext, plan: MigrationPlan, label: string, blocker: boolean, migrate: (db: BenchDatabase) => Promise<Migrated>, seconds: number, script?: string): Promise<Scenario> {
	const db = await ctx.cloneDatabase(`down_${label}`);
	const dir = ctx.tempDir(`pgbench-${label}`);
	const workloadStarted = Date.now();
	const workload = startWorkload({target: db.target, dir, seconds, rate: RATE, clients: CLIENTS, ...(script ? {script} : {})});
	await waitFor(() => (Date.now() - workloadStarted >= BEFORE_S * 1000 ? true : undefined), BEFORE_S * 1000 + 1000, 'the before phase', 20);
	const hold = blocker ? await holdLock(db, HOLD_S) : undefined;
	const from = Date.now();
	const {lockTimeouts, lockTimeoutMs} = await migrate(db);
	const to = Date.now();
	await hold?.released;
	const run = await workload;
	return {before: summarize(run, workloadStarted + 1000, from), during: summarize(run, from, to), migrationMs: to - from, lockTimeouts, lockTimeoutMs, workload: run};
}

function describe(s: LatencySummary): string {
	return `${s.count} requests: p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms, ${s.errors} errors`;
}

export async function benchDowntime(ctx: BenchContext): Promise<Figure[]> {
	const dir = ctx.tempDir('downtime');
	const plan = writeMigrationPlan(dir);
	const viaRunbook = (extra: readonly string[]) => async (db: BenchDatabase) => {
		const run = await runbookMigrations(ctx, plan, db, extra);
		return {lockTimeouts: run.lockTimeouts, lockTimeoutMs: run.lockTimeoutMs};
	};
	ctx.log('  A: runbook, no blocker');
	const a = await scenario(ctx, plan, 'a', false, viaRunbook([]), BEFORE_S + 15);
	ctx.log(`  B: runbook, ACCESS SHARE on platform.users held ${HOLD_S} s`);
	const b = await scenario(ctx, plan, 'b', true, viaRunbook(['--lock-timeout', `${LOCK_TIMEOUT_MS}ms`]), BEFORE_S + HOLD_S + 20);
	ctx.log(`  C: plain psql (no lock_timeout), same blocker`);
	const c = await scenario(ctx, plan, 'c', true, async (db) => {
		await plainPsql(plan, db);
		return {lockTimeouts: 0, lockTimeoutMs: 0};
	}, BEFORE_S + HOLD_S + 10);
	ctx.log('  D: runbook (default lock_timeout), the workload forming lock cycles with Step 2');
	const d = await scenario(ctx, plan, 'd', false, viaRunbook([]), BEFORE_S + 20, CYCLE_WORKLOAD);
	const limit = LOCK_TIMEOUT_MS + 100;
	const section = '4 zero downtime';
	const workload = `pgbench -R ${RATE} -c ${CLIENTS} (user by email, Lancio's projects, UPDATE users, INSERT audit_logs)`;
	// pgbench's own count over the whole run (failed transactions and aborted clients); the windows' counts are part of it.
	const errorsOf = (s: Scenario) => s.workload.errors;
	return [
		info({id: 'downtime.a.before', section, name: 'A before the migrations: max latency', value: a.before.max, unit: 'ms', detail: `${workload}; ${describe(a.before)}`}),
		bound({id: 'downtime.a.during-max', section, name: 'A during the migrations through the runbook: max latency', value: a.during.max, unit: 'ms', max: a.lockTimeoutMs + 100, detail: `${describe(a.during)}; migrations ${a.migrationMs} ms with ${a.lockTimeouts} lock timeout(s) retried; lock_timeout ${a.lockTimeoutMs} ms (the default, below the server's deadlock_timeout)`}),
		bound({id: 'downtime.a.errors', section, name: 'A: workload errors (before + during)', value: errorsOf(a), unit: 'errors', max: 0, detail: a.workload.errorLines.slice(0, 3).join(' | ')}),
		bound({id: 'downtime.b.during-max', section, name: `B runbook with a ${HOLD_S} s ACCESS SHARE holder on users: max latency`, value: b.during.max, unit: 'ms', max: limit, detail: `${describe(b.during)}; before: ${describe(b.before)}; migrations took ${b.migrationMs} ms with ${b.lockTimeouts} lock timeout(s) retried (lock_timeout ${LOCK_TIMEOUT_MS} ms)`}),
		bound({id: 'downtime.b.errors', section, name: 'B: workload errors', value: errorsOf(b), unit: 'errors', max: 0, detail: b.workload.errorLines.slice(0, 3).join(' | ')}),
		info({id: 'downtime.c.during-max', section, name: `C plain psql (no lock_timeout), same holder: max latency`, value: c.during.max, unit: 'ms', detail: `the plan's way, for the record (no goal: it has no bound); ${describe(c.during)}; before: ${describe(c.before)}; migrations took ${c.migrationMs} ms`}),
		info({id: 'downtime.c.errors', section, name: 'C: workload errors', value: errorsOf(c), unit: 'errors', detail: c.workload.errorLines.slice(0, 3).join(' | ')}),
		bound({id: 'downtime.d.during-max', section, name: 'D lock cycles with Step 2 (users, then audit_logs, in one transaction): longest application transaction during the migrations', value: d.during.max, unit: 'ms', max: d.lockTimeoutMs + 100, detail: `pgbench -R ${RATE} -c ${CLIENTS}, each transaction UPDATE users, then INSERT audit_logs; ${describe(d.during)}; before: ${describe(d.before)}; migrations took ${d.migrationMs} ms with ${d.lockTimeouts} lock timeout(s) or deadlock(s) given up by the migration and retried; lock_timeout ${d.lockTimeoutMs} ms (goal: lock_timeout + 100 ms)`}),
		bound({id: 'downtime.d.errors', section, name: 'D: application errors (deadlocks included)', value: errorsOf(d), unit: 'errors', max: 0, detail: d.workload.errorLines.slice(0, 3).join(' | ')}),
	];
}
