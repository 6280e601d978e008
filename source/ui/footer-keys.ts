/** The keys that apply now, for the footer. */
import type {RunState} from '../state/types.js';

export function footerKeys(state: RunState, options: {readonly watch: boolean; readonly selectedStatus?: string; readonly finished: boolean; readonly waitingSkippable?: boolean}): string {
	if (options.watch) return 'read-only view (watch) · up/down select · Esc follow · ? help · q leave';
	if (options.finished) return `run ${state.status} · q leave`;
	const keys: string[] = [];
	const waiting = state.waiting;
	if (waiting?.reason === 'confirm') keys.push('Enter confirm');
	if (waiting?.reason === 'gate' || waiting?.reason === 'typed-confirm') keys.push(`Enter type ${waiting.expectText ?? 'the word'}`);
	if (waiting?.reason === 'failed' || options.selectedStatus === 'failed') keys.push('r retry');
	if (waiting && options.waitingSkippable !== false) keys.push('s skip');
	keys.push('b rollback', 'n note', 'up/down select', '? help', 'q quit');
	return keys.join(' · ');
}
