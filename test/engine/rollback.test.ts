/**
 * The three rollback levels through the CLI, on demand after a real forward
 * run: each verifies what the plan expects, is journaled, updates the ledger,
 * and refuses to start without its typed confirmation.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {freshDatabase, schemaDump, type TestDatabase} from '../helpers/db.js';
import {runCli, subsetPlan, tempDir, journalEvents} from '../helpers/cli.js';
import {adminQuery, dropDatabase} from '../../source/sandbox/server.js';

let db: TestDatabase;
let plan: string;
let stateDir: string;
let before: string;
let args: string[];


beforeAll(async () => {
	db = await freshDatabase('rollback');
	before = await schemaDump(db.target, {schema: 'platform'});
	plan = subsetPlan(['pre-backup', 'step1', 'step2'], {keepRollback: true});
	stateDir = tempDir('rollback');
	args = ['--database-url', db.url, '--state-dir', stateDir, '--plan', plan];
	const forward = await runCli(['run', '--yes', '--confirm', 'all', '--go', ...args]);
	expect(forward.stdout).toMatch(/■ completed/);
}, 240_000);

afterAll(async () => {
	// Level 3 keeps the database it replaced as <name>_pre_restore_<time>.
	const kept = await adminQuery(db.admin, `SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${db.name}_pre_restore_%`]);
	for (const row of kept.rows as Array<{datname: string}>) await dropDatabase(db.admin, row.datname);
	await db?.drop();
});

describe('rollback levels on demand', () => {
	it('level 2 refuses to start without the database name typed', async () => {
		const result = await runCli(['rollback', '2', '--yes', '--confirm-database', 'not-the-name', ...args]);
		expect(result.exitCode).toBe(3);
		expect(result.stdout).toMatch(new RegExp(`needs the database name: pass --confirm-database ${db.name}`));
		const tables = await db.query<{n: string}>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'platform' AND tablename = 'databases'`);
		expect(tables[0]!.n).toBe('1');
	});

	it('rollback --json writes the same refusal as NDJSON events', async () => {
		const result = await runCli(['rollback', '2', '--json', '--confirm-database', 'not-the-name', ...args]);
		expect(result.exitCode).toBe(3);
		const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as {schema: string; version: number; type: string; message?: string});
		expect(events.every((e) => e.schema === 'runbook.event' && e.version === 1)).toBe(true);
		expect(events[0]!.type).toBe('run-started');
		expect(events.at(-1)!.type).toBe('run-stopped');
		expect(events.at(-1)!.message).toContain(`pass --confirm-database ${db.name}`);
	});

	it('level 1 drops every policy and disables RLS (the plan\'s two Expected: 0)', async () => {
		const result = await runCli(['rollback', '1', '--yes', '--reason', 'rehearsal', ...args]);
		expect(result.stdout).toMatch(/✓ rb1\.policies .*PASS count = 0/);
		expect(result.stdout).toMatch(/✓ rb1\.rls .*PASS count = 0/);
		expect(result.stdout).toMatch(/■ rolled-back: Rollback level 1/);
		expect(result.exitCode).toBe(0);
		const ledger = await db.query<{item: string}>(`SELECT item FROM runbook.applied_migrations ORDER BY item`);
		expect(ledger.map((r) => r.item)).toEqual(['step1.apply']);
	});

	it('level 2 drops the databases table and its objects (Expected: 0)', async () => {
		const result = await runCli(['rollback', '2', '--yes', '--confirm-database', db.name, ...args]);
		expect(result.stdout).toMatch(/✓ rb2\.table-gone .*PASS count = 0/);
		expect(result.exitCode).toBe(0);
		const ledger = await db.query(`SELECT item FROM runbook.applied_migrations`);
		expect(ledger).toEqual([]);
		// Levels 1 and 2 together undo 006 exactly.
		expect(await schemaDump(db.target, {schema: 'platform'})).toBe(before);
	});

	it('level 3 verifies the checksum, restores the backup and checks the catalog', async () => {
		const result = await runCli(['rollback', '3', '--yes', '--confirm-database', db.name, ...args]);
		expect(result.stdout).toMatch(/✓ rb3\.checksum/);
		expect(result.stdout).toMatch(/✓ rb3\.restore .*projects: \d+; \d+ tables match the backup/);
		expect(result.stdout).toMatch(/✓ rb3\.catalog .*PASS 25 value\(s\)/);
		expect(result.exitCode).toBe(0);
		expect(await schemaDump(db.target, {schema: 'platform'})).toBe(before);
		const rollbacks = journalEvents(stateDir).filter((e) => e['type'] === 'rollback-started').map((e) => e['level']);
		expect(rollbacks).toEqual([1, 2, 3]);
	});
});
