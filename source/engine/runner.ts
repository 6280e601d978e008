/**
 * The engine: a state machine that walks the plan's items in order, runs each
 * with its executor, records every step in the journal before moving on, and
 * stops to ask the operator where the plan says so (manual items, the GO
 * gate, typed confirmations, failures). Plain TypeScript: no UI imports.
 *
 * A run is composed of named parts: the session (session.ts: lock, working
 * connection, activity poller), reconcile-on-resume (reconcile.ts), the item
 * loop (walk.ts, with the pure gate evaluation of gate.ts), and the Decider
 * that answers the engine's questions (decider.ts: interactive or scripted).
 */
import {randomUUID} from 'node:crypto';
import os from 'node:os';
import {mkdirSync} from 'node:fs';
import type {LoadedPlan} from '../plan/load.js';
import type {Target} from '../db/target.js';
import {redact} from '../db/target.js';
import {StateStore} from '../state/store.js';
import {journalResources} from '../state/resources.js';
import {lookUpClientTools, preflight} from './preflight.js';
import type {Controller} from './controller.js';
import type {RunSettings} from './context.js';
import type {EngineEvent, RunState, RunStatus} from '../state/types.js';
import {UserError, errorMessage} from '../errors.js';
import {summarize, type Rehearsal} from '../rehearsal/file.js';
import {prompter, type DeciderFactory} from './decider.js';
import {operatorControls} from './decide-interactive.js';
import {openSession, releaseConnections, type Session, type SessionConnections} from './session.js';
import {reconcileOnResume, type ResumeInput} from './reconcile.js';
import {Stop, walkPlan} from './walk.js';

export type RunOptions = {
	readonly plan: LoadedPlan;
	readonly target: Target;
	/** Which source chose the target (DATABASE_URL, PG* variables, service NAME, sandbox, …), for the header and the journal. */
	readonly targetSource?: string;
	readonly stateDir: string;
	readonly settings: RunSettings;
	/** Who answers the engine's questions: interactiveDecider() (the TUI, through the Controller) or scriptedDecider(flags). */
	readonly decider: DeciderFactory;
	/** Run only this rollback level (runbook rollback N), not the forward path. */
	readonly rollbackOnly?: {readonly level: number; readonly reason: string};
	readonly onRepair?: (message: string) => void;
	/** A rehearsal to carry into the run: its durations in the timeline, its fingerprint at the gate. */
	readonly rehearsal?: {readonly record: Rehearsal; readonly file: string};
	/** The run's id when the caller made it (a rehearsal names its workspace with it); default: a new one, or the resumed run's. */
	readonly runId?: string;
	/** Resume: the operator's word on what the stopped run left that holds data (default: kept and listed). */
	readonly decideLeftover?: ResumeInput['decideLeftover'];
	/** The run lock and the working connection, already being made (connectSession, while the engine loaded); given back if the run does not start. */
	readonly connections?: Promise<SessionConnections>;
};

/** Opens the state, checks the plan is the one the run started with, and makes the backup directory (exit 2 on any). */
function openState(options: RunOptions): StateStore {
	const {plan, target, settings} = options;
	// A torn last line is cut once the run lock is held (startRun): until then it may be another live run's write.
	const store = StateStore.open({dir: options.stateDir, secrets: [...target.secrets, ...settings.secrets, ...(settings.appToken ? [settings.appToken] : [])], onRepair: options.onRepair, deferRepair: true});
	const prior = store.current;
	if (prior.lastSeq > 0 && prior.planSha256 && prior.planSha256 !== plan.sha256) {
		store.close();
		throw new UserError(
			`The plan file ${plan.file} changed since this run started (sha256 ${prior.planSha256.slice(0, 12)}… then, ${plan.sha256.slice(0, 12)}… now). Resuming against a different plan could skip or repeat items. Restore the plan file as it was, or start over with --fresh (the old state is archived).`,
		);
	}
	try {
		mkdirSync(settings.backupDir, {recursive: true, mode: 0o700});
	} catch (error) {
		store.close();
		throw new UserError(`The backup directory ${settings.backupDir} cannot be created (${(error as NodeJS.ErrnoException).code}). Give a writable directory with --backup-dir.`, {cause: error});
	}
	return store;
}

export async function startRun(options: RunOptions): Promise<Controller> {
	const {plan, target} = options;
	let store: StateStore;
	try {
		store = openState(options);
	} catch (error) {
		if (options.connections) await releaseConnections(options.connections);
		throw error;
	}
	const prior = store.current;
	let session: Session;
	try {
		// Everything the remaining items need, before the first one runs and before the ledger is created (exit 2, one paragraph per problem).
		// The client tools are looked up while the session connects.
		const tools = options.rollbackOnly ? undefined : lookUpClientTools(plan, prior, options.settings, target);
		session = await openSession({
			target,
			planId: plan.plan.id,
			stateDir: options.stateDir,
			...(options.connections ? {connections: options.connections} : {}),
			...(tools ? {beforeLedger: (client) => preflight({plan, target, client, settings: options.settings, state: prior, tools})} : {}),
		});
	} catch (error) {
		store.close();
		throw error;
	}
	// The run lock is held: the journal is this run's to repair.
	store.repair();
	const ask = prompter((waiting) => store.append({type: 'waiting', waiting}));
	const decider = options.decider(ask);
	const runId = prior.runId || options.runId || `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
	store.append({type: 'run-started', runId, planId: plan.plan.id, planTitle: plan.plan.title, planSha256: plan.sha256, target: target.display, ...(options.targetSource ? {targetSource: options.targetSource} : {}), resumed: prior.lastSeq > 0, pid: process.pid, host: os.hostname(), mode: decider.mode});
	if (options.rehearsal) store.append({type: 'data', key: 'rehearsal', value: summarize(options.rehearsal.record, options.rehearsal.file)});

	let quitRequested = false;
	const abort = new AbortController();

	const main = async (): Promise<RunState> => {
		let status: RunStatus = 'completed';
		let message = 'All items of the plan are done.';
		try {
			await reconcileOnResume({plan, target, settings: options.settings, store, client: session.client(), ...(options.decideLeftover ? {decideLeftover: options.decideLeftover} : {})});
			await walkPlan(
				{
					plan,
					target,
					settings: options.settings,
					store,
					session,
					decider,
					runId,
					stateDir: options.stateDir,
					resources: journalResources(store, runId),
					signal: abort.signal,
					quitRequested: () => quitRequested,
					...(options.rehearsal ? {rehearsal: options.rehearsal} : {}),
				},
				options.rollbackOnly,
			);
		} catch (error) {
			if (error instanceof Stop) {
				status = error.status;
				message = error.message;
			} else {
				status = 'failed';
				message = redact(errorMessage(error), target.secrets);
			}
		}
		store.append({type: 'run-stopped', status, message});
		// The state's last write (the snapshot) while the sessions say goodbye.
		const closing = session.close();
		store.close();
		await closing;
		return store.current;
	};
	const done = main();

	return {
		plan,
		target: target.display,
		...(options.targetSource ? {targetSource: options.targetSource} : {}),
		stateDir: options.stateDir,
		state: () => store.current,
		subscribe: (listener: (event: EngineEvent, state: RunState) => void) => store.subscribe(listener),
		activity: session.activity,
		subscribeActivity: session.subscribeActivity,
		...operatorControls(ask, plan, target.database),
		note: (text) => {
			if (!text.trim()) return {ok: false, message: 'An empty note was not recorded.'};
			store.append({type: 'note', text: text.trim(), by: os.userInfo().username});
			return {ok: true, message: 'note recorded'};
		},
		quit: async () => {
			quitRequested = true;
			if (!ask.answer({type: 'quit'})) abort.abort();
			await done;
		},
		done,
	};
}
