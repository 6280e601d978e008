/**
 * A torn last journal line is cut only by the run that holds the run lock: a
 * second runbook on the same state directory, refused the lock, leaves the
 * journal byte for byte as it found it (the torn line may be the live run's
 * write in progress). The run that gets the lock cuts it and goes on.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {appendFileSync, readFileSync} from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import {connectTo, freshDatabase, type TestDatabase} from '../helpers/db.js';
import {runCli, subsetPlan, tempDir} from '../helpers/cli.js';
import {RUN_LOCK_CLASS, planLockKey} from '../../source/db/ledger.js';

const PLAN_ID = 'torn-journal-lock';
let db: TestDatabase;
let plan: string;

beforeAll(async () => {
	db = await freshDatabase('torn_lock');
	plan = subsetPlan(['comms'], {id: PLAN_ID});
}, 60_000);

afterAll(async () => {
	await db?.drop();
});

describe('a torn journal line and the run lock', () => {
	it('is left as it is by a run refused the lock, and cut by the run that gets it', async () => {
		const stateDir = tempDir('torn-lock-state');
		const args = ['run', '--yes', '--confirm', 'all', '--database-url', db.url, '--state-dir', stateDir, '--plan', plan];
		const first = await runCli(args);
		expect(first.exitCode, first.stderr).toBe(0);
		const journal = path.join(stateDir, 'journal.jsonl');
		// As another live run's write would look halfway through.
		appendFileSync(journal, '{"type":"note","text":"half a li');
		const torn = readFileSync(journal);

		const holder: pg.Client = await connectTo(db, `runbook:${PLAN_ID}:elsewhere:4242`);
		try {
			const {rows} = await holder.query<{ok: boolean}>('SELECT pg_try_advisory_lock($1, $2) AS ok', [RUN_LOCK_CLASS, planLockKey(PLAN_ID)]);
			expect(rows[0]?.ok).toBe(true);
			const refused = await runCli([...args, '--resume']);
			expect(refused.exitCode).toBe(2);
			expect(refused.stderr).toMatch(/holds the run lock/);
			expect(readFileSync(journal).equals(torn)).toBe(true);
		} finally {
			await holder.end();
		}

		const resumed = await runCli([...args, '--resume']);
		expect(resumed.exitCode, resumed.stderr).toBe(0);
		expect(resumed.stdout + resumed.stderr).toMatch(/torn line/);
		const text = readFileSync(journal, 'utf8');
		expect(text).not.toContain('half a li');
		expect(text.endsWith('\n')).toBe(true);
		expect(text.trim().split('\n').every((line) => JSON.parse(line) !== undefined)).toBe(true);
	}, 120_000);
});
