/**
 * The read-only source for `runbook watch`: follows a state directory written
 * by another process. It starts from the snapshot plus the journal after it
 * and then reads the journal incrementally from the last byte it folded (both
 * with the store's readers, state/read.ts), and `activity.json`, polling and
 * `fs.watch`ing both, and calls listeners within a second of each change. It
 * takes no lock and never writes.
 */
import {existsSync, readFileSync, statSync, watch as fsWatch, type FSWatcher} from 'node:fs';
import path from 'node:path';
import type {DbActivity} from '../db/activity.js';
import type {EngineEvent, RunState} from '../state/types.js';
import type {LoadedPlan} from '../plan/load.js';
import {emptyState, replay} from '../state/reduce.js';
import {JOURNAL, loadState, readJournal, readState} from '../state/read.js';
import type {RunSnapshot} from './run-snapshot.js';

export const ACTIVITY_FILE = 'activity.json';

export type WatchSource = {
	readonly stateDir: string;
	readonly plan: LoadedPlan;
	readonly current: () => RunSnapshot;
	readonly subscribe: (listener: (snapshot: RunSnapshot) => void) => () => void;
	/** Stops polling and watching. Safe to call twice. */
	readonly close: () => void;
};

export type WatchOptions = {
	/** Poll interval (default 250 ms); fs.watch makes most changes faster still. */
	readonly intervalMs?: number;
};

type FileMark = {readonly size: number; readonly mtimeMs: number; readonly ino: number};

function mark(file: string): FileMark | undefined {
	try {
		const stat = statSync(file);
		return {size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino};
	} catch {
		return undefined;
	}
}

function same(a: FileMark | undefined, b: FileMark | undefined): boolean {
	return a?.size === b?.size && a?.mtimeMs === b?.mtimeMs && a?.ino === b?.ino;
}

function readActivity(file: string): DbActivity | undefined {
	try {
		const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
		if (parsed && typeof parsed === 'object' && 'connected' in parsed) {
			const activity = parsed as DbActivity;
			return {...activity, lockWaits: Array.isArray(activity.lockWaits) ? activity.lockWaits : []};
		}
	} catch {
		// missing or half-written: keep the previous one
	}
	return undefined;
}

export function createWatchSource(stateDir: string, plan: LoadedPlan, options: WatchOptions = {}): WatchSource {
	const journalFile = path.join(stateDir, JOURNAL);
	const activityFile = path.join(stateDir, ACTIVITY_FILE);
	const listeners = new Set<(snapshot: RunSnapshot) => void>();
	let state: RunState = emptyState();
	let activity: DbActivity | undefined;
	let offset = 0;
	let journalMark: FileMark | undefined;
	let activityMark: FileMark | undefined;
	let closed = false;

	const snapshot = (): RunSnapshot => (activity === undefined ? {state} : {state, activity});

	const reload = () => {
		// From scratch: the first read, or the journal was replaced (archived, a fresh run).
		offset = 0;
		if (!existsSync(journalFile)) {
			state = readState(stateDir).state;
			return;
		}
		// The snapshot plus the journal after it (a 100 000-event journal is not replayed from the start).
		const loaded = loadState(stateDir);
		state = loaded.state;
		offset = loaded.offset;
	};

	const readNew = (): boolean => {
		const now = mark(journalFile);
		if (same(now, journalMark)) return false;
		const previous = journalMark;
		journalMark = now;
		if (!now) {
			if (previous) {
				state = emptyState();
				offset = 0;
				return true;
			}
			return false;
		}
		if (!previous || now.ino !== previous.ino || now.size < offset) {
			reload();
			return true;
		}
		if (now.size <= offset) return false;
		// The lines written since the last read; a line still being written is read again next time.
		const tail = readJournal(stateDir, offset, {passOver: true});
		offset = tail.goodBytes;
		if (tail.events.length === 0) return false;
		state = replay(tail.events, state);
		return true;
	};

	const readActivityIfChanged = (): boolean => {
		const now = mark(activityFile);
		if (same(now, activityMark)) return false;
		activityMark = now;
		const next = now ? readActivity(activityFile) : undefined;
		if (next === undefined && now) return false;
		activity = next;
		return true;
	};

	const poll = () => {
		if (closed) return;
		let changed = false;
		try {
			changed = readNew();
		} catch {
			changed = false;
		}
		changed = readActivityIfChanged() || changed;
		if (changed) for (const listener of listeners) listener(snapshot());
	};

	journalMark = mark(journalFile);
	if (journalMark) reload();
	activityMark = mark(activityFile);
	activity = activityMark ? readActivity(activityFile) : undefined;

	const timer = setInterval(poll, options.intervalMs ?? 250);
	timer.unref();
	let watcher: FSWatcher | undefined;
	try {
		watcher = fsWatch(stateDir, {persistent: false}, () => poll());
		watcher.on('error', () => watcher?.close());
	} catch {
		watcher = undefined; // the directory may not exist yet: polling covers it
	}

	return {
		stateDir,
		plan,
		current: snapshot,
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		close() {
			closed = true;
			clearInterval(timer);
			watcher?.close();
			listeners.clear();
		},
	};
}
