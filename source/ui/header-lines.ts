/**
 * The header: plan title, target (never a password) and which source chose
 * it, current phase, the T-clock with ahead/behind, progress n/N, elapsed,
 * and the run status.
 *
 * The target is what the operator must never lose sight of at 2 AM: at any
 * width the first line keeps it whole, with its source, and shortens the
 * phase and then the plan title (dropping them when nothing is left).
 */
import type {LoadedPlan} from '../plan/load.js';
import type {RunState} from '../state/types.js';
import {formatTOffset, runProgress, tClock} from '../state/timeline.js';
import type {Glyphs} from './glyphs.js';
import {line, type PaneLine} from './pane-line.js';
import {safeTarget} from './safe-target.js';
import {openResources} from '../state/resources.js';
import {humanBytes} from '../backup/human-bytes.js';
import {formatElapsed, textWidth, truncate} from '../text.js';

export type HeaderInput = {
	readonly plan: LoadedPlan;
	readonly state: RunState;
	readonly target: string;
	/** Which source chose the target: DATABASE_URL, --database-url, PG* variables, service NAME, sandbox. */
	readonly targetSource?: string;
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
	const source = input.targetSource ?? state.targetSource;
	const target = `${safeTarget(input.target || state.target)}${source ? ` via ${source}` : ''}`;
	const first = firstLine({banner: input.watch ? `[${WATCH_BANNER}] ` : '', title, target, phase: `phase: ${currentPhase(plan, state)}`, width, sep, ellipsis: glyphs.ellipsis});
	const clock = tClock(plan.plan, state, now);
	const progress = runProgress(plan.plan, state);
	const elapsed = elapsedMs(state, now);
	const parts = [
		`${clock.label}${clock.t0Ms === undefined ? '' : clock.t0Actual ? ' (T0 actual)' : ' (T0 planned)'}${clock.scheduleLabel ? ` ${clock.scheduleLabel}` : ''}${clock.predictedEndMs !== undefined && clock.t0Ms !== undefined ? `, ends ~${formatTOffset(clock.predictedEndMs - clock.t0Ms)} (rehearsed)` : ''}`,
		`progress ${progress.done}/${progress.total}${progress.failed ? ` (${progress.failed} failed)` : ''}`,
		`elapsed ${elapsed === undefined ? '-' : formatElapsed(elapsed)}`,
		`${state.status}${state.statusMessage && state.status !== 'running' ? `: ${state.statusMessage}` : ''}`,
	];
	// What the run made that holds data (the pre-restore copy) stays in sight until the operator says so: before the status, whose message can be long.
	const kept = openResources(state).filter((r) => r.holdsData);
	if (kept.length > 0) parts.splice(parts.length - 1, 0, `KEPT ${kept.map((r) => `${r.name}${r.bytes === undefined ? '' : ` (${humanBytes(r.bytes)})`}`).join(', ')}: runbook cleanup`);
	const behind = (clock.scheduleDeltaMs ?? 0) >= 60_000;
	const statusTone = state.status === 'completed' ? 'ok' : state.status === 'running' ? (behind ? 'attention' : 'plain') : 'bad';
	return [
		line(first, input.watch ? 'attention' : 'title', {bold: true}),
		line(truncate(parts.join(sep), width, glyphs.ellipsis), statusTone),
	];
}

const MIN_PHASE = 12;
const MIN_TITLE = 8;

/**
 * banner + title · target · phase in `width` columns: the target is never cut
 * (unless it alone is wider than the screen); the phase gives way first, down
 * to a few characters, then the title, then both go.
 */
export function firstLine(input: {banner: string; title: string; target: string; phase: string; width: number; sep: string; ellipsis: string}): string {
	const {banner, title, target, phase, width, sep, ellipsis} = input;
	const whole = `${banner}${title}${sep}${target}${sep}${phase}`;
	if (textWidth(whole) <= width) return whole;
	const fixed = textWidth(banner) + textWidth(target);
	// Room for title and phase, with their two separators.
	let room = width - fixed - 2 * textWidth(sep);
	if (room >= MIN_TITLE + MIN_PHASE) {
		const phaseWidth = Math.max(MIN_PHASE, Math.min(textWidth(phase), room - textWidth(title)));
		const titleWidth = room - phaseWidth;
		return `${banner}${truncate(title, titleWidth, ellipsis)}${sep}${target}${sep}${truncate(phase, phaseWidth, ellipsis)}`;
	}
	// No room for the phase: title · target.
	room = width - fixed - textWidth(sep);
	if (room >= MIN_TITLE) return `${banner}${truncate(title, room, ellipsis)}${sep}${target}`;
	// The target alone (and the watch banner, shortened, when it fits).
	if (banner && width - textWidth(target) >= MIN_TITLE) return `${truncate(banner.trim(), width - textWidth(target) - 1, ellipsis)} ${target}`;
	return truncate(target, width, ellipsis);
}
