/**
 * `runbook cleanup`: what a run created on the server and the disk and did
 * not release (its open resource records, journaled before each thing
 * existed), listed and settled like --resume does (engine/leftovers.ts).
 * What holds data is asked about, or with --yes kept unless named with
 * --drop / --keep. Takes the run lock, so it never touches a live run.
 */
import os from 'node:os';
import path from 'node:path';
import {StateStore, loadState} from '../state/store.js';
import {describeResource, openResources} from '../state/resources.js';
import {askAboutLeftover} from './ask-leftover.js';
import {processAlive, settleLeftovers, type LeftoverOutcome} from '../engine/leftovers.js';
import {acquireRunLock} from '../db/run-lock.js';
import {parseTarget, type Target} from '../db/target.js';
import {humanBytes} from '../backup/human-bytes.js';
import {UserError} from '../errors.js';
import type {CliOptions} from './options.js';
import {loadPlanForCli} from './load-plan.js';
import {locateState} from './status.js';
import {resolveTarget} from './target.js';
import {defaultStateRoot} from '../state/read.js';

function line(o: LeftoverOutcome): string {
	const mark = o.outcome === 'released' ? 'done ' : o.outcome === 'kept' ? 'KEPT ' : 'FAIL ';
	return `${mark} ${describeResource(o.resource, humanBytes)}\n       ${o.how}`;
}

export async function cleanupCommand(options: CliOptions): Promise<number> {
	const plan = await loadPlanForCli(options);
	const dir = locateState(options, plan);
	if (!StateStore.exists(dir)) {
		throw new UserError(`There is no run state in ${dir}, so there is no record of what a run created. Point at the run's state with --state-dir (or give the same --database-url the run used).`);
	}
	const state = loadState(dir).state;
	const all = Object.values(state.resources ?? {});
	const open = openResources(state);
	const named = [...options.drop, ...options.keep];
	const unknown = named.filter((n) => !open.some((r) => r.name === n));
	if (unknown.length > 0) {
		throw new UserError(`--drop/--keep name ${unknown.map((n) => `\`${n}\``).join(', ')}, which ${unknown.length > 1 ? 'are' : 'is'} not among what run ${state.runId} left (${open.map((r) => r.name).join(', ') || 'nothing'}). Give a name exactly as \`runbook cleanup\` lists it. Nothing was done.`);
	}
	const both = options.drop.filter((n) => options.keep.includes(n));
	if (both.length > 0) throw new UserError(`${both.join(', ')} is given to both --drop and --keep: say one. Nothing was done.`);
	process.stdout.write(`run ${state.runId} on ${state.target} (${state.status}): ${all.length} created, ${open.length} not released\n`);
	if (open.length === 0) {
		process.stdout.write('nothing left: every database, file and child process this run created was released\n');
		return 0;
	}
	for (const r of open) process.stdout.write(`  ${describeResource(r, humanBytes)}\n`);
	if (!options.yes && !process.stdin.isTTY && open.some((r) => r.holdsData) && named.length === 0) {
		throw new UserError('Something here holds data and there is no terminal to ask on. Run `runbook cleanup --yes` (it keeps what holds data and lists it), and name what to drop with --drop NAME or to keep and forget with --keep NAME.');
	}
	const settle = async (store: StateStore, target?: Target): Promise<number> => {
		const outcomes = await settleLeftovers(open, {
			...(target ? {target} : {}),
			...(options.testDatabaseUrl ? {testTarget: parseTarget(options.testDatabaseUrl, 'TEST_DATABASE_URL')} : {}),
			release: (id, how) => store.append({type: 'resource-released', id, how, settled: true}),
			update: (id, patch) => store.append({type: 'resource-updated', id, ...patch}),
			decide: async (r) => (options.drop.includes(r.name) ? 'drop' : options.keep.includes(r.name) ? 'forget' : options.yes ? 'keep' : askAboutLeftover(r)),
			log: (text) => process.stdout.write(`${text}\n`),
		});
		process.stdout.write(`\n${outcomes.map(line).join('\n')}\n`);
		const kept = outcomes.filter((o) => o.outcome === 'kept');
		const failed = outcomes.filter((o) => o.outcome === 'unreachable');
		if (kept.length > 0) process.stdout.write(`\n${kept.length} kept because ${kept.length > 1 ? 'they hold' : 'it holds'} data: drop with \`runbook cleanup --yes --drop NAME\`, or keep and stop tracking with --keep NAME.\n`);
		return failed.length > 0 ? 1 : kept.length > 0 ? 3 : 0;
	};
	// Servers, directories and files only (a rehearsal's own journal, say): nothing to connect to; a live owner is told by its pid.
	const needsServer = open.some((r) => r.kind === 'database' || r.kind === 'setting' || (r.kind === 'process' && r.applicationName !== undefined));
	if (!needsServer) {
		if (state.status === 'running' && state.host === os.hostname() && processAlive(state.pid, 'node')) {
			throw new UserError(`Run ${state.runId} is still running (pid ${state.pid} on this host) and keeps what it made. Let it finish or stop it, then run cleanup again. Nothing was done.`);
		}
		const store = StateStore.open({dir, secrets: []});
		try {
			return await settle(store);
		} finally {
			store.close();
		}
	}
	const resolved = await resolveTarget({
		...(options.databaseUrl ? {databaseUrl: options.databaseUrl} : {}),
		planId: plan.plan.id,
		stateRoot: options.stateDir ? path.join(options.stateDir, '.sandbox') : defaultStateRoot(),
		fresh: false,
		scale: options.scale,
		withRedis: false,
	});
	try {
		const target = resolved.target;
		if (state.target && state.target !== target.display) {
			throw new UserError(`The run in ${dir} drove ${state.target}, but the target given now is ${target.display}. Give the run's own --database-url. Nothing was done.`);
		}
		// The run lock: a live run keeps what it made; cleanup only settles a stopped one.
		const lock = await acquireRunLock(target, plan.plan.id);
		const store = StateStore.open({dir, secrets: target.secrets});
		try {
			return await settle(store, target);
		} finally {
			store.close();
			await lock.release();
		}
	} finally {
		await resolved.close();
	}
}
