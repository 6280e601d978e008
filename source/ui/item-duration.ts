/** How long an item took (evidence), or has been running (now − start). */
import type {ItemState} from '../state/types.js';

export function itemDurationMs(item: ItemState | undefined, now: number): number | undefined {
	if (!item) return undefined;
	if ((item.status === 'passed' || item.status === 'failed') && item.evidence) return item.evidence.durationMs;
	if ((item.status === 'running' || item.status === 'waiting') && item.startedAt) {
		const start = Date.parse(item.startedAt);
		return Number.isFinite(start) ? Math.max(0, now - start) : undefined;
	}
	return undefined;
}
