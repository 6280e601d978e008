/**
 * The items the checklist shows, in order: the forward path, then the items
 * of every rollback level that has started (or that has state), so a rollback
 * in progress is visible in the same pane.
 */
import type {LoadedPlan, PlanEntry} from '../plan/load.js';
import type {RunState} from '../state/types.js';

export function checklistEntries(plan: LoadedPlan, state: RunState): PlanEntry[] {
	const entries = [...plan.forward];
	const startedLevels = new Set(state.rollbacks.map((rollback) => rollback.level));
	for (const entry of plan.byId.values()) {
		if (entry.section === 'forward') continue;
		const started = entry.section === 'rollback' && entry.rollbackLevel !== undefined && startedLevels.has(entry.rollbackLevel);
		if (started || state.items[entry.item.id] !== undefined) entries.push(entry);
	}
	return entries;
}
