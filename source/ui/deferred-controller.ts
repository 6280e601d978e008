/**
 * A Controller for the moments before the run exists: the TUI draws its first
 * frame from the plan and the state on disk (the snapshot) while the runbook
 * connects, takes the run lock and opens the journal. Until `attach` hands it
 * the real Controller it shows that state, refuses every action (nothing can
 * be confirmed before the run is there to record it), and holds a quit until
 * the run can stop itself; after `attach` it forwards everything. `fail`
 * ends the TUI with the error that kept the run from starting.
 */
import type {ActionResult, Controller} from '../engine/controller.js';
import type {LoadedPlan} from '../plan/loaded.js';
import type {DbActivity} from '../db/activity.js';
import type {EngineEvent, RunState} from '../state/types.js';

export type DeferredController = {
	readonly controller: Controller;
	readonly attach: (real: Controller) => void;
	readonly fail: (error: unknown) => void;
};

const NOT_YET: ActionResult = {ok: false, message: 'Still connecting to the database and opening the run: nothing was done. Try again in a moment.'};

export function createDeferredController(input: {plan: LoadedPlan; target: string; targetSource?: string; stateDir: string; state: RunState}): DeferredController {
	let real: Controller | undefined;
	let resolveReal!: (controller: Controller) => void;
	let rejectReal!: (error: unknown) => void;
	const ready = new Promise<Controller>((resolve, reject) => {
		resolveReal = resolve;
		rejectReal = reject;
	});
	// Whoever waits on done sees the failure; an unobserved one is not an unhandled rejection.
	ready.catch(() => undefined);
	/** A listener added before the run: kept in `pending`, moved to the run once it is attached. */
	const later = <L>(pending: Set<L>, listener: L, subscribe: (real: Controller) => () => void): (() => void) => {
		pending.add(listener);
		let off: (() => void) | undefined;
		void ready.then(
			(r) => {
				if (pending.delete(listener)) off = subscribe(r);
			},
			() => undefined,
		);
		return () => {
			pending.delete(listener);
			off?.();
		};
	};
	const listeners = new Set<(event: EngineEvent, state: RunState) => void>();
	const activityListeners = new Set<(activity: DbActivity) => void>();
	const controller: Controller = {
		plan: input.plan,
		get target() {
			return real?.target ?? input.target;
		},
		get targetSource() {
			return real ? real.targetSource : input.targetSource;
		},
		stateDir: input.stateDir,
		state: () => (real ? real.state() : input.state),
		activity: () => real?.activity(),
		subscribe: (listener) => (real ? real.subscribe(listener) : later(listeners, listener, (r) => r.subscribe(listener))),
		subscribeActivity: (listener) => (real ? real.subscribeActivity(listener) : later(activityListeners, listener, (r) => r.subscribeActivity(listener))),
		confirm: (itemId, typed) => (real ? real.confirm(itemId, typed) : NOT_YET),
		skip: (itemId, reason) => (real ? real.skip(itemId, reason) : NOT_YET),
		retry: (itemId) => (real ? real.retry(itemId) : NOT_YET),
		rollback: (level, reason, typed) => (real ? real.rollback(level, reason, typed) : NOT_YET),
		note: (text) => (real ? real.note(text) : NOT_YET),
		quit: async () => (await ready).quit(),
		done: ready.then((r) => r.done),
	};
	return {
		controller,
		attach(controller) {
			real = controller;
			resolveReal(controller);
			// The screen showed the state on disk: draw the run's own state now.
			const state = controller.state();
			const event = {type: 'note', text: '', seq: state.lastSeq, at: new Date().toISOString()} as EngineEvent;
			for (const listener of [...listeners]) listener(event, state);
		},
		fail(error) {
			rejectReal(error);
		},
	};
}
