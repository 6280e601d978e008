/**
 * State on disk, one directory per plan and target:
 *
 *   journal.jsonl   append-only, one event per line (the truth), written at
 *                   once and fsync'd before the engine moves on, except for
 *                   the events the engine marks `sync: false` (see append);
 *   state.json      a snapshot of the fold of the journal (a cache for
 *                   `status`, `watch` and a fast resume), rewritten atomically
 *                   (temp file, fsync, rename) at most once a second and on
 *                   close; it records the journal byte it folds up to, and
 *                   readers fold the rest.
 *
 * A corrupt or truncated snapshot is detected and rebuilt from the journal; a
 * torn last journal line (a crash mid-write) is cut off and reported; a
 * corrupt line in the middle stops with its line number.
 */
import {closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, truncateSync, writeSync, readdirSync} from 'node:fs';
import path from 'node:path';
import type {EngineEvent, EngineEventInput, RunState} from './types.js';
import {reduce} from './reduce.js';
import {JOURNAL, SNAPSHOT, loadState} from './read.js';
import {LIVE_TAIL_LINES} from './types.js';
import {UserError} from '../errors.js';
import {redact} from '../db/target.js';
import {redactDeep} from '../db/redact-deep.js';

// The readers (status, watch, resume) live in read.ts, which loads no writer.
export {JOURNAL, SNAPSHOT, defaultStateRoot, loadState, readJournal, readState, stateDirFor, type JournalRead, type LoadedState} from './read.js';

/** The longest the snapshot lags the journal in a live run (see saveSnapshot). */
const SNAPSHOT_DELAY_MS = 1000;

/** Output lines journaled per item attempt; the rest are counted, and the tail is in the evidence. */
const OUTPUT_LINES_PER_ATTEMPT = 400;

export type OpenStoreOptions = {
	readonly dir: string;
	/** Secrets to strip from every line before it reaches the disk. */
	readonly secrets: readonly string[];
	/** Messages about repairs (torn journal tail, rebuilt snapshot). */
	readonly onRepair?: (message: string) => void;
	/**
	 * Leave a torn last journal line on disk until `repair()` (or the first append): a run opens its state before it
	 * holds the run lock, and a torn line may be another live run's write in progress, which is not ours to cut.
	 */
	readonly deferRepair?: boolean;
};

/**
 * How an event reaches the disk. `sync: false`: written at once (every reader
 * sees it) but not fsync'd by itself; the next fsync'd event, or close, makes
 * it durable with everything before it. Only for what an OS crash may lose
 * without harm because a resumed run redoes or settles it: the events of
 * read-only items, and of child processes (they do not outlive the machine).
 */
export type AppendOptions = {readonly sync?: boolean};

export class StateStore {
	readonly dir: string;
	private state: RunState;
	private fd: number;
	private readonly secrets: readonly string[];
	private outputCounts = new Map<string, number>();
	private readonly listeners = new Set<(event: EngineEvent, state: RunState) => void>();

	private bytes: number;
	/** Written since the last fsync. */
	private unsynced = false;
	private readonly tails = new Map<string, {lines: string[]; count: number}>();
	private flushTimer: NodeJS.Timeout | undefined;
	/** The torn journal line's cut, while it waits (deferRepair): nothing is appended before it. */
	private pendingRepair: (() => void) | undefined;
	private snapshotTimer: NodeJS.Timeout | undefined;

	private constructor(dir: string, state: RunState, fd: number, secrets: readonly string[], bytes: number) {
		this.bytes = bytes;
		this.dir = dir;
		this.state = state;
		this.fd = fd;
		this.secrets = secrets;
	}

	static exists(dir: string): boolean {
		return existsSync(path.join(dir, JOURNAL));
	}

	/** Opens (or creates) the state directory; replays the journal and checks the snapshot against it. */
	static open(options: OpenStoreOptions): StateStore {
		const {dir} = options;
		try {
			mkdirSync(dir, {recursive: true, mode: 0o700});
		} catch (error) {
			throw new UserError(`The state directory ${dir} could not be created (${(error as NodeJS.ErrnoException).code}). Give a writable directory with --state-dir.`, {cause: error});
		}
		const journalFile = path.join(dir, JOURNAL);
		const loaded = loadState(dir);
		// An unreadable snapshot was not used (the state is the journal's replay); it is moved aside, and then missing.
		if (loaded.snapshotUnreadable !== undefined) setAsideCorruptSnapshot(dir, loaded.snapshotUnreadable, options.onRepair);
		const snapshotProblem = loaded.snapshotUnreadable !== undefined ? 'missing' : loaded.snapshotProblem;
		const cut = () => {
			truncateSync(journalFile, loaded.offset);
			options.onRepair?.(`The journal ended with a torn line (a crash during a write); it was cut off at byte ${loaded.offset}. The events before it are intact.`);
		};
		const torn = loaded.tornTail !== undefined;
		if (torn && !options.deferRepair) cut();
		const fromJournal = loaded.state;
		if (snapshotProblem && snapshotProblem !== 'missing' && fromJournal.lastSeq > 0) {
			options.onRepair?.(`The snapshot ${path.join(dir, SNAPSHOT)} was not usable (${snapshotProblem}); the state was rebuilt from the journal (seq ${fromJournal.lastSeq}).`);
		}
		// A new state directory has nothing to cache yet: its first snapshot follows its first events.
		if (fromJournal.lastSeq > 0 || snapshotProblem !== 'missing') writeSnapshot(dir, fromJournal, loaded.offset);
		let fd: number;
		try {
			fd = openSync(journalFile, 'a', 0o600);
		} catch (error) {
			throw new UserError(`The journal ${journalFile} cannot be opened for writing (${(error as NodeJS.ErrnoException).code}). Check the permissions of ${dir}.`, {cause: error});
		}
		const store = new StateStore(dir, fromJournal, fd, options.secrets, loaded.offset);
		if (torn && options.deferRepair) store.pendingRepair = cut;
		return store;
	}

	/** Cuts a torn last journal line left by `deferRepair`; call it once the run lock is held (append does it too, first). */
	repair(): void {
		const cut = this.pendingRepair;
		this.pendingRepair = undefined;
		cut?.();
	}

	get current(): RunState {
		return this.state;
	}

	subscribe(listener: (event: EngineEvent, state: RunState) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Appends an event: journal first (fsync'd unless it is output or `sync: false`), then the state, then listeners; the snapshot follows within SNAPSHOT_DELAY_MS. */
	append(input: EngineEventInput, options: AppendOptions = {}): EngineEvent {
		const event = {...input, seq: this.state.lastSeq + 1, at: new Date().toISOString()} as EngineEvent;
		const clean = this.scrub(event);
		const isChatter = clean.type === 'output' || clean.type === 'progress';
		if (!isChatter) this.flushOutput();
		if (clean.type === 'item-started') {
			this.outputCounts.delete(clean.itemId);
			this.tails.delete(clean.itemId);
		}
		this.write(`${JSON.stringify(clean)}\n`, !isChatter && options.sync !== false);
		this.state = reduce(this.state, clean);
		if (!isChatter && !this.snapshotTimer) {
			this.snapshotTimer = setTimeout(() => this.saveSnapshot(), SNAPSHOT_DELAY_MS);
			this.snapshotTimer.unref();
		}
		for (const listener of this.listeners) listener(clean, this.state);
		return clean;
	}

	/**
	 * A line of a child's output. The first lines of each attempt are journaled
	 * one by one; after that only a bounded tail is kept and folded into the
	 * state at most every 100 ms, so a child printing megabytes per second
	 * costs constant memory and leaves the event loop free for the screen and
	 * the keys. The evidence keeps the last lines either way.
	 */
	appendOutput(itemId: string, stream: 'stdout' | 'stderr' | 'info', line: string): void {
		const count = (this.outputCounts.get(itemId) ?? 0) + 1;
		this.outputCounts.set(itemId, count);
		if (count <= OUTPUT_LINES_PER_ATTEMPT) {
			this.append({type: 'output', itemId, stream, line});
			if (count === OUTPUT_LINES_PER_ATTEMPT) {
				this.append({type: 'output', itemId, stream: 'info', line: `… more output follows: only the first ${OUTPUT_LINES_PER_ATTEMPT} lines are journaled; the live tail and the evidence keep the last lines`});
			}
			return;
		}
		let tail = this.tails.get(itemId);
		if (!tail) this.tails.set(itemId, (tail = {lines: [], count: 0}));
		tail.lines.push(line);
		tail.count += 1;
		if (tail.lines.length > LIVE_TAIL_LINES * 4) tail.lines.splice(0, tail.lines.length - LIVE_TAIL_LINES);
		this.flushTimer ??= setTimeout(() => this.flushOutput(), 100);
	}

	/**
	 * Adds the pending output tails (lines past the journaled ones) to the
	 * items' live tails, one update per item, and tells the listeners with a
	 * `progress` event. Neither the lines nor that event reach the journal: this
	 * is the one part of the state that is not a fold of it (see reduce.ts).
	 */
	flushOutput(): void {
		if (this.flushTimer) clearTimeout(this.flushTimer);
		this.flushTimer = undefined;
		if (this.tails.size === 0) return;
		const items = {...this.state.items};
		const touched: Array<[string, number]> = [];
		for (const [itemId, tail] of this.tails) {
			const item = items[itemId];
			if (!item) continue;
			const lines = [...(item.liveTail ?? []), ...tail.lines.map((l) => redact(l, this.secrets))].slice(-LIVE_TAIL_LINES);
			items[itemId] = {...item, liveTail: lines};
			touched.push([itemId, (this.outputCounts.get(itemId) ?? 0)]);
		}
		this.tails.clear();
		this.state = {...this.state, items};
		for (const [itemId, count] of touched) {
			const event = {type: 'progress', itemId, message: `${count} lines of output so far`, seq: this.state.lastSeq, at: new Date().toISOString()} as EngineEvent;
			for (const listener of this.listeners) listener(event, this.state);
		}
	}

	/**
	 * Masks secrets in every string of the event, not in its JSON text: a mask
	 * pattern such as `password = …` run over serialised JSON would swallow the
	 * closing quote and brace, and the journal line would no longer parse.
	 */
	private scrub(event: EngineEvent): EngineEvent {
		return redactDeep(event, this.secrets);
	}

	private write(line: string, sync: boolean): void {
		// Appended after a torn line, the event would be glued to it.
		this.repair();
		const buffer = Buffer.from(line);
		let written = 0;
		try {
			while (written < buffer.length) written += writeSync(this.fd, buffer, written);
			this.bytes += buffer.length;
			if (sync) fsyncSync(this.fd);
			this.unsynced = !sync;
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			throw new UserError(
				code === 'ENOSPC'
					? `The disk holding the state directory ${this.dir} is full: the journal could not be written, so runbook stopped before doing anything else. Free space there (or move the state with --state-dir) and continue with --resume; nothing that was already recorded is lost.`
					: `Writing the journal in ${this.dir} failed (${code ?? String(error)}). runbook stopped so that nothing runs unrecorded. Fix the cause and continue with --resume.`,
				{cause: error},
			);
		}
	}

	/**
	 * Writes the snapshot (an atomic, fsync'd rewrite of the whole state) now.
	 * It is a cache: every reader takes the snapshot plus the journal after the
	 * byte it records, so one that lags a few events is read as exactly as a
	 * fresh one. Written at most every SNAPSHOT_DELAY_MS and on close, not once
	 * per event: a run of 3 migrations and their checks journals ~100 events.
	 */
	saveSnapshot(): void {
		if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
		this.snapshotTimer = undefined;
		writeSnapshot(this.dir, this.state, this.bytes);
	}

	close(): void {
		this.flushOutput();
		if (this.fd !== -1) {
			if (this.unsynced) this.write('', true);
			this.saveSnapshot();
		}
		try {
			closeSync(this.fd);
		} catch {
			// already closed
		}
		this.fd = -1;
	}

	/** Moves this run's files into archive/<timestamp>/ so a fresh run can start (a rehearsal kept there stays: it is the next run's input). */
	static archive(dir: string): string | undefined {
		if (!existsSync(path.join(dir, JOURNAL))) return undefined;
		const stamp = new Date().toISOString().replace(/[:.]/g, '-');
		const dest = path.join(dir, 'archive', stamp);
		mkdirSync(dest, {recursive: true});
		for (const name of readdirSync(dir)) {
			if (name === 'archive' || name === '.sandbox' || name === 'rehearsal.json' || name === 'rehearsal.md') continue;
			renameSync(path.join(dir, name), path.join(dest, name));
		}
		return dest;
	}
}

/**
 * A snapshot that is not JSON (torn by a crash, edited by hand) is moved aside
 * and reported; the state is rebuilt from the journal and written anew.
 */
function setAsideCorruptSnapshot(dir: string, problem: string, onRepair?: (message: string) => void): void {
	const file = path.join(dir, SNAPSHOT);
	const size = existsSync(file) ? statSync(file).size : 0;
	const aside = `${file}.corrupt-${Date.now()}`;
	renameSync(file, aside);
	onRepair?.(`The snapshot ${file} is corrupt or truncated (${size} bytes, ${problem}). It was moved to ${aside} and rebuilt from the journal, which is the record of what ran.`);
}

/**
 * Replaces the snapshot atomically: the whole state (and the journal byte it
 * folds up to) into a temp file beside it, fsync'd, then renamed over it, so a
 * reader or a crash sees the old snapshot or the new one, never a torn one.
 */
function writeSnapshot(dir: string, state: RunState, journalBytes: number): void {
	const file = path.join(dir, SNAPSHOT);
	const temp = `${file}.${process.pid}.tmp`;
	const bytes = Buffer.from(JSON.stringify({...state, journalBytes}));
	try {
		const fd = openSync(temp, 'w', 0o600);
		try {
			for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
			fsyncSync(fd);
		} finally {
			closeSync(fd);
		}
		renameSync(temp, file);
	} catch (error) {
		rmSync(temp, {force: true});
		throw error;
	}
}
