/**
 * What a run created and has not released, kept in the journal: the
 * journal-backed implementation of the resource port (proc/resource.ts).
 *
 * `register` appends a fsync'd `resource-registered` event before the caller
 * creates anything, so a kill at any moment afterwards leaves a record that a
 * resumed run and `runbook cleanup` read back with `openResources(state)`.
 * A child process's pid and its end are written but not fsync'd one by one:
 * a kill of the runbook leaves them on disk, and a crash of the machine ends
 * the child with it (the next fsync'd event makes them durable).
 */
import {randomBytes} from 'node:crypto';
import os from 'node:os';
import type {JournalOptions, ResourceHandle, ResourceSpec, ResourceTracker} from '../proc/resource.js';
import {runTagOf} from '../proc/resource.js';

export type ResourceRecord = ResourceSpec & {
	readonly id: string;
	readonly runId: string;
	readonly registeredAt: string;
	readonly status: 'open' | 'released';
	readonly releasedAt?: string;
	/** How it went: "dropped", "removed", "not found (never created)", "renamed to app", … */
	readonly how?: string;
};

/** The subset of StateStore the tracker needs (kept small so tests and other stores can provide it). */
export type ResourceJournal = {
	readonly append: (
		event:
			| {readonly type: 'resource-registered'; readonly resource: Omit<ResourceRecord, 'registeredAt' | 'status'>}
			| {readonly type: 'resource-updated'; readonly id: string; readonly pid?: number; readonly bytes?: number; readonly detail?: string}
			| {readonly type: 'resource-released'; readonly id: string; readonly how: string},
		options?: JournalOptions,
	) => unknown;
};

export function journalResources(journal: ResourceJournal, runId: string): ResourceTracker {
	return {
		runTag: runTagOf(runId),
		register: (spec: ResourceSpec, options: JournalOptions = {}): ResourceHandle => {
			const id = randomBytes(4).toString('hex');
			const needsHost = spec.kind === 'process' || spec.kind === 'server';
			journal.append({type: 'resource-registered', resource: {...spec, ...(needsHost && !spec.host ? {host: os.hostname()} : {}), id, runId}}, options);
			let released = false;
			const sync = spec.kind !== 'process';
			return {
				id,
				name: spec.name,
				update: (patch) => {
					if (!released) journal.append({type: 'resource-updated', id, ...patch}, {sync});
				},
				release: (how, releaseOptions = {}) => {
					if (released) return;
					released = true;
					journal.append({type: 'resource-released', id, how}, {sync: sync && releaseOptions.sync !== false});
				},
			};
		},
	};
}

/** Resources of a state that are still open (created, or about to be, and not released), oldest first. */
export function openResources(state: {readonly resources?: Readonly<Record<string, ResourceRecord>>}): ResourceRecord[] {
	return Object.values(state.resources ?? {})
		.filter((r) => r.status === 'open')
		.sort((a, b) => a.registeredAt.localeCompare(b.registeredAt));
}

/** One line for status, the report and cleanup: `database app_pre_restore_… (12.3 MB) on user@host:5432 — pre-restore copy`. */
export function describeResource(r: ResourceRecord, humanBytes: (n: number) => string): string {
	const size = r.bytes === undefined ? '' : ` (${humanBytes(r.bytes)})`;
	const where = r.server ? ` on ${r.server}` : r.host && r.kind !== 'file' ? ` on host ${r.host}` : '';
	const pid = r.pid === undefined ? '' : ` pid ${r.pid}`;
	return `${r.kind} ${r.name}${pid}${size}${where} — ${r.purpose}${r.holdsData ? ' [holds data: kept until the operator says so]' : ''}`;
}
