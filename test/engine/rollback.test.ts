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
let databaseLevelBefore: unknown;

/** The database's own grants and settings, as the catalog holds them. */
async function databaseLevel(): Promise<unknown> {
	const acl = await adminQuery(db.admin, `SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1 ORDER BY 1, 2`, [db.name]);
	const settings = await adminQuery(db.admin, `SELECT coalesce(pg_get_userbyid(NULLIF(s.setrole, 0)), '*') AS role, s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1 ORDER BY 1`, [db.name]);
	return {acl: acl.rows, settings: settings.rows};
}


beforeAll(async () => {
	db = await freshDatabase('rollback');
	// Database-level settings and grants, which pg_dump keeps only with --create: level 3 must bring them back.
	for (const sql of [
		`SELECT format('ALTER DATABASE %I SET work_mem = %L', $1::text, '7MB') AS sql`,
		`SELECT format('ALTER ROLE runbook_app IN DATABASE %I SET statement_timeout = %L', $1::text, '9s') AS sql`,
		`SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', $1::text) AS sql`,
		`SELECT format('GRANT CONNECT ON DATABASE %I TO runbook_app', $1::text) AS sql`,
	]) {
		const {rows} = await adminQuery(db.admin, sql, [db.name]);
		await adminQuery(db.admin, rows[0]!.sql as string);
	}
	databaseLevelBefore = await databaseLevel();
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
		// The database as it was: its own grants and settings came back, and the restore's verification says so.
		expect(await databaseLevel()).toEqual(databaseLevelBefore);
		expect(result.stdout).toMatch(/database-level owner postgres; grants: CONNECT to runbook_app; settings: work_mem, statement_timeout \(role runbook_app\); connection limit -1 \(carried over and verified\)/);
		// The pre-restore copy was journaled before it existed, stays, and is listed with its size.
		const kept = (await adminQuery(db.admin, `SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${db.name}_pre_restore_%`])).rows as Array<{datname: string}>;
		expect(kept).toHaveLength(1);
		const copy = kept[0]!.datname;
		const status = await runCli(['status', ...args]);
		expect(status.stdout).toMatch(new RegExp(`Created by this run and still there[^\\n]*\\n  database ${copy} \\(\\d+(\\.\\d+)? MiB\\) on [^ ]+ — rollback level 3: pre-restore copy`));
		const report = await runCli(['report', ...args]);
		expect(report.stdout).toMatch(new RegExp(`database ${copy} \\(\\d+(\\.\\d+)? MiB\\)`));
	});

	it('cleanup keeps the pre-restore copy with --yes, drops it on the operator\'s word, then has nothing left', async () => {
		const copy = ((await adminQuery(db.admin, `SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${db.name}_pre_restore_%`])).rows[0] as {datname: string}).datname;
		const refused = await runCli(['cleanup', '--yes', ...args]);
		expect(refused.exitCode).toBe(3);
		expect(refused.stdout).toMatch(new RegExp(`KEPT  database ${copy} .*\n +holds data: kept until the operator says so`));
		expect((await adminQuery(db.admin, 'SELECT 1 FROM pg_database WHERE datname = $1', [copy])).rowCount).toBe(1);
		const wrong = await runCli(['cleanup', '--yes', '--drop', 'no_such_database', ...args]);
		expect(wrong.exitCode).toBe(2);
		expect(wrong.stderr).toMatch(/--drop\/--keep name `no_such_database`, which is not among what run/);
		const dropped = await runCli(['cleanup', '--yes', '--drop', copy, ...args]);
		expect(dropped.stdout).toMatch(new RegExp(`done  database ${copy} .*\n +dropped on the operator's word`));
		expect(dropped.exitCode).toBe(0);
		expect((await adminQuery(db.admin, 'SELECT 1 FROM pg_database WHERE datname = $1', [copy])).rowCount).toBe(0);
		const again = await runCli(['cleanup', '--yes', ...args]);
		expect(again.exitCode).toBe(0);
		expect(again.stdout).toMatch(/nothing left: every database, file and child process this run created was released/);
	});
});
