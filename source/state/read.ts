/**
 * Reading a state directory (see store.ts for the layout): the journal from
 * any byte offset, the snapshot, and the state they fold to. Never writes,
 * never takes a lock; imports nothing of the writer, so `status` and `watch`
 * load only this.
 */
import {closeSync, existsSync, openSync, readFileSync, readSync, statSync} from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import type {EngineEvent, RunState} from './types.js';
import {replay} from './reduce.js';
import {UserError} from '../errors.js';

export const JOURNAL = 'journal.jsonl';
export const SNAPSHOT = 'state.json';

export function defaultStateRoot(): string {
	const base = process.env['XDG_STATE_HOME'] ?? path.join(os.homedir(), '.local', 'state');
	return path.join(base, 'runbook');
}

/** <root>/<plan-id>/<target-slug>: one run per plan and target. */
export function stateDirFor(root: string, planId: string, targetKey: string): string {
	const slug = targetKey.replace(/[^a-zA-Z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'default';
	return path.join(root, planId, slug);
}

export type JournalRead = {
	readonly events: EngineEvent[];
	/** A torn last line that was ignored (a crash during a write). */
	readonly tornTail?: string;
	/** Byte length of the well-formed part. */
	readonly goodBytes: number;
};

function readFrom(file: string, start: number): string {
	const size = statSync(file).size;
	if (start <= 0) return readFileSync(file, 'utf8');
	if (start >= size) return '';
	const buffer = Buffer.alloc(size - start);
	const fd = openSync(file, 'r');
	try {
		let read = 0;
		while (read < buffer.length) {
			const n = readSync(fd, buffer, read, buffer.length - read, start + read);
			if (n === 0) break;
			read += n;
		}
		return buffer.subarray(0, read).toString('utf8');
	} finally {
		closeSync(fd);
	}
}

/**
 * Reads the journal's events (from byte `start`, a line boundary); `goodBytes`
 * is absolute. A line that is not JSON stops the read with its line number,
 * unless `passOver` (a follower such as `watch`, which must keep showing the
 * rest; the engine's resume reports the line).
 */
export function readJournal(dir: string, start = 0, options: {readonly passOver?: boolean} = {}): JournalRead {
	const file = path.join(dir, JOURNAL);
	if (!existsSync(file)) return {events: [], goodBytes: 0};
	const text = readFrom(file, start);
	const events: EngineEvent[] = [];
	let offset = 0;
	let lineNo = 0;
	while (offset < text.length) {
		const end = text.indexOf('\n', offset);
		lineNo += 1;
		if (end === -1) {
			// No newline: the last write was torn. Everything before it is intact.
			return {events, tornTail: text.slice(offset, offset + 80), goodBytes: start + Buffer.byteLength(text.slice(0, offset))};
		}
		const line = text.slice(offset, end);
		offset = end + 1;
		if (line.trim() === '') continue;
		try {
			events.push(JSON.parse(line) as EngineEvent);
		} catch {
			if (options.passOver) continue;
			throw new UserError(
				`The journal ${file} is corrupt at ${start > 0 ? `line ${lineNo} after byte ${start}` : `line ${lineNo}`} (${JSON.stringify(line.slice(0, 60))}…): it is not a JSON event. The journal is the record of what ran; runbook will not guess. Restore the file from a copy, or move the state directory ${dir} aside and check the database (the ledger table runbook.applied_migrations says which migrations are applied) before starting a fresh run with --fresh.`,
			);
		}
	}
	return {events, goodBytes: start + Buffer.byteLength(text)};
}

export type LoadedState = {
	readonly state: RunState;
	/** Byte length of the journal's complete lines (where a reader continues). */
	readonly offset: number;
	readonly tornTail?: string;
	/** Why the snapshot could not be used, if it could not. */
	readonly snapshotProblem?: string;
	/** The snapshot file is there but could not be read as JSON (torn by a crash, edited by hand): why. */
	readonly snapshotUnreadable?: string;
};

function parseSnapshot(dir: string): {state?: RunState; problem?: string; unreadable?: boolean} {
	const file = path.join(dir, SNAPSHOT);
	if (!existsSync(file)) return {problem: 'missing'};
	try {
		const state = JSON.parse(readFileSync(file, 'utf8')) as RunState;
		if (state.version !== 1 || typeof state.lastSeq !== 'number' || typeof state.items !== 'object') return {problem: 'not a runbook state'};
		return {state};
	} catch (error) {
		return {problem: (error as Error).message.split('\n')[0], unreadable: true};
	}
}

/**
 * The state of a directory, fast: the snapshot plus the journal written after
 * it (the snapshot records the journal's length). Falls back to replaying the
 * whole journal when the snapshot is missing, corrupt or does not line up.
 */
export function loadState(dir: string): LoadedState {
	const snap = parseSnapshot(dir);
	const bytes = snap.state?.journalBytes;
	if (snap.state && typeof bytes === 'number' && existsSync(path.join(dir, JOURNAL)) && statSync(path.join(dir, JOURNAL)).size >= bytes) {
		let tail: JournalRead;
		try {
			tail = readJournal(dir, bytes);
		} catch {
			// A corrupt line: read from the start so the error names its exact line.
			tail = readJournal(dir);
		}
		const first = tail.events[0];
		if (!first || first.seq === snap.state.lastSeq + 1 || first.seq <= snap.state.lastSeq) {
			const {journalBytes: _drop, ...base} = snap.state;
			void _drop;
			const fresh = tail.events.filter((e) => e.seq > snap.state!.lastSeq);
			return {state: replay(fresh, base as RunState), offset: tail.goodBytes, ...(tail.tornTail === undefined ? {} : {tornTail: tail.tornTail})};
		}
	}
	const journal = readJournal(dir);
	return {
		state: replay(journal.events),
		offset: journal.goodBytes,
		...(journal.tornTail === undefined ? {} : {tornTail: journal.tornTail}),
		...(snap.problem || journal.events.length > 0 ? {snapshotProblem: snap.problem ?? `behind the journal (seq ${snap.state?.lastSeq ?? 'none'})`} : {}),
		...(snap.unreadable ? {snapshotUnreadable: snap.problem} : {}),
	};
}

/** Read-only view of a state directory for `status` and `watch`: never takes a lock, never writes. */
export function readState(dir: string): {state: RunState} {
	return {state: loadState(dir).state};
}
