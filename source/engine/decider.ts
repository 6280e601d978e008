/**
 * The Decider port: every question the engine asks the operator goes through
 * it, and only it. Two implementations: `interactiveDecider` (the operator at
 * the TUI answers through the Controller) and `scriptedDecider` (the answers
 * were given up front: --confirm, --go, --confirm-database). The engine never
 * asks which one it has; the rules both apply live in plan/rules.ts.
 */
import type {GateItem, Item, RollbackLevel} from '../plan/schema.js';
import type {ConfirmKind} from '../plan/rules.js';
import type {GateConditionState, RunStatus, Waiting} from '../state/types.js';

export type RunMode = 'interactive' | 'yes';

export type Confirmed = {readonly type: 'confirmed'; /** How it was confirmed, for the evidence. */ readonly how: string};
export type Skip = {readonly type: 'skip'; readonly reason: string};
export type Retry = {readonly type: 'retry'};
export type Quit = {readonly type: 'quit'};
export type Rollback = {readonly type: 'rollback'; readonly level: number; readonly reason: string};
/** No answer was given for this question (a scripted run without the flag): the run stops here. */
export type Stop = {
	readonly type: 'stop';
	readonly status: RunStatus;
	readonly message: string;
	/** For a gate: what the item's failure records (its error and evidence). */
	readonly failure?: {readonly error: string; readonly actual: string};
};

export type Question = {readonly item: Item; readonly prompt: string};
export type TypedQuestion = Question & {readonly kind: ConfirmKind; readonly word: string};

export type Decider = {
	/** Journaled with the run (run-started): who answers. */
	readonly mode: RunMode;
	/** A manual item, or a check that is not configured: was it done by hand? */
	readonly manual: (q: Question) => Promise<Confirmed | Skip | Rollback | Quit | Stop>;
	/** An irreversible item: its typed word. */
	readonly irreversible: (q: TypedQuestion) => Promise<Confirmed | Skip | Rollback | Quit | Stop>;
	/** Before a migration runs (--step stops here; otherwise it proceeds). */
	readonly beforeMigration: (q: Question) => Promise<Confirmed | Rollback | Quit>;
	/** The GO gate, with its conditions as they stand before the operator attests. */
	readonly gate: (q: {readonly gate: GateItem; readonly prompt: string; readonly conditions: readonly GateConditionState[]}) => Promise<Confirmed | Quit | Stop>;
	/** A failed item: retry, skip, roll back, or quit. */
	readonly failed: (q: Question & {readonly error: string}) => Promise<Retry | Skip | Rollback | Quit | Stop>;
	/** `runbook rollback N`: start this level (its typed word)? */
	readonly startRollback: (q: {readonly level: RollbackLevel; readonly prompt: string; readonly kind: ConfirmKind; readonly word: string}) => Promise<Confirmed | Stop>;
};

/** What the operator answers at a prompt (through the Controller). */
export type Decision =
	| {readonly type: 'confirm'; readonly typed?: string}
	| Skip
	| Retry
	| Quit
	| Rollback;

/**
 * Where a waiting question meets the operator's answer: the engine journals
 * the question and waits; the Controller answers it. At most one is pending.
 */
export type Prompter = {
	readonly ask: (waiting: Waiting) => Promise<Decision>;
	/** The question waiting for an answer, if any. */
	readonly waiting: () => Waiting | undefined;
	/** Answers the waiting question; false when none waits. */
	readonly answer: (decision: Decision) => boolean;
};

export function prompter(journal: (waiting: Waiting) => void): Prompter {
	let pending: {waiting: Waiting; resolve: (d: Decision) => void} | undefined;
	return {
		ask: (waiting) => {
			journal(waiting);
			return new Promise((resolve) => {
				pending = {waiting, resolve};
			});
		},
		waiting: () => pending?.waiting,
		answer: (decision) => {
			const p = pending;
			pending = undefined;
			p?.resolve(decision);
			return p !== undefined;
		},
	};
}

/** How a Decider is made for a run: the engine hands it the run's prompter. */
export type DeciderFactory = (prompter: Prompter) => Decider;
