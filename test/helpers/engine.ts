/**
 * The in-process seam: a test starts the engine core directly (a plan, the
 * run settings, a Decider) against a real database, and drives it through the
 * Controller as the TUI does — no CLI, no terminal, the same code.
 */
import path from 'node:path';
import {writeFileSync} from 'node:fs';
import {stringify} from 'yaml';
import {loadPlan, type LoadedPlan} from '../../source/plan/load.js';
import {ACTION_NAMES} from '../../source/plan/actions.js';
import {startRun, type RunOptions} from '../../source/engine/runner.js';
import type {RunSettings} from '../../source/engine/context.js';
import type {Controller} from '../../source/engine/controller.js';
import type {RunState, Waiting} from '../../source/state/types.js';
import type {TestDatabase} from './db.js';
import {ROOT, tempDir} from './cli.js';
import {DEFAULT_LOCK_TIMEOUT_MS} from '../../source/db/lock-timeout.js';

/** Writes a plan (as data) to a file and loads it as the CLI does: the file is also what `runbook --plan` takes. */
export function writePlan(plan: Record<string, unknown>, dir = tempDir('plan')): {file: string; loaded: LoadedPlan} {
	const file = path.join(dir, 'plan.yaml');
	writeFileSync(file, stringify({sqlDir: path.join(ROOT, 'sql'), ...plan}));
	return {file, loaded: loadPlan(file, {actions: ACTION_NAMES})};
}

/** The settings a run on a test database gets (what buildSettings gives for no flags). */
export function testSettings(stateDir: string, overrides: Partial<RunSettings> = {}): RunSettings {
	return {
		backupDir: path.join(stateDir, 'backups'),
		backupFormat: 'custom',
		compressLevel: 1,
		lockTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS,
		statementTimeoutMs: 0,
		lockRetries: 0,
		retryDelayMs: 100,
		env: {},
		options: {},
		binaries: {psql: 'psql', pgDump: 'pg_dump', pgRestore: 'pg_restore'},
		sandbox: false,
		trafficSampleMs: 0,
		secrets: [],
		...overrides,
	};
}

/** Starts the engine on the test database with a Decider of the test's choice. */
export async function startEngine(db: TestDatabase, plan: LoadedPlan, options: Pick<RunOptions, 'decider'> & Partial<RunOptions> & {stateDir?: string}): Promise<Controller> {
	const stateDir = options.stateDir ?? tempDir('engine');
	return startRun({plan, target: db.target, stateDir, settings: testSettings(stateDir), ...options});
}

/** Resolves with the run state once `check` holds (checked now, then after every journaled event). */
export function until(controller: Controller, check: (state: RunState) => boolean, what: string, timeoutMs = 60_000): Promise<RunState> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			stop();
			reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (status ${controller.state().status}, waiting ${controller.state().waiting?.itemId ?? 'none'})`));
		}, timeoutMs);
		const finish = (state: RunState) => {
			clearTimeout(timer);
			stop();
			resolve(state);
		};
		const stop = controller.subscribe((_event, state) => {
			if (check(state)) finish(state);
		});
		if (check(controller.state())) finish(controller.state());
		void controller.done.then((state) => {
			if (check(state)) finish(state);
		});
	});
}

/** Waits until the run asks the operator about `itemId`, and returns the question. */
export async function waitingAt(controller: Controller, itemId: string): Promise<Waiting> {
	const state = await until(controller, (s) => s.waiting?.itemId === itemId, `a question about ${itemId}`);
	return state.waiting!;
}
