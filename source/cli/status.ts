/**
 * Read-only commands over a state directory: `status` (plain text once, for
 * scripts and chat), `watch` (the TUI's panes, live, no lock, cannot act) and
 * `report` (the post-migration report, Markdown).
 */
import {existsSync} from 'node:fs';
import {readState, defaultStateRoot, stateDirFor} from '../state/read.js';
import {describeTarget, givenSourceOf} from '../db/resolve.js';
import type {LoadedPlan} from '../plan/load.js';
import type {RunState} from '../state/types.js';
import {runProgress, tClock, timelineRows} from '../state/timeline.js';
import {UserError} from '../errors.js';
import type {CliOptions} from './options.js';
import {loadPlanForCli} from './load-plan.js';
import {buildReport, buildReportInput} from '../report/from-state.js';
import {redactDeep} from '../db/redact-deep.js';
import {sortedSecrets} from '../report/notification.js';
import {reportJson, serverStatusJson, statusJson, writeJson} from './json.js';
import {readServerStatus, serverStatusText} from './server-status.js';
import {namedTarget} from './target.js';
import {requireTerminal} from './terminal.js';
import {countRun, countsLine, probeLines, probesData, runOf} from '../probes/summary.js';
import {describeResource, openResources} from '../state/resources.js';
import {humanBytes} from '../backup/human-bytes.js';
import {fit, formatShortDuration} from '../text.js';

export function locateState(options: CliOptions, plan: LoadedPlan): string {
	if (options.stateDir) return options.stateDir;
	const key = describeTarget(options.databaseUrl, process.env, givenSourceOf(options.databaseUrl, process.env))?.display ?? 'sandbox';
	return stateDirFor(defaultStateRoot(), plan.plan.id, key);
}

const MARK: Record<string, string> = {pending: '[ ]', running: '[>]', waiting: '[?]', passed: '[x]', failed: '[!]', skipped: '[-]'};

export function statusText(plan: LoadedPlan, state: RunState, now = Date.now()): string[] {
	const lines: string[] = [];
	const progress = runProgress(plan.plan, state);
	const clock = tClock(plan.plan, state, now);
	lines.push(`${plan.plan.title}`);
	lines.push(`target ${state.target}   status ${state.status}${state.statusMessage ? ` (${state.statusMessage})` : ''}`);
	lines.push(`progress ${progress.done}/${progress.total}   passed ${progress.passed}, failed ${progress.failed}, skipped ${progress.skipped}   ${clock.label}${clock.scheduleLabel ? ` (${clock.scheduleLabel})` : ''}   run ${state.runId}`);
	const lastProbes = probesData(state.data).runs.at(-1);
	if (lastProbes) lines.push(`probes (${lastProbes.itemId}) ${countsLine(countRun(plan.plan.probes.length, lastProbes), lastProbes)}`);
	if (state.waiting) lines.push(`WAITING at ${state.waiting.itemId}: ${state.waiting.prompt}`);
	for (const phase of plan.plan.phases) {
		lines.push('');
		lines.push(phase.title);
		for (const item of phase.items) {
			const s = state.items[item.id];
			const status = s?.status ?? 'pending';
			const duration = s?.evidence ? ` (${formatShortDuration(s.evidence.durationMs)})` : '';
			lines.push(`  ${MARK[status]} ${item.id}  ${item.title}${duration}`);
			if (status === 'failed' && s?.error) lines.push(`        ${s.error}${s.matrixRow ? ` [decision matrix: ${s.matrixRow}]` : ''}`);
			if (status === 'skipped' && s?.skipReason) lines.push(`        skipped: ${s.skipReason}`);
			if (status === 'running' && s?.progress) lines.push(`        ${s.progress}`);
			const probes = item.kind === 'probes' ? runOf(state.data, item.id) : undefined;
			if (probes) {
				lines.push(`        ${countsLine(countRun(plan.plan.probes.length, probes), probes)}`);
				// Every probe that changed, and the readiness probes (what a pending migration still waits for).
				for (const l of probeLines(plan.plan.probes, probes).filter((l) => /^ {2}(✗|NOT READY|ready)/.test(l))) lines.push(`      ${l}`);
			}
		}
	}
	const left = openResources(state);
	if (left.length > 0) {
		lines.push('', 'Created by this run and still there (runbook cleanup lists and removes them)');
		for (const r of left) lines.push(`  ${describeResource(r, humanBytes)}`);
	}
	const rollbackItems = plan.plan.rollback.flatMap((l) => l.items).filter((i) => state.items[i.id]);
	if (rollbackItems.length > 0) {
		lines.push('', 'Rollback');
		for (const item of rollbackItems) lines.push(`  ${MARK[state.items[item.id]!.status]} ${item.id}  ${item.title}`);
	}
	const comparison = state.data['baseline-comparison'];
	if (comparison) lines.push('', 'Baseline before/after', ...comparison.table);
	lines.push('', 'Timeline (planned vs actual)');
	for (const row of timelineRows(plan.plan, state, now)) {
		const expected = row.rehearsedDurationMs === undefined ? `plan ${row.duration ?? '-'}` : `rehearsed ${formatShortDuration(row.rehearsedDurationMs)} (plan ${row.duration ?? '-'})`;
		lines.push(`  T${row.at.startsWith('-') || row.at.startsWith('+') ? row.at : `+${row.at}`}  ${fit(row.activity, 40, '')} ${row.status.padEnd(8)} ${expected}${row.actualDurationMs === undefined ? '' : `, actual ${formatShortDuration(row.actualDurationMs)}`}`);
	}
	if (state.notes.length > 0) {
		lines.push('', 'Notes');
		for (const n of state.notes) lines.push(`  ${n.at.slice(11, 19)} ${n.text}`);
	}
	return lines;
}

function requireState(dir: string): {state: RunState} {
	if (!existsSync(dir)) {
		throw new UserError(`There is no run state in ${dir}. Start a run first (runbook), point at its state with --state-dir, or name the database (--database-url or DATABASE_URL) to read its ledger.`);
	}
	const {state} = readState(dir);
	if (state.lastSeq === 0) throw new UserError(`The state directory ${dir} holds no journal yet. Start a run first, or point at another with --state-dir.`);
	return {state};
}

/** The run's state when the directory holds a journal, read once. */
function stateIn(dir: string): RunState | undefined {
	if (!existsSync(dir)) return undefined;
	const {state} = readState(dir);
	return state.lastSeq > 0 ? state : undefined;
}

export async function statusCommand(options: CliOptions): Promise<number> {
	const plan = await loadPlanForCli(options);
	const dir = locateState(options, plan);
	const target = await namedTarget(options);
	const local = stateIn(dir);
	if (!local && target) {
		// No local state (another machine, a colleague's run): the server's ledger says what was applied.
		const status = await readServerStatus(plan, target);
		if (options.json) writeJson(serverStatusJson(status));
		else process.stdout.write(`${serverStatusText(plan, status).join('\n')}\n`);
		return 0;
	}
	const state = local ?? requireState(dir).state;
	if (options.json) writeJson(statusJson(plan, state));
	else process.stdout.write(`${statusText(plan, state).join('\n')}\n`);
	return 0;
}

export async function reportCommand(options: CliOptions): Promise<number> {
	const plan = await loadPlanForCli(options);
	const dir = locateState(options, plan);
	const {state} = requireState(dir);
	const secrets = [...(describeTarget(options.databaseUrl, process.env, givenSourceOf(options.databaseUrl, process.env))?.secrets ?? [])];
	for (const name of ['REDIS_URL', 'REDIS_PUBLIC_URL', 'MONGODB_URL', 'MONGO_URL', 'APP_TOKEN']) if (process.env[name]) secrets.push(process.env[name]!);
	if (options.json) {
		const {secrets: _kept, ...input} = redactDeep(buildReportInput({plan, state, secrets, final: true}), sortedSecrets(secrets));
		writeJson(reportJson(input));
	} else process.stdout.write(await buildReport({plan, state, secrets, final: true}));
	return 0;
}

export async function watchCommand(options: CliOptions): Promise<number> {
	requireTerminal('`runbook watch`', 'Without a terminal use `runbook status` (the same panes as text, once) or `runbook status --json`, and repeat it (`watch -n 5 runbook status`) for a live view.');
	const plan = await loadPlanForCli(options);
	const dir = locateState(options, plan);
	const {createWatchSource} = await import('../ui/watch-source.js');
	const {runTui} = await import('../ui/render.js');
	const watch = createWatchSource(dir, plan);
	await runTui({watch, ascii: options.ascii});
	return 0;
}
