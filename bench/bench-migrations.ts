/**
 * Part 1: the three 006 migrations, their verification queries and the
 * application's probes (before the first migration and after each) through
 * `runbook run --yes` (a plan with only Steps 1–3) against the same SQL
 * through raw psql, on fresh clones of the same database, alternated.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {readJournal} from '../source/state/store.js';
import {runChild} from '../source/proc/child.js';
import {APP_ROLE} from '../source/sandbox/data.js';
import {resolveProject, DEFAULT_PROJECT_RULE} from '../source/railway/project.js';
import {withClient} from '../source/db/connect.js';
import type {BenchContext, BenchDatabase} from './context.js';
import {writeMigrationPlan, verificationScript, probesScript, optionVariable, type MigrationPlan} from './bench-plan.js';
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

/** The lock_timeout the run chose (or was given), from its journal. */
export function journalLockTimeoutMs(stateDir: string): number {
	const event = readJournal(stateDir).events.findLast((e) => e.type === 'data' && e.key === 'lock-timeout');
	const ms = event?.type === 'data' ? (event.value as {lockTimeoutMs?: unknown} | null)?.lockTimeoutMs : undefined;
	if (typeof ms !== 'number') throw new Error(`bench: the journal in ${stateDir} does not record the run's lock_timeout`);
	return ms;
}

export async function runbookMigrations(ctx: BenchContext, plan: MigrationPlan, db: BenchDatabase, extraArgs: readonly string[] = []): Promise<{wallMs: number; spanMs: number; lockTimeouts: number; lockTimeoutMs: number}> {
	const stateDir = ctx.tempDir('state');
	const run = await runCli(['run', '--yes', '--plan', plan.file, '--state-dir', stateDir, '--app-role', APP_ROLE, ...extraArgs], db.url, {XDG_CACHE_HOME: ctx.cacheDir});
	assertExit(run, 'runbook run --yes (Steps 1–3)');
	return {wallMs: run.wallMs, spanMs: journalSpanMs(stateDir, plan.firstItem, plan.lastItem), lockTimeouts: journalLockTimeouts(stateDir), lockTimeoutMs: journalLockTimeoutMs(stateDir)};
}

/** psql's -v arguments: the probes' literal values, and the project the runbook resolves by the plan's rule (as the option its probes bind). */
function variableArgs(variables: Readonly<Record<string, string>>): string[] {
	return Object.entries(variables).flatMap(([name, value]) => ['-v', `${name}=${value}`]);
}

/** The same files through psql, each in one transaction, the probes before, each step's checks and probes in one psql session. */
export async function psqlMigrations(ctx: BenchContext, plan: MigrationPlan, db: BenchDatabase, dir: string): Promise<{wallMs: number}> {
	const project = await withClient(db.target, 'bench', (client) => resolveProject(client, DEFAULT_PROJECT_RULE));
	if (!project.ok) throw new Error(`bench: the project rule finds no single project: ${project.message}`);
	const options: Record<string, string> = {'project-ref': project.project.ref};
	const option = Object.fromEntries(Object.entries(options).map(([name, value]) => [optionVariable(name), value]));
	const write = (name: string, text: string) => {
		const file = path.join(dir, name);
		writeFileSync(file, text);
		return file;
	};
	const before = probesScript(plan.probesBefore, APP_ROLE, 'before');
	const beforeFile = write('probes-before.sql', before.script);
	const scripts = plan.steps.map((step, i) => {
		const checks = verificationScript(step.queries, APP_ROLE, `step${i + 1}`);
		const probes = probesScript(step.probes, APP_ROLE, `step${i + 1}`);
		return {file: write(`verify-step${i + 1}.sql`, `${checks.script}\n${probes.script}\n`), variables: {...checks.variables, ...probes.variables}};
	});
	const env = db.target.childEnv();
	const started = performance.now();
	const probed = await runChild({file: 'psql', args: ['-X', '-v', 'ON_ERROR_STOP=1', ...variableArgs({...option, ...before.variables}), '-f', beforeFile], env});
	if (probed.exitCode !== 0) throw new Error(`psql probes before the migrations failed:\n${probed.tail.map((l) => l.line).join('\n')}`);
	for (const [i, step] of plan.steps.entries()) {
		const vars = Object.fromEntries(Object.entries(step.vars).map(([name, opt]) => [name, options[opt] ?? '']));
		const apply = await runChild({file: 'psql', args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...variableArgs(vars), '--single-transaction', '-f', step.file], env});
		if (apply.exitCode !== 0) throw new Error(`psql -f ${step.file} failed:\n${apply.tail.map((l) => l.line).join('\n')}`);
		const verify = await runChild({file: 'psql', args: ['-X', '-v', 'ON_ERROR_STOP=1', ...variableArgs({...option, ...scripts[i]!.variables}), '-f', scripts[i]!.file], env});
		if (verify.exitCode !== 0) throw new Error(`psql verification of step ${i + 1} failed:\n${verify.tail.map((l) => l.line).join('\n')}`);
	}
	return {wallMs: performance.now() - started};
}

export async function benchMigrations(ctx: BenchContext, rounds = 3): Promise<Figure[]> {
	const dir = ctx.tempDir('migrations');
	const plan = writeMigrationPlan(dir);
	const runbook: Array<{wallMs: number; spanMs: number}> = [];
	const psql: number[] = [];
	// One untimed round of each first, as part 2 does: the first run of a plan validates it (the bench's own, empty
	// XDG_CACHE_HOME), which a run in the window does not (the plan was validated and rehearsed before), and both
	// sides' binaries and files come from a warm page cache.
	ctx.log('  warm-up round (untimed): runbook, then psql');
	await runbookMigrations(ctx, plan, await ctx.cloneDatabase('mig_warm_rb'));
	await psqlMigrations(ctx, plan, await ctx.cloneDatabase('mig_warm_psql'), dir);
	for (let r = 0; r < rounds; r++) {
		ctx.log(`  round ${r + 1}/${rounds}: runbook, then psql`);
		runbook.push(await runbookMigrations(ctx, plan, await ctx.cloneDatabase('mig_rb')));
		psql.push((await psqlMigrations(ctx, plan, await ctx.cloneDatabase('mig_psql'), dir)).wallMs);
	}
	const rbWall = median(runbook.map((r) => r.wallMs));
	const rbSpan = median(runbook.map((r) => r.spanMs));
	const psqlWall = median(psql);
	const queries = plan.steps.reduce((n, s) => n + s.queries.length, 0);
	const probes = plan.probesBefore.length + plan.steps.reduce((n, s) => n + s.probes.length, 0);
	const what = `${plan.steps.length} migration files + ${queries} verification queries + ${probes} probe runs (as the application role, rolled back); median of ${rounds} alternated runs on fresh clones, after one untimed round of each (plan validation cache and page cache warm)`;
	return [
		bound({id: 'migrations.process-ratio', section: '1 migrations', name: 'runbook run --yes (whole process) vs raw psql, wall time', value: round(rbWall / psqlWall), unit: '×', max: 1.3, detail: `${what}; runbook ${Math.round(rbWall)} ms (process start, plan load, run lock, ledger, journal fsyncs included) vs psql ${Math.round(psqlWall)} ms (${1 + plan.steps.length * 2} psql processes)`}),
		bound({id: 'migrations.span-ratio', section: '1 migrations', name: `runbook journal span (${plan.firstItem} started → ${plan.lastItem} passed) vs raw psql`, value: round(rbSpan / psqlWall), unit: '×', max: 1.2, detail: `span ${Math.round(rbSpan)} ms vs psql ${Math.round(psqlWall)} ms; the span leaves out node start-up and connecting`}),
		info({id: 'migrations.runbook-ms', section: '1 migrations', name: 'runbook wall time (median)', value: Math.round(rbWall), unit: 'ms', detail: `runs: ${runbook.map((r) => Math.round(r.wallMs)).join(', ')} ms`}),
		info({id: 'migrations.psql-ms', section: '1 migrations', name: 'raw psql wall time (median)', value: Math.round(psqlWall), unit: 'ms', detail: `runs: ${psql.map((v) => Math.round(v)).join(', ')} ms`}),
	];
}
