/**
 * Runs the built CLI (dist/cli.js, built by `npm test`'s pretest) as a real
 * child process, and writes plan files derived from the real plan.
 */
import {execa, type ResultPromise} from 'execa';
import {mkdtempSync, readFileSync, writeFileSync, existsSync} from 'node:fs';
import {inject} from 'vitest';
import path from 'node:path';
import {parse, stringify} from 'yaml';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const PLAN = path.join(ROOT, 'runbook', 'migration-006.yaml');

/** A temp directory under this test run's root (removed by the global teardown). */
export function tempDir(prefix: string): string {
	return mkdtempSync(path.join(inject('tmpRoot'), `${prefix}-`));
}

export type CliResult = {exitCode: number; stdout: string; stderr: string};

/** libpq's variables, cleared for the CLI under test: a developer's PGHOST must not pick the target of a test. */
const NO_PG_ENV = Object.fromEntries(
	['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGPASSWORD', 'PGPASSFILE', 'PGSERVICE', 'PGSERVICEFILE', 'PGSYSCONFDIR', 'PGSSLMODE', 'PGSSLROOTCERT', 'PGSSLCERT', 'PGSSLKEY', 'PGOPTIONS', 'PGCONNECT_TIMEOUT', 'PGTARGETSESSIONATTRS'].map((name) => [name, undefined]),
);

export async function runCli(args: readonly string[], env: Record<string, string | undefined> = {}, timeoutMs = 180_000): Promise<CliResult> {
	if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it)');
	const result = await execa('node', [CLI, ...args], {reject: false, env: {CI: 'true', DATABASE_URL: undefined, REDIS_URL: undefined, ...NO_PG_ENV, ...env}, extendEnv: true, timeout: timeoutMs, stdin: 'ignore'});
	return {exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr)};
}

export function spawnCli(args: readonly string[], env: Record<string, string | undefined> = {}): ResultPromise {
	return execa('node', [CLI, ...args], {reject: false, env: {CI: 'true', DATABASE_URL: undefined, REDIS_URL: undefined, ...NO_PG_ENV, ...env}, extendEnv: true, stdin: 'ignore', buffer: true});
}

/**
 * A plan file holding only some phases of the real plan (engine behaviour is
 * plan-agnostic; a shorter plan keeps fault tests fast). `sqlDir` points at the
 * real sql/ unless another directory is given.
 */
export function subsetPlan(phaseIds: readonly string[], options: {sqlDir?: string; dir?: string; id?: string; keepRollback?: boolean; keepProbes?: boolean} = {}): string {
	type Items = Array<{id: string; kind?: string; after?: string; reverts?: string[]}>;
	const plan = parse(readFileSync(PLAN, 'utf8')) as Record<string, unknown> & {phases: Array<{id: string; title: string; items: Items}>; rollback: Array<{items: Items}>};
	const before = plan.phases.flatMap((p) => p.items).find((i) => i.kind === 'probes' && !i.after);
	plan['phases'] = plan.phases.filter((p) => phaseIds.includes(p.id));
	if (options.keepProbes) {
		// The probes' "before" run comes first, whichever phases were kept.
		if (before && !plan.phases.some((p) => p.items.includes(before))) plan.phases.unshift({id: 'probes-before', title: 'Probes before the migrations', items: [before]});
	} else {
		// Probes need their before-run and one run after every migration: a subset without them drops them.
		plan['probes'] = [];
		plan['phases'] = plan.phases.map((p) => ({...p, items: p.items.filter((i) => i.kind !== 'probes')})).filter((p) => p.items.length > 0);
	}
	const kept = new Set(plan.phases.flatMap((p) => p.items.map((i) => i.id)));
	// Rollback levels and monitoring refer to items of the whole plan: keep rollbacks only on request, trimmed to the kept items.
	plan['rollback'] = options.keepRollback
		? plan.rollback.map((level) => ({...level, items: level.items.map((i) => (i.reverts ? {...i, reverts: i.reverts.filter((r) => kept.has(r))} : i))}))
		: [];
	plan['monitoring'] = [];
	plan['sqlDir'] = options.sqlDir ?? path.join(ROOT, 'sql');
	if (options.id) plan['id'] = options.id;
	plan['reportVerifications'] = [];
	const dir = options.dir ?? tempDir('plan');
	const file = path.join(dir, 'plan.yaml');
	writeFileSync(file, stringify(plan));
	return file;
}

/** Polls until `check` returns a value (not undefined), or throws after the deadline. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((r) => setTimeout(r, intervalMs));
	}
}

export function journalEvents(stateDir: string): Array<Record<string, unknown>> {
	const file = path.join(stateDir, 'journal.jsonl');
	if (!existsSync(file)) return [];
	return readFileSync(file, 'utf8')
		.split('\n')
		.filter((l) => l.trim())
		.flatMap((l) => {
			try {
				return [JSON.parse(l) as Record<string, unknown>];
			} catch {
				return [];
			}
		});
}
