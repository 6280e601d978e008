/**
 * The plain renderer (`run --yes`, CI): one line per event, nothing redrawn.
 * Output lines of child processes are prefixed with the item id; progress
 * lines are throttled to one per second per item.
 */
import type {EngineEvent, RunState} from '../state/types.js';

function clock(at: string): string {
	return at.slice(11, 19);
}

/** A run's plain renderer: one line per event (or none); it throttles progress lines per item for this run only. */
export function plainRenderer(): (event: EngineEvent, state: RunState) => string | undefined {
	const last = new Map<string, number>();
	return (event, state) => formatEvent(event, state, last);
}

/** `last`: when the previous progress line of each item was shown. */
function formatEvent(event: EngineEvent, state: RunState, last: Map<string, number>): string | undefined {
	const t = clock(event.at);
	switch (event.type) {
		case 'run-started':
			return `${t} run ${event.runId} of ${event.planTitle} on ${event.target}${event.targetSource ? ` via ${event.targetSource}` : ''}${event.resumed ? ' (resumed)' : ''}`;
		case 'item-started':
			return `${t} ▶ ${event.itemId} (attempt ${event.attempt})`;
		case 'output':
			return `${t}   ${event.itemId} | ${event.line}`;
		case 'progress': {
			const now = Date.parse(event.at);
			if (now - (last.get(event.itemId) ?? 0) < 1000) return undefined;
			last.set(event.itemId, now);
			return `${t}   ${event.itemId} … ${event.message}`;
		}
		case 'waiting':
			return `${t} ⏸ ${event.waiting.itemId}: ${event.waiting.prompt}`;
		case 'item-passed': {
			const e = event.evidence;
			return `${t} ✓ ${event.itemId} (${e.durationMs} ms)${e.actual ? `: ${e.actual.slice(0, 300)}` : ''}${event.note ? ` [${event.note}]` : ''}`;
		}
		case 'item-failed':
			return `${t} ✗ ${event.itemId}: ${event.error}${event.matrixRow ? ` [decision matrix: ${event.matrixRow}]` : ''}`;
		case 'item-skipped':
			return `${t} ↷ ${event.itemId} skipped: ${event.reason}`;
		case 'item-reset':
			return `${t} ↺ ${event.itemId}: ${event.reason}`;
		case 'data':
			return undefined;
		case 'note':
			return `${t} ✎ note: ${event.text}`;
		case 'rollback-started':
			return `${t} ⟲ rollback level ${event.level}: ${event.reason}`;
		// Children come and go with every step: shown only when a leftover of a stopped run is settled.
		case 'resource-registered':
			return event.resource.kind === 'process' ? undefined : `${t} + ${event.resource.kind} ${event.resource.name}: ${event.resource.purpose}`;
		case 'resource-updated':
			return undefined;
		case 'resource-released': {
			const r = state.resources?.[event.id];
			if (r?.kind === 'process' && !event.settled) return undefined;
			return `${t} ${event.settled ? '↺ leftover' : '-'} ${r ? `${r.kind} ${r.name}` : event.id}: ${event.how}`;
		}
		case 'run-stopped': {
			const items = Object.values(state.items);
			const passed = items.filter((i) => i.status === 'passed').length;
			const failed = items.filter((i) => i.status === 'failed').length;
			const skipped = items.filter((i) => i.status === 'skipped').length;
			return `${t} ■ ${event.status}: ${event.message} (${passed} passed, ${failed} failed, ${skipped} skipped)`;
		}
	}
}

export function exitCodeFor(state: RunState): number {
	switch (state.status) {
		case 'completed':
		case 'rolled-back':
			return 0;
		case 'failed':
			return 1;
		case 'stopped-at-gate':
		case 'no-go':
			return 3;
		case 'interrupted':
		case 'quit':
			return 130;
		case 'running':
			return 1;
	}
}
