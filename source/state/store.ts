/**
 * State on disk, one directory per plan and target:
 *
 *   journal.jsonl   append-only, one event per line, fsync'd before the engine
 *                   moves on (the truth);
 *   state.json      a conf-backed snapshot of the fold of the journal (a cache
 *                   for `status`, `watch` and a fast resume).
 *
 * A corrupt or truncated snapshot is detected and rebuilt from the journal; a
 * torn last journal line (a crash mid-write) is cut off and reported; a
 * corrupt line in the middle stops with its line number.
 */
import {closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeSync, readdirSync} from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import Conf from 'conf';
import type {EngineEvent, EngineEventInput, RunState} from '../engine/types.js';
import {emptyState, reduce, replay} from './reduce.js';
import {UserError} from '../errors.js';
import {redact} from '../db/target.js';

export const JOURNAL = 'journal.jsonl';
export const SNAPSHOT = 'state.json';

/** Output lines journaled per item attempt; the rest are counted, and the tail is in the evidence. */
const OUTPUT_LINES_PER_ATTEMPT = 400;

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

export function readJournal(dir: string): JournalRead {
	const file = path.join(dir, JOURNAL);
	if (!existsSync(file)) return {events: [], goodBytes: 0};
	const text = readFileSync(file, 'utf8');
	const events: EngineEvent[] = [];
	let offset = 0;
	let lineNo = 0;
	while (offset < text.length) {
		const end = text.indexOf('\n', offset);
		lineNo += 1;
		if (end === -1) {
			// No newline: the last write was torn. Everything before it is intact.
			return {events, tornTail: text.slice(offset, offset + 80), goodBytes: Buffer.byteLength(text.slice(0, offset))};
		}
		const line = text.slice(offset, end);
		offset = end + 1;
		if (line.trim() === '') continue;
		try {
			events.push(JSON.parse(line) as EngineEvent);
		} catch {
			throw new UserError(
				`The journal ${file} is corrupt at line ${lineNo} (${JSON.stringify(line.slice(0, 60))}…): it is not a JSON event. The journal is the record of what ran; runbook will not guess. Restore the file from a copy, or move the state directory ${dir} aside and check the database (the ledger table runbook.applied_migrations says which migrations are applied) before starting a fresh run with --fresh.`,
			);
		}
	}
	return {events, goodBytes: Buffer.byteLength(text)};
}

export type OpenStoreOptions = {
	readonly dir: string;
	/** Secrets to strip from every line before it reaches the disk. */
	readonly secrets: readonly string[];
	/** Messages about repairs (torn journal tail, rebuilt snapshot). */
	readonly onRepair?: (message: string) => void;
};

export class StateStore {
	readonly dir: string;
	private state: RunState;
	private fd: number;
	private readonly conf: Conf<Record<string, unknown>>;
	private readonly secrets: readonly string[];
	private outputCounts = new Map<string, number>();
	private readonly listeners = new Set<(event: EngineEvent, state: RunState) => void>();

	private constructor(dir: string, state: RunState, fd: number, conf: Conf<Record<string, unknown>>, secrets: readonly string[]) {
		this.dir = dir;
		this.state = state;
		this.fd = fd;
		this.conf = conf;
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
		const journal = readJournal(dir);
		const journalFile = path.join(dir, JOURNAL);
		if (journal.tornTail !== undefined) {
			truncateSync(journalFile, journal.goodBytes);
			options.onRepair?.(`The journal ended with a torn line (a crash during a write); it was cut off at byte ${journal.goodBytes}. The events before it are intact.`);
		}
		const fromJournal = replay(journal.events);
		const conf = openSnapshot(dir, options.onRepair);
		const snap = conf.store as unknown as Partial<RunState>;
		if (journal.events.length > 0 && (snap.lastSeq ?? -1) !== fromJournal.lastSeq) {
			options.onRepair?.(`The snapshot ${path.join(dir, SNAPSHOT)} was behind the journal (seq ${snap.lastSeq ?? 'none'} vs ${fromJournal.lastSeq}); it was rebuilt from the journal.`);
		}
		conf.store = fromJournal as unknown as Record<string, unknown>;
		let fd: number;
		try {
			fd = openSync(journalFile, 'a', 0o600);
		} catch (error) {
			throw new UserError(`The journal ${journalFile} cannot be opened for writing (${(error as NodeJS.ErrnoException).code}). Check the permissions of ${dir}.`, {cause: error});
		}
		return new StateStore(dir, fromJournal, fd, conf, options.secrets);
	}

	get current(): RunState {
		return this.state;
	}

	subscribe(listener: (event: EngineEvent, state: RunState) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Appends an event: journal first (fsync'd unless it is output), then the snapshot, then listeners. */
	append(input: EngineEventInput): EngineEvent {
		const event = {...input, seq: this.state.lastSeq + 1, at: new Date().toISOString()} as EngineEvent;
		const clean = this.scrub(event);
		const isChatter = clean.type === 'output' || clean.type === 'progress';
		let journaled = true;
		if (clean.type === 'output') {
			const key = `${clean.itemId}`;
			const count = (this.outputCounts.get(key) ?? 0) + 1;
			this.outputCounts.set(key, count);
			journaled = count <= OUTPUT_LINES_PER_ATTEMPT;
		}
		if (clean.type === 'item-started') this.outputCounts.delete(clean.itemId);
		if (journaled || !isChatter) {
			this.write(`${JSON.stringify(clean)}\n`, !isChatter);
			this.state = reduce(this.state, clean);
		} else {
			// Not journaled: keep the live tail in memory only (the seq does not advance).
			this.state = reduce(this.state, {...clean, seq: this.state.lastSeq});
		}
		if (!isChatter) this.conf.store = this.state as unknown as Record<string, unknown>;
		for (const listener of this.listeners) listener(clean, this.state);
		return clean;
	}

	private scrub(event: EngineEvent): EngineEvent {
		const text = JSON.stringify(event);
		const cleaned = redact(text, this.secrets.map((s) => JSON.stringify(s).slice(1, -1)));
		return cleaned === text ? event : (JSON.parse(cleaned) as EngineEvent);
	}

	private write(line: string, sync: boolean): void {
		const buffer = Buffer.from(line);
		let written = 0;
		try {
			while (written < buffer.length) written += writeSync(this.fd, buffer, written);
			if (sync) fsyncSync(this.fd);
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

	close(): void {
		try {
			closeSync(this.fd);
		} catch {
			// already closed
		}
		this.fd = -1;
	}

	/** Moves this run's files into archive/<timestamp>/ so a fresh run can start. */
	static archive(dir: string): string | undefined {
		if (!existsSync(path.join(dir, JOURNAL))) return undefined;
		const stamp = new Date().toISOString().replace(/[:.]/g, '-');
		const dest = path.join(dir, 'archive', stamp);
		mkdirSync(dest, {recursive: true});
		for (const name of readdirSync(dir)) {
			if (name === 'archive' || name === '.sandbox') continue;
			renameSync(path.join(dir, name), path.join(dest, name));
		}
		return dest;
	}
}

function openSnapshot(dir: string, onRepair?: (message: string) => void): Conf<Record<string, unknown>> {
	const make = () =>
		new Conf<Record<string, unknown>>({
			cwd: dir,
			configName: 'state',
			configFileMode: 0o600,
			accessPropertiesByDotNotation: false,
			clearInvalidConfig: false,
		});
	try {
		return make();
	} catch (error) {
		const file = path.join(dir, SNAPSHOT);
		const size = existsSync(file) ? statSync(file).size : 0;
		const aside = `${file}.corrupt-${Date.now()}`;
		renameSync(file, aside);
		onRepair?.(
			`The snapshot ${file} is corrupt or truncated (${size} bytes, ${(error as Error).message.split('\n')[0]}). It was moved to ${aside} and rebuilt from the journal, which is the record of what ran.`,
		);
		return make();
	}
}

/** Read-only view of a state directory for `status` and `watch`: never takes a lock, never writes. */
export function readState(dir: string): {state: RunState; events: EngineEvent[]} {
	const journal = readJournal(dir);
	if (journal.events.length === 0) {
		const file = path.join(dir, SNAPSHOT);
		if (existsSync(file)) {
			try {
				return {state: JSON.parse(readFileSync(file, 'utf8')) as RunState, events: []};
			} catch {
				// fall through to an empty state
			}
		}
		return {state: emptyState(), events: []};
	}
	return {state: replay(journal.events), events: journal.events};
}
