/**
 * Part 1: the three 006 migrations and their verification queries through
 * `runbook run --yes` (a plan with only Steps 1–3) against the same SQL
 * through raw psql, on fresh clones of the same database, alternated.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {readJournal} from '../source/state/store.js';
import {runChild} from '../source/proc/child.js';
import {APP_ROLE} from '../source/sandbox/data.js';
import type {BenchContext, BenchDatabase} from './context.js';
import {writeMigrationPlan, verificationScript, type MigrationPlan} from './bench-plan.js';
import {runCli, assertExit} from './run-cli.js';
import {bound, info, type Figure} from './results.js';
import {median, round} from './stats.js';

/** item-started of the first item to item-passed of the last one, from the journal. */
export function journalSpanMs(stateDir: string, firstItem: string, lastItem: string): number {
	const {events} = readJournal(stateDir);
	const start = events.find((e) => e.type === 'item-started' && e.itemId === firstItem);
	const end = events.findLast((e) => e.type === 'item-passed' && e.itemId === lastItem);
	if (!start || !end) throw new Error(`bench: the journal in ${stateDir} lacks ${firstItem} started or ${lastItem} passed`);
	return Date.parse(end.at) - Date.parse(start.at);
}

/** Lock timeouts met (and retried) by the migrations, from their evidence. */
export function journalLockTimeouts(stateDir: string): number {
	let total = 0;
	for (const e of readJournal(stateDir).events) {
		if (e.type !== 'item-passed') continue;
		const n = e.evidence.details?.['lockTimeouts'];
		if (typeof n === 'number') total += n;
	}
	return total;
}

export async function runbookMigrations(ctx: BenchContext, plan: MigrationPlan, db: BenchDatabase, extraArgs: readonly string[] = []): Promise<{wallMs: number; spanMs: number; lockTimeouts: number}> {
	const stateDir = ctx.tempDir('state');
	const run = await runCli(['run', '--yes', '--plan', plan.file, '--state-dir', stateDir, '--app-role', APP_ROLE, ...extraArgs], db.url);
	assertExit(run, 'runbook run --yes (Steps 1–3)');
	return {wallMs: run.wallMs, spanMs: journalSpanMs(stateDir, plan.firstItem, plan.lastItem), lockTimeouts: journalLockTimeouts(stateDir)};
}

/** The same files through psql, each in one transaction, each step's checks in one psql session; optionally no lock_timeout at all. */
export async function psqlMigrations(ctx: BenchContext, plan: MigrationPlan, db: BenchDatabase, dir: string): Promise<{wallMs: number}> {
	const scripts = plan.steps.map((step, i) => {
		const file = path.join(dir, `verify-step${i + 1}.sql`);
		writeFileSync(file, verificationScript(step.queries, APP_ROLE));
		return file;
	});
	const env = db.target.childEnv();
	const started = performance.now();
	for (const [i, step] of plan.steps.entries()) {
		const apply = await runChild({file: 'psql', args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', step.file], env});
		if (apply.exitCode !== 0) throw new Error(`psql -f ${step.file} failed:\n${apply.tail.map((l) => l.line).join('\n')}`);
		const verify = await runChild({file: 'psql', args: ['-X', '-v', 'ON_ERROR_STOP=1', '-f', scripts[i]!], env});
		if (verify.exitCode !== 0) throw new Error(`psql verification of step ${i + 1} failed:\n${verify.tail.map((l) => l.line).join('\n')}`);
	}
	return {wallMs: performance.now() - started};
}

export async function benchMigrations(ctx: BenchContext, rounds = 3): Promise<Figure[]> {
	const dir = ctx.tempDir('migrations');
	const plan = writeMigrationPlan(dir);
	const runbook: Array<{wallMs: number; spanMs: number}> = [];
	const psql: number[] = [];
	for (let r = 0; r < rounds; r++) {
		ctx.log(`  round ${r + 1}/${rounds}: runbook, then psql`);
		runbook.push(await runbookMigrations(ctx, plan, await ctx.cloneDatabase('mig_rb')));
		psql.push((await psqlMigrations(ctx, plan, await ctx.cloneDatabase('mig_psql'), dir)).wallMs);
	}
	const rbWall = median(runbook.map((r) => r.wallMs));
	const rbSpan = median(runbook.map((r) => r.spanMs));
	const psqlWall = median(psql);
	const queries = plan.steps.reduce((n, s) => n + s.queries.length, 0);
	const what = `3 migration files + ${queries} verification queries; median of ${rounds} alternated runs on fresh clones`;
	return [
		bound({id: 'migrations.process-ratio', section: '1 migrations', name: 'runbook run --yes (whole process) vs raw psql, wall time', value: round(rbWall / psqlWall), unit: '×', max: 1.3, detail: `${what}; runbook ${Math.round(rbWall)} ms (process start, plan load, run lock, ledger, journal fsyncs included) vs psql ${Math.round(psqlWall)} ms (6 psql processes)`}),
		bound({id: 'migrations.span-ratio', section: '1 migrations', name: 'runbook journal span (step1.apply started → last check passed) vs raw psql', value: round(rbSpan / psqlWall), unit: '×', max: 1.3, detail: `span ${Math.round(rbSpan)} ms vs psql ${Math.round(psqlWall)} ms; the span leaves out node start-up and connecting`}),
		info({id: 'migrations.runbook-ms', section: '1 migrations', name: 'runbook wall time (median)', value: Math.round(rbWall), unit: 'ms', detail: `runs: ${runbook.map((r) => Math.round(r.wallMs)).join(', ')} ms`}),
		info({id: 'migrations.psql-ms', section: '1 migrations', name: 'raw psql wall time (median)', value: Math.round(psqlWall), unit: 'ms', detail: `runs: ${psql.map((v) => Math.round(v)).join(', ')} ms`}),
	];
}
