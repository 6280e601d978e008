/**
 * The run state is a fold of the journal: `reduce(state, event)` is pure, so
 * the snapshot is only a cache. A lost or corrupt snapshot is rebuilt by
 * replaying the journal, and `watch` renders from the same fold.
 *
 * One thing is not in the journal: an item attempt's output past its first
 * 400 lines (store.ts, OUTPUT_LINES_PER_ATTEMPT). StateStore.flushOutput adds
 * those lines to the item's `liveTail` in memory, outside this fold, and
 * hands its listeners a `progress` event ("N lines of output so far") that is
 * neither journaled nor folded (it repeats the last seq). The snapshot is
 * written from the in-memory state, so it carries that tail as of its last
 * write. So for such an item, and only in `liveTail`, the running process,
 * the snapshot and a replay of the journal alone can disagree: a replay shows
 * the last journaled lines. Everything else, the evidence's `outputTail` (the
 * real last lines) included, is the fold.
 */
import type {EngineEvent, ItemState, RunState} from './types.js';
import {LIVE_TAIL_LINES} from './types.js';

export function emptyState(): RunState {
	return {
		version: 1,
		runId: '',
		planId: '',
		planTitle: '',
		planSha256: '',
		target: '',
		startedAt: '',
		updatedAt: '',
		status: 'running',
		pid: 0,
		host: '',
		lastSeq: 0,
		items: {},
		data: {},
		notes: [],
		rollbacks: [],
		resources: {},
	};
}

const initialItem: ItemState = {status: 'pending', attempts: 0};

function withItem(state: RunState, itemId: string, update: (item: ItemState) => ItemState): RunState {
	const item = state.items[itemId] ?? initialItem;
	return {...state, items: {...state.items, [itemId]: update(item)}};
}

export function reduce(state: RunState, event: EngineEvent): RunState {
	const next = reduceEvent(state, event);
	return {...next, lastSeq: event.seq, updatedAt: event.at};
}

function reduceEvent(state: RunState, event: EngineEvent): RunState {
	switch (event.type) {
		case 'run-started':
			return {
				...state,
				runId: state.runId || event.runId,
				planId: event.planId,
				planTitle: event.planTitle,
				planSha256: event.planSha256,
				target: event.target,
				...(event.targetSource === undefined ? {} : {targetSource: event.targetSource}),
				startedAt: state.startedAt || event.at,
				status: 'running',
				statusMessage: event.resumed ? `resumed by pid ${event.pid} on ${event.host}` : undefined,
				pid: event.pid,
				host: event.host,
				waiting: undefined,
			};
		case 'item-started':
			return {
				...withItem(state, event.itemId, (item) => ({
					status: 'running',
					attempts: event.attempt,
					executionId: event.executionId,
					startedAt: event.at,
					liveTail: [],
					...(item.note ? {note: item.note} : {}),
				})),
				currentItem: event.itemId,
				waiting: undefined,
			};
		case 'output':
			return withItem(state, event.itemId, (item) => {
				const tail = [...(item.liveTail ?? []), event.line];
				return {...item, liveTail: tail.length > LIVE_TAIL_LINES ? tail.slice(-LIVE_TAIL_LINES) : tail};
			});
		case 'progress':
			return withItem(state, event.itemId, (item) => ({...item, progress: event.message}));
		case 'waiting':
			return {
				...withItem(state, event.waiting.itemId, (item) =>
					item.status === 'failed' ? item : {...item, status: 'waiting'},
				),
				currentItem: event.waiting.itemId,
				waiting: event.waiting,
			};
		case 'item-passed':
			return {
				...withItem(state, event.itemId, (item) => ({
					...item,
					status: 'passed',
					endedAt: event.at,
					evidence: event.evidence,
					error: undefined,
					matrixRow: undefined,
					progress: undefined,
					...(event.note ? {note: event.note} : {}),
				})),
				waiting: undefined,
			};
		case 'item-failed':
			return withItem(state, event.itemId, (item) => ({
				...item,
				status: 'failed',
				endedAt: event.at,
				evidence: event.evidence,
				error: event.error,
				matrixRow: event.matrixRow,
				progress: undefined,
			}));
		case 'item-skipped':
			return {
				...withItem(state, event.itemId, (item) => ({...item, status: 'skipped', endedAt: event.at, skipReason: event.reason})),
				waiting: undefined,
			};
		case 'item-reset':
			return withItem(state, event.itemId, (item) => ({status: 'pending', attempts: item.attempts, note: event.reason}));
		case 'data':
			return {...state, data: {...state.data, [event.key]: event.value}};
		case 'note':
			return {...state, notes: [...state.notes, {at: event.at, text: event.text, ...(event.by ? {by: event.by} : {})}]};
		case 'rollback-started':
			return {...state, rollbacks: [...state.rollbacks, {at: event.at, level: event.level, reason: event.reason}]};
		case 'run-stopped':
			return {...state, status: event.status, statusMessage: event.message, waiting: undefined};
		case 'resource-registered':
			return {...state, resources: {...state.resources, [event.resource.id]: {...event.resource, registeredAt: event.at, status: 'open'}}};
		case 'resource-updated': {
			const r = state.resources?.[event.id];
			if (!r) return state;
			const {type: _t, id: _i, seq: _s, at: _a, ...patch} = event;
			return {...state, resources: {...state.resources, [event.id]: {...r, ...patch}}};
		}
		case 'resource-released': {
			const r = state.resources?.[event.id];
			if (!r) return state;
			return {...state, resources: {...state.resources, [event.id]: {...r, status: 'released', releasedAt: event.at, how: event.how}}};
		}
	}
}

/**
 * Folds events into a state. Output lines are the bulk of a long journal;
 * they only move an item's bounded live tail, so they are gathered on the side
 * and applied once before the next other event (same result as reducing each).
 */
export function replay(events: Iterable<EngineEvent>, from: RunState = emptyState()): RunState {
	let state = from;
	const tails = new Map<string, string[]>();
	let last: EngineEvent | undefined;
	const flush = () => {
		if (tails.size === 0) return;
		const items = {...state.items};
		for (const [itemId, lines] of tails) {
			const item = items[itemId] ?? initialItem;
			const tail = [...(item.liveTail ?? []), ...lines];
			items[itemId] = {...item, liveTail: tail.length > LIVE_TAIL_LINES ? tail.slice(-LIVE_TAIL_LINES) : tail};
		}
		tails.clear();
		state = {...state, items, ...(last ? {lastSeq: last.seq, updatedAt: last.at} : {})};
	};
	for (const event of events) {
		if (event.type === 'output') {
			let lines = tails.get(event.itemId);
			if (!lines) tails.set(event.itemId, (lines = []));
			lines.push(event.line);
			if (lines.length > LIVE_TAIL_LINES * 4) lines.splice(0, lines.length - LIVE_TAIL_LINES);
			last = event;
			continue;
		}
		flush();
		state = reduce(state, event);
	}
	flush();
	return state;
}
