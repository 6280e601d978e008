/**
 * Resuming a run: first what the stopped run created and did not release
 * (settled: dropped, killed, removed, or left in place with a note), then the
 * items it was in the middle of. A SQL file is looked up in the ledger by its
 * execution id (after any orphaned psql finished); an interrupted backup is
 * discarded and redone; anything else runs again.
 */
import type pg from 'pg';
import type {LoadedPlan} from '../plan/load.js';
import type {StateStore} from '../state/store.js';
import {openResources, describeResource, type ResourceRecord} from '../state/resources.js';
import {executionCommitted, waitForInflight} from '../db/ledger.js';
import {humanBytes} from '../backup/human-bytes.js';
import {settleLeftovers} from './leftovers.js';
import {reconcileInterrupted} from './executors/index.js';
import type {RunSettings} from './context.js';
import type {Target} from '../db/target.js';

export type ResumeInput = {
	readonly plan: LoadedPlan;
	readonly target: Target;
	readonly settings: RunSettings;
	readonly store: StateStore;
	readonly client: pg.Client;
	/** The operator's word on what holds data (the pre-restore copy); default: kept and listed. */
	readonly decideLeftover?: (resource: ResourceRecord) => Promise<'drop' | 'forget' | 'keep'>;
};

export async function reconcileOnResume(input: ResumeInput): Promise<void> {
	await settlePrevious(input);
	await reconcileItems(input);
}

/** What the run created before it stopped and did not release: settled before anything else runs. */
async function settlePrevious({target, settings, store, decideLeftover}: ResumeInput): Promise<void> {
	const open = openResources(store.current);
	if (open.length === 0) return;
	const outcomes = await settleLeftovers(open, {
		target,
		...(settings.testTarget ? {testTarget: settings.testTarget} : {}),
		release: (id, how) => store.append({type: 'resource-released', id, how, settled: true}),
		update: (id, patch) => store.append({type: 'resource-updated', id, ...patch}),
		...(decideLeftover ? {decide: decideLeftover} : {}),
		log: (line) => store.append({type: 'note', text: line}),
	});
	for (const o of outcomes.filter((x) => x.outcome !== 'released')) {
		store.append({type: 'note', text: `left in place: ${describeResource(o.resource, humanBytes)}; ${o.how}`});
	}
}

/** The items that were running or waiting when the run stopped: each passed (from the ledger) or reset to run again. */
async function reconcileItems({plan, settings, store, client}: ResumeInput): Promise<void> {
	const interrupted = Object.entries(store.current.items).filter(([, s]) => s.status === 'running' || s.status === 'waiting');
	if (interrupted.length === 0) return;
	await waitForInflight(client, plan.plan.id, 60_000);
	for (const [itemId, itemState] of interrupted) {
		const entry = plan.byId.get(itemId);
		if (!entry) continue;
		if (itemState.status === 'waiting') {
			store.append({type: 'item-reset', itemId, reason: 'was waiting for the operator when the run stopped'});
			continue;
		}
		if (entry.item.kind === 'sql-file' && itemState.executionId) {
			if (await executionCommitted(client, itemState.executionId)) {
				const at = new Date().toISOString();
				store.append({type: 'item-passed', itemId, evidence: {command: entry.item.file, expected: 'committed exactly once', actual: `committed before the interruption (ledger: execution ${itemState.executionId})`, startedAt: itemState.startedAt ?? at, endedAt: at, durationMs: 0}, note: 'reconciled from the ledger after an interruption'});
			} else {
				store.append({type: 'item-reset', itemId, reason: 'interrupted before commit: its transaction rolled back (not in the ledger); it will run again'});
			}
			continue;
		}
		store.append({type: 'item-reset', itemId, reason: await reconcileInterrupted(entry, itemState, settings)});
	}
}
