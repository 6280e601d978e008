/**
 * What a renderer may ask of a run. The TUI, `run --yes` and the tests drive
 * the engine only through this; none of them runs SQL or child processes.
 * Every action answers with `{ok, message}`: a refusal (skipping a migration,
 * a wrong typed word) is an answer, not an exception.
 */
import type {LoadedPlan} from '../plan/load.js';
import type {EngineEvent, RunState} from '../state/types.js';
import type {DbActivity} from '../db/activity.js';

export type ActionResult = {readonly ok: boolean; readonly message: string};


export type Controller = {
	readonly plan: LoadedPlan;
	/** Target as user@host:port/db (never a password). */
	readonly target: string;
	/** Which source chose the target (DATABASE_URL, PG* variables, service NAME, sandbox, …). */
	readonly targetSource?: string;
	readonly stateDir: string;
	readonly state: () => RunState;
	readonly subscribe: (listener: (event: EngineEvent, state: RunState) => void) => () => void;
	readonly activity: () => DbActivity | undefined;
	readonly subscribeActivity: (listener: (activity: DbActivity) => void) => () => void;
	/** Confirms the waiting item: Enter for a manual item; the typed word for a gate or an irreversible item. */
	readonly confirm: (itemId: string, typed?: string) => ActionResult;
	/** Skips the waiting or failed item with a reason (refused for gates and migrations). */
	readonly skip: (itemId: string, reason: string) => ActionResult;
	/** Runs a failed item again. */
	readonly retry: (itemId: string) => ActionResult;
	/** Starts rollback level 1–3; levels 2 and 3 need the database name typed. */
	readonly rollback: (level: number, reason: string, typed?: string) => ActionResult;
	/** Adds an operator note to the journal. */
	readonly note: (text: string) => ActionResult;
	/** Stops after the current step with the state kept (`--resume` continues). */
	readonly quit: () => Promise<void>;
	/** Resolves when the run has stopped (completed, failed, quit, …). */
	readonly done: Promise<RunState>;
};
