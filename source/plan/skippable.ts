import type {Item} from './schema.js';

/** Whether the operator may skip an item with a reason: never a gate or a migration. */
export function isSkippable(item: Item): boolean {
	if (item.kind === 'gate') return false;
	if (item.kind === 'sql-file' && item.migration) return false;
	return item.skippable ?? true;
}
