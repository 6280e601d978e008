/**
 * The header: plan title, target (never a password), current phase, the
 * T-clock with ahead/behind, progress n/N, elapsed, and the run status.
 */
import type {LoadedPlan} from '../plan/load.js';
import type {RunState} from '../engine/types.js';
import {formatElapsed, runProgress, tClock} from '../engine/timeline.js';
import type {Glyphs} from './glyphs.js';
import {line, type PaneLine} from './pane-line.js';
import {safeTarget} from './safe-target.js';
import {truncate} from './wrap-text.js';

export type HeaderInput = {
	readonly plan: LoadedPlan;
	readonly state: RunState;
	readonly target: string;
	readonly now: number;
	readonly width: number;
	readonly glyphs: Glyphs;
	readonly watch: boolean;
};

export const WATCH_BANNER = 'read-only view (watch)';

function currentPhase(plan: LoadedPlan, state: RunState): string {
	const current = state.currentItem ? plan.byId.get(state.currentItem) : undefined;
	if (current) return current.section === 'rollback' ? `Rollback: ${current.phaseTitle}` : current.phaseTitle;
	const next = plan.forward.find((entry) => {
		const status = state.items[entry.item.id]?.status ?? 'pending';
		return status !== 'passed' && status !== 'skipped';
	});
	return next?.phaseTitle ?? (plan.forward.length > 0 ? 'all phases done' : '-');
}

function elapsedMs(state: RunState, now: number): number | undefined {
	const start = Date.parse(state.startedAt);
	if (!Number.isFinite(start)) return undefined;
	const end = state.status === 'running' ? now : Date.parse(state.updatedAt);
	return Math.max(0, (Number.isFinite(end) ? end : now) - start);
}

export function headerLines(input: HeaderInput): PaneLine[] {
	const {plan, state, now, width, glyphs} = input;
	const sep = glyphs.separator;
	const title = state.planTitle || plan.plan.title;
	const first = `${input.watch ? `[${WATCH_BANNER}] ` : ''}${title}${sep}${safeTarget(input.target || state.target)}${sep}phase: ${currentPhase(plan, state)}`;
	const clock = tClock(plan.plan, state, now);
	const progress = runProgress(plan.plan, state);
	const elapsed = elapsedMs(state, now);
	const parts = [
		`${clock.label}${clock.t0Ms === undefined ? '' : clock.t0Actual ? ' (T0 actual)' : ' (T0 planned)'}${clock.scheduleLabel ? ` ${clock.scheduleLabel}` : ''}`,
		`progress ${progress.done}/${progress.total}${progress.failed ? ` (${progress.failed} failed)` : ''}`,
		`elapsed ${elapsed === undefined ? '-' : formatElapsed(elapsed)}`,
		`${state.status}${state.statusMessage && state.status !== 'running' ? `: ${state.statusMessage}` : ''}`,
	];
	const behind = (clock.scheduleDeltaMs ?? 0) >= 60_000;
	const statusTone = state.status === 'completed' ? 'ok' : state.status === 'running' ? (behind ? 'attention' : 'plain') : 'bad';
	return [
		line(truncate(first, width, glyphs.ellipsis), input.watch ? 'attention' : 'title', {bold: true}),
		line(truncate(parts.join(sep), width, glyphs.ellipsis), statusTone),
	];
}
