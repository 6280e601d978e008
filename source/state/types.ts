import type {ResourceRecord} from './resources.js';
import type {DataEntry, RunData} from './data.js';

/**
 * The run's vocabulary: item statuses, evidence, events and the run state.
 * The engine writes the events, state/reduce.ts folds them into the state, and
 * every renderer (TUI, plain lines, watch, status, report) reads only these.
 * Everything here is JSON-serialisable: events go to the journal as they are.
 */

export type ItemStatus = 'pending' | 'running' | 'waiting' | 'passed' | 'failed' | 'skipped';

export type Evidence = {
	/** What ran, masked: a command line, a query, a file. */
	readonly command?: string;
	readonly exitCode?: number;
	/** The last lines of output. */
	readonly outputTail?: readonly string[];
	readonly expected?: string;
	readonly actual?: string;
	readonly startedAt: string;
	readonly endedAt: string;
	readonly durationMs: number;
	/** Kind-specific structured facts (backup file and checksum, baseline stats, …). */
	readonly details?: Record<string, unknown>;
};

export type WaitReason =
	/** A manual item: the operator confirms it (Enter, or --confirm). */
	| 'confirm'
	/** The GO gate: the operator types the word. */
	| 'gate'
	/** An irreversible item: the operator types the database name or "yes". */
	| 'typed-confirm'
	/** A failed item: retry, skip with a reason, roll back, or quit. */
	| 'failed';

export type Waiting = {
	readonly itemId: string;
	readonly reason: WaitReason;
	readonly prompt: string;
	/** What must be typed, when typing is required. */
	readonly expectText?: string;
	/** For gates: each condition with whether it holds and why. */
	readonly conditions?: readonly GateConditionState[];
};

export type GateConditionState = {
	readonly id: string;
	readonly text: string;
	readonly side: 'go' | 'no-go';
	/** For GO: the condition holds. For NO-GO: the stop condition is present. */
	readonly holds: boolean;
	readonly evidence: string;
	readonly attest: boolean;
	/** Shown at the gate but never blocks GO (e.g. "not rehearsed", a table with live writes). */
	readonly warning?: boolean;
};

export type EventBase = {readonly seq: number; readonly at: string};

export type EngineEvent = EventBase &
	(
		| {readonly type: 'run-started'; readonly runId: string; readonly planId: string; readonly planTitle: string; readonly planSha256: string; readonly target: string; readonly targetSource?: string; readonly resumed: boolean; readonly pid: number; readonly host: string; readonly mode: 'interactive' | 'yes'}
		| {readonly type: 'item-started'; readonly itemId: string; readonly attempt: number; readonly executionId: string; readonly command?: string}
		| {readonly type: 'output'; readonly itemId: string; readonly stream: 'stdout' | 'stderr' | 'info'; readonly line: string}
		| {readonly type: 'progress'; readonly itemId: string; readonly message: string; readonly fraction?: number}
		| {readonly type: 'waiting'; readonly waiting: Waiting}
		| {readonly type: 'item-passed'; readonly itemId: string; readonly evidence: Evidence; readonly note?: string}
		| {readonly type: 'item-failed'; readonly itemId: string; readonly error: string; readonly evidence: Evidence; readonly matrixRow?: string}
		| {readonly type: 'item-skipped'; readonly itemId: string; readonly reason: string; readonly by: 'operator' | 'condition'}
		| {readonly type: 'item-reset'; readonly itemId: string; readonly reason: string}
		| ({readonly type: 'data'} & DataEntry)
		| {readonly type: 'note'; readonly text: string; readonly by?: string}
		| {readonly type: 'rollback-started'; readonly level: number; readonly reason: string}
		| {readonly type: 'run-stopped'; readonly status: RunStatus; readonly message: string}
		/** Something the run is about to create (journaled before it exists): see proc/resource.ts. */
		| {readonly type: 'resource-registered'; readonly resource: Omit<ResourceRecord, 'registeredAt' | 'status'>}
		| {readonly type: 'resource-updated'; readonly id: string; readonly pid?: number; readonly bytes?: number; readonly detail?: string}
		| {readonly type: 'resource-released'; readonly id: string; readonly how: string; /** Released by --resume or cleanup (a leftover of a stopped run), not by the code that made it. */ readonly settled?: boolean}
	);

export type EngineEventInput = EngineEvent extends infer E ? (E extends EngineEvent ? Omit<E, 'seq' | 'at'> : never) : never;

export type RunStatus = 'running' | 'completed' | 'failed' | 'stopped-at-gate' | 'no-go' | 'interrupted' | 'quit' | 'rolled-back';

export type ItemState = {
	readonly status: ItemStatus;
	readonly attempts: number;
	readonly executionId?: string;
	readonly startedAt?: string;
	readonly endedAt?: string;
	readonly evidence?: Evidence;
	readonly error?: string;
	readonly matrixRow?: string;
	readonly skipReason?: string;
	readonly note?: string;
	/** The last lines of live output (bounded). */
	readonly liveTail?: readonly string[];
	readonly progress?: string;
};

export type RunState = {
	readonly version: 1;
	readonly runId: string;
	readonly planId: string;
	readonly planTitle: string;
	readonly planSha256: string;
	readonly target: string;
	/** Which source chose the target (DATABASE_URL, PG* variables, service NAME, sandbox, …). */
	readonly targetSource?: string;
	readonly startedAt: string;
	readonly updatedAt: string;
	readonly status: RunStatus;
	readonly statusMessage?: string;
	readonly pid: number;
	readonly host: string;
	readonly lastSeq: number;
	readonly currentItem?: string;
	readonly waiting?: Waiting;
	readonly items: Readonly<Record<string, ItemState>>;
	readonly data: RunData;
	readonly notes: ReadonlyArray<{readonly at: string; readonly text: string; readonly by?: string}>;
	readonly rollbacks: ReadonlyArray<{readonly at: string; readonly level: number; readonly reason: string}>;
	/** Everything the run created on the server or the disk, by id; open ones are not released yet (absent in older states). */
	readonly resources?: Readonly<Record<string, ResourceRecord>>;
	/** In the snapshot only: the journal's length in bytes when the snapshot was written (where a reader continues). */
	readonly journalBytes?: number;
};

export const LIVE_TAIL_LINES = 12;

/** How a rehearsal records a manual item: nobody confirmed it, the rehearsal went on (the rehearsal record lists them). */
export const REHEARSED_MANUAL = 'rehearsed, confirmed automatically';
