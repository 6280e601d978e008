/**
 * The timeline pane: planned vs actual for each row of the plan's timeline,
 * or, when condensed to one line, the current row and the next.
 */
import type {Plan} from '../plan/schema.js';
import type {RunState} from '../state/types.js';
import {formatTOffset, tClock, timelineRows, type TimelineRowStatus, type TimelineRowView} from '../state/timeline.js';
import type {Glyphs} from './glyphs.js';
import {line, type PaneLine, type Tone} from './pane-line.js';
import {fit, formatShortDuration, truncate} from '../text.js';

export type TimelineInput = {
	readonly plan: Plan;
	readonly state: RunState;
	readonly now: number;
	readonly width: number;
	readonly height: number;
	readonly glyphs: Glyphs;
};

const rowMark: Readonly<Record<TimelineRowStatus, 'passed' | 'failed' | 'running' | 'waiting' | 'pending' | 'skipped'>> = {
	done: 'passed',
	failed: 'failed',
	running: 'running',
	waiting: 'waiting',
	planned: 'pending',
	skipped: 'skipped',
};

const rowTone: Readonly<Record<TimelineRowStatus, Tone>> = {
	done: 'ok',
	failed: 'bad',
	running: 'active',
	waiting: 'attention',
	planned: 'muted',
	skipped: 'muted',
};

function delta(ms: number | undefined): string {
	if (ms === undefined) return '';
	if (Math.abs(ms) < 1000) return '±0';
	return `${ms > 0 ? '+' : '-'}${formatShortDuration(Math.abs(ms))}`;
}

function actual(row: TimelineRowView): string {
	if (row.actualOffsetMs === undefined) return '-';
	return `${formatTOffset(row.actualOffsetMs)} ${formatShortDuration(row.actualDurationMs ?? 0)}`;
}

export function timelineLines(input: TimelineInput): PaneLine[] {
	const {plan, state, now, width, height, glyphs} = input;
	if (height <= 0) return [];
	const rows = timelineRows(plan, state, now);
	const clock = tClock(plan, state, now);
	const currentIndex = rows.findIndex((row) => row.id === clock.currentRowId);
	if (height < 3) {
		const current = rows[currentIndex];
		const next = currentIndex >= 0 ? rows[currentIndex + 1] : undefined;
		if (!current) return [line(truncate(`Timeline: all ${rows.length} rows done${clock.scheduleLabel ? ` (${clock.scheduleLabel})` : ''}`, width, glyphs.ellipsis), 'ok')];
		const parts = [`Timeline ${glyphs.mark[rowMark[current.status]]} ${current.at} ${current.activity}: ${current.rehearsedDurationMs === undefined ? `plan ${current.duration ?? '-'}` : `rehearsed ${formatShortDuration(current.rehearsedDurationMs)}`}, actual ${actual(current)} ${delta(current.deltaMs)}`.trimEnd()];
		if (next) parts.push(`next ${next.at} ${next.activity}`);
		return [line(truncate(parts.join(glyphs.separator), width, glyphs.ellipsis), rowTone[current.status])];
	}
	const atWidth = 6;
	// With a rehearsal the duration column is what the rehearsal measured, not the plan's guess.
	const rehearsed = rows.some((row) => row.rehearsedDurationMs !== undefined);
	const planWidth = rehearsed ? 9 : 5;
	const actualWidth = 14;
	const deltaWidth = 7;
	const activityWidth = Math.max(8, width - (2 + atWidth + planWidth + actualWidth + deltaWidth + 4) - (glyphs.ascii ? 2 : 0));
	const header = `${' '.repeat(glyphs.ascii ? 4 : 2)}${fit('plan', atWidth)} ${fit('activity', activityWidth)} ${fit(rehearsed ? 'rehearsed' : 'dur', planWidth)} ${fit('actual', actualWidth)} ${'delta'}`;
	const body = rows.map((row, index) => {
		const duration = row.rehearsedDurationMs === undefined ? (row.duration ?? '-') : formatShortDuration(row.rehearsedDurationMs);
		const text = `${glyphs.mark[rowMark[row.status]]} ${fit(row.at, atWidth)} ${fit(row.activity, activityWidth, glyphs.ellipsis)} ${fit(duration, planWidth)} ${fit(actual(row), actualWidth)} ${delta(row.deltaMs)}`;
		return line(truncate(text.trimEnd(), width, glyphs.ellipsis), rowTone[row.status], {bold: index === currentIndex});
	});
	const room = height - 1;
	let start = 0;
	if (body.length > room) start = Math.min(Math.max(0, currentIndex - Math.floor(room / 3)), body.length - room);
	return [line(truncate(header, width, glyphs.ellipsis), 'title', {bold: true}), ...body.slice(start, start + room)];
}
