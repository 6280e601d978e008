/**
 * The runbook on the database production actually holds (CUSTOMER-DATABASE.md),
 * through the CLI against a real PostgreSQL, real psql/pg_dump/pg_restore and a
 * real redis-server:
 * - a database freshly migrated with 001–005 and no data rows, with a table
 *   added to platform before the run: the whole plan exits 0, the extra table
 *   ends with RLS and a policy, thin data is explained, not fatal;
 * - a second project under lancio: exit 3 before anything runs, naming both
 *   projects and the flag; --project-ref then completes;
 * - --migrations with a copy of our files whose RLS step leaves one table out:
 *   exit 1 naming the failed item, the schema as that file left it.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {cpSync, readFileSync, writeFileSync} from 'node:fs';
import {createHash} from 'node:crypto';
import path from 'node:path';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {ROOT, runCli, subsetPlan, tempDir, journalEvents, type CliResult} from '../helpers/cli.js';
import {applySqlFiles, PREREQUISITES} from '../../source/sandbox/prepare.js';
import {startRedis, type RedisServer} from '../helpers/redis-server.js';

let redis: RedisServer;
let env: Record<string, string>;

beforeAll(async () => {
	redis = await startRedis({password: 'customer-db-redis-pw'});
	env = {REDIS_URL: `redis://default:customer-db-redis-pw@127.0.0.1:${redis.port}/0`};
});

afterAll(async () => {
	await redis?.stop();
});

const RUN = ['run', '--yes', '--confirm', 'all', '--go'];

async function rls(db: TestDatabase): Promise<Array<{tablename: string; rowsecurity: boolean; policies: number}>> {
	return db.query(`SELECT t.tablename, t.rowsecurity, (SELECT count(*) FROM pg_policies p WHERE p.schemaname = t.schemaname AND p.tablename = t.tablename)::int AS policies
		FROM pg_tables t WHERE t.schemaname = 'platform' ORDER BY t.tablename`);
}

describe('a database freshly migrated with 001–005, no data rows, and one table more in platform', () => {
	let db: TestDatabase;
	let run: CliResult;

	beforeAll(async () => {
		db = await freshDatabase('customer_fresh', {empty: true});
		await applySqlFiles(db.target, PREREQUISITES);
		await db.query(`CREATE TABLE platform.partner_notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), note text NOT NULL)`);
		// The application role (cluster-wide, from the test template) gets the grants an application has here too.
		for (const grant of [
			'GRANT USAGE ON SCHEMA platform TO runbook_app',
			'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA platform TO runbook_app',
			'ALTER DEFAULT PRIVILEGES IN SCHEMA platform GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO runbook_app',
		]) await db.query(grant);
		run = await runCli([...RUN, '--database-url', db.url, '--state-dir', tempDir('customer-fresh'), '--app-role', 'runbook_app'], env, 300_000);
	}, 320_000);

	afterAll(async () => {
		await db?.drop();
	});

	it('runs the whole plan and exits 0', () => {
		expect(run.stderr).not.toMatch(/bug in runbook/);
		expect(run.stdout).toMatch(/■ completed: All items of the plan are done/);
		expect(run.exitCode).toBe(0);
	});

	it('enables RLS with a policy on all 27 platform tables, the added one included', async () => {
		const tables = await rls(db);
		expect(tables).toHaveLength(27);
		expect(tables.filter((t) => !t.rowsecurity || t.policies !== 1)).toEqual([]);
		expect(tables.find((t) => t.tablename === 'partner_notes')).toEqual({tablename: 'partner_notes', rowsecurity: true, policies: 1});
	});

	it('lists the extra table in the prerequisite check instead of refusing it, and shows the plan’s figures beside the measured ones', () => {
		expect(run.stdout).toMatch(/✓ env\.schema-state .*also present \(not required\): .*partner_notes/);
		expect(run.stdout).toMatch(/✓ post\.tables-with-rls .*tables_with_rls = 27, tables = 27; PASS tables_with_rls = 27 \(plan: >= 24\)/);
		expect(run.stdout).toMatch(/✓ step2\.apply .*CREATE POLICY ×27/);
	});

	it('passes the 100 KB backup floor against the database’s own, smaller data, showing both figures', () => {
		// The dump of this nearly empty database sits near the floor: either above it, or below it and judged against the data.
		expect(run.stdout).toMatch(/✓ backup\.size .*(> 100 KiB \(plan: > 100KB\)|below the plan's 100 KiB floor, but the database's own data is only [\d.]+ (B|KiB))/);
	});

	it('measures the session baseline with a parameter that matches nothing, and says so', () => {
		expect(run.stdout).toMatch(/✓ ready\.baseline-before .*session-validation: .*\(no sample row: measured with a value that matches nothing\)/);
		expect(run.stdout).toMatch(/✓ ready\.baseline-before .*\[no sample row for session-validation, audit-log-latest, organization-members: measured with a parameter that matches nothing\]/);
	});

	it('registers the Railway databases for BlackWhale, the single project of lancio', async () => {
		const rows = await db.query(`SELECT DISTINCT p.name, p.ref FROM platform.databases d JOIN platform.projects p ON p.id = d.project_id`);
		expect(rows).toEqual([{name: 'BlackWhale', ref: 'blackwhale-prod'}]);
	});
});

describe('a second project under organization lancio', () => {
	let db: TestDatabase;
	let stateDir: string;
	let stopped: CliResult;
	let afterStop: unknown;
	let completed: CliResult;

	beforeAll(async () => {
		db = await freshDatabase('customer_two');
		await db.query(`INSERT INTO platform.projects (organization_id, name, slug, ref, database_host, database_password, postgres_meta_url, supabase_url)
			SELECT id, 'Orca', 'orca', 'orca-staging', 'db.orca.internal', 'x', 'http://meta.orca.internal', 'https://orca.example' FROM platform.organizations WHERE slug = 'lancio'`);
		stateDir = tempDir('customer-two');
		stopped = await runCli([...RUN, '--database-url', db.url, '--state-dir', stateDir], env);
		const [schema] = await db.query(`SELECT to_regclass('platform.databases') IS NULL AS no_table,
			(SELECT count(*) FROM pg_policies WHERE schemaname = 'platform')::int AS policies,
			to_regclass('runbook.applied_migrations') IS NULL OR NOT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'runbook' AND tablename = 'applied_migrations') AS no_ledger_table`);
		const ledger = schema?.['no_ledger_table'] ? 0 : (await db.query<{n: number}>(`SELECT count(*)::int AS n FROM runbook.applied_migrations`))[0]!.n;
		afterStop = {...schema, ledger, started: journalEvents(stateDir).filter((e) => e['type'] === 'item-started').length};
		completed = await runCli([...RUN, '--fresh', '--project-ref', 'orca-staging', '--database-url', db.url, '--state-dir', stateDir, '--app-role', 'runbook_app'], env, 300_000);
	}, 420_000);

	afterAll(async () => {
		await db?.drop();
	});

	it('stops with exit 3 before any item, naming both projects and the flag', async () => {
		expect(stopped.exitCode).toBe(3);
		expect(stopped.stdout).toContain(
			'the single project of the organization with slug `lancio`, but it has 2: BlackWhale (ref blackwhale-prod), Orca (ref orca-staging). The runbook never guesses: choose one with --project-ref REF',
		);
		expect(stopped.stdout).not.toMatch(/▶ /);
	});

	it('changed nothing: no item started, no migration, no ledger row', () => {
		expect(afterStop).toEqual({no_table: true, policies: 0, no_ledger_table: expect.any(Boolean), ledger: 0, started: 0});
	});

	it('with --project-ref orca-staging completes and registers the databases for that project', async () => {
		expect(completed.stdout).toMatch(/■ completed: All items of the plan are done/);
		expect(completed.exitCode).toBe(0);
		expect(completed.stdout).toMatch(/✓ env\.lancio-project .*1 row\(s\)/);
		const rows = await db.query(`SELECT DISTINCT p.ref FROM platform.databases d JOIN platform.projects p ON p.id = d.project_id`);
		expect(rows).toEqual([{ref: 'orca-staging'}]);
	});
});

describe('--migrations with a copy of our files whose RLS step leaves platform.databases out', () => {
	let db: TestDatabase;
	let dir: string;
	let stateDir: string;
	let run: CliResult;

	beforeAll(async () => {
		db = await freshDatabase('customer_migrations');
		dir = tempDir('customer-sql');
		cpSync(path.join(ROOT, 'sql'), dir, {recursive: true});
		const rlsFile = path.join(dir, '006_enable_rls_with_permissive_policies.sql');
		const text = readFileSync(rlsFile, 'utf8');
		// Like the customer's original: databases is not in the list, and nothing checks afterwards.
		const edited = text
			.replace("WHERE n.nspname = 'platform' AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity", "WHERE n.nspname = 'platform' AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND c.relname <> 'databases'")
			.replace(/-- Self-check: fail the whole migration[\s\S]*$/, '');
		expect(edited).not.toBe(text);
		writeFileSync(rlsFile, edited);
		const plan = subsetPlan(['pre-environment', 'step1', 'step2']);
		stateDir = tempDir('customer-migrations');
		run = await runCli(['run', '--yes', '--plan', plan, '--migrations', dir, '--database-url', db.url, '--state-dir', stateDir], env);
	}, 240_000);

	afterAll(async () => {
		await db?.drop();
	});

	it('exits 1 and names the failed item with its decision-matrix row', () => {
		expect(run.exitCode).toBe(1);
		expect(run.stdout).toMatch(/✗ step2\.apply: The psql output does not show the expected command tags: missing CREATE POLICY ×25 \(expected 26, one per platform table \(plan: 24\+\)\)/);
		expect(run.stdout).toMatch(/\[decision matrix: syntax-error\]/);
	});

	it('leaves the schema as that file left it: every table but databases with RLS', async () => {
		const tables = await rls(db);
		expect(tables.filter((t) => !t.rowsecurity)).toEqual([{tablename: 'databases', rowsecurity: false, policies: 0}]);
		expect(tables.filter((t) => t.rowsecurity)).toHaveLength(25);
	});

	it('records the checksum of the file that ran, from the given directory', async () => {
		const rows = await db.query(`SELECT item, sha256 FROM runbook.applied_migrations WHERE item = 'step2.apply'`);
		const sha256 = createHash('sha256').update(readFileSync(path.join(dir, '006_enable_rls_with_permissive_policies.sql'))).digest('hex');
		expect(rows).toEqual([{item: 'step2.apply', sha256}]);
		const failed = journalEvents(stateDir).find((e) => e['type'] === 'item-failed' && e['itemId'] === 'step2.apply') as {evidence: {command: string}} | undefined;
		expect(failed?.evidence.command).toContain(`${path.basename(dir)}/006_enable_rls_with_permissive_policies.sql`);
	});
});
