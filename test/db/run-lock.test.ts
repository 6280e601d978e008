import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type pg from 'pg';
import {freshDatabase, connectTo, type TestDatabase} from '../helpers/db.js';
import {acquireRunLock} from '../../source/db/run-lock.js';
import {RUN_LOCK_CLASS, planLockKey} from '../../source/db/ledger.js';

// Advisory locks belong to one database: the same plan may run on two
// databases of one server at once, and a refusal must name the holder on
// the target, never a runbook working on the other database.
const planId = 'run-lock-two-databases';
let a: TestDatabase;
let b: TestDatabase;
let holderA: pg.Client;
let holderB: pg.Client;
const pidOf = async (client: pg.Client) => (await client.query<{pid: number}>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

beforeAll(async () => {
	a = await freshDatabase('run_lock_a', {empty: true});
	b = await freshDatabase('run_lock_b', {empty: true});
	// B's holder locks first, so an unfiltered pg_locks read would find it first.
	holderB = await connectTo(b, 'runbook:other:host-b:111');
	holderA = await connectTo(a, 'runbook:this:host-a:222');
	for (const client of [holderB, holderA]) {
		const {rows} = await client.query<{ok: boolean}>('SELECT pg_try_advisory_lock($1, $2) AS ok', [RUN_LOCK_CLASS, planLockKey(planId)]);
		expect(rows[0]?.ok).toBe(true);
	}
});
afterAll(async () => {
	await holderA?.end();
	await holderB?.end();
	await a?.drop();
	await b?.drop();
});

describe('the run lock', () => {
	it('is refused with the holder on the target database, not one on another database', async () => {
		const error = await acquireRunLock(a.target, planId).then(() => undefined, (e: unknown) => e as Error);
		expect(error?.message).toMatch(/holds the run lock/);
		expect(error?.message).toContain(`server pid ${await pidOf(holderA)}`);
		expect(error?.message).toContain('host-a');
		expect(error?.message).not.toContain(`server pid ${await pidOf(holderB)}`);
	});

	it('is granted on a database where nobody holds it', async () => {
		const c = await freshDatabase('run_lock_c', {empty: true});
		try {
			const lock = await acquireRunLock(c.target, planId);
			await lock.release();
		} finally {
			await c.drop();
		}
	});
});
