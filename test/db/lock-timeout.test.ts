import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type pg from 'pg';
import {freshDatabase, connectTo, type TestDatabase} from '../helpers/db.js';
import {chooseLockTimeout, DEFAULT_LOCK_TIMEOUT_MS} from '../../source/db/lock-timeout.js';

let db: TestDatabase;
let client: pg.Client;
beforeAll(async () => {
	db = await freshDatabase('lock_timeout', {empty: true});
	client = await connectTo(db, 'test');
});
afterAll(async () => {
	await client.end();
	await db.drop();
});

describe('the lock_timeout migrations run with', () => {
	it('is the default when the server’s deadlock_timeout is longer', async () => {
		await client.query(`SET deadlock_timeout = '1s'`);
		const choice = await chooseLockTimeout(client, DEFAULT_LOCK_TIMEOUT_MS, false);
		expect(choice).toMatchObject({lockTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS, deadlockTimeoutMs: 1000});
		expect(choice.note).toBe(`lock_timeout ${DEFAULT_LOCK_TIMEOUT_MS} ms, below the server's deadlock_timeout 1000 ms: a migration in a lock cycle with the application gives way first and is retried`);
	});

	it('is half the server’s deadlock_timeout when the default is not below it', async () => {
		await client.query(`SET deadlock_timeout = '300ms'`);
		const choice = await chooseLockTimeout(client, DEFAULT_LOCK_TIMEOUT_MS, false);
		expect(choice).toMatchObject({lockTimeoutMs: 150, deadlockTimeoutMs: 300});
		expect(choice.note).toContain(`(lowered from ${DEFAULT_LOCK_TIMEOUT_MS} ms)`);
	});

	it('is the operator’s value as given, with a note of the risk when it is not below deadlock_timeout', async () => {
		await client.query(`SET deadlock_timeout = '1s'`);
		const choice = await chooseLockTimeout(client, 5000, true);
		expect(choice).toMatchObject({lockTimeoutMs: 5000, deadlockTimeoutMs: 1000});
		expect(choice.note).toMatch(/^lock_timeout 5000 ms \(--lock-timeout\) is not below the server's deadlock_timeout 1000 ms: in a lock cycle the application's transaction may be the one aborted/);
	});
});
