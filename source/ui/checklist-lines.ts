/**
 * The checklist pane: phases → items, one line each with a status mark and a
 * duration, windowed around the selected item so it fits the height.
 */
import type {PlanEntry} from '../plan/load.js';
import type {ItemStatus, RunState} from '../state/types.js';
import type {Glyphs} from './glyphs.js';
import {itemDurationMs} from './item-duration.js';
import {line, type PaneLine, type Tone} from './pane-line.js';
import {fit, formatShortDuration, textWidth, truncate} from '../text.js';

export const statusTone: Readonly<Record<ItemStatus, Tone>> = {
	passed: 'ok',
	failed: 'bad',
	running: 'active',
	waiting: 'attention',
	pending: 'muted',
	skipped: 'muted',
};

export type ChecklistInput = {
	readonly entries: readonly PlanEntry[];
	readonly state: RunState;
	readonly selectedId: string | undefined;
	readonly width: number;
	readonly height: number;
	readonly glyphs: Glyphs;
	readonly now: number;
};

type Row = {readonly line: PaneLine; readonly itemId?: string};

function itemRow(entry: PlanEntry, input: ChecklistInput): Row {
	const {state, glyphs, width, now} = input;
	const item = state.items[entry.item.id];
	const status = item?.status ?? 'pending';
	const selected = entry.item.id === input.selectedId;
	const duration = itemDurationMs(item, now);
	const right = duration === undefined ? '' : ` ${formatShortDuration(duration)}`;
	const pointer = selected ? glyphs.pointer : ' ';
	const head = `${pointer}${glyphs.mark[status]} `;
	const suffix = status === 'skipped' && item?.skipReason ? ` (skipped: ${item.skipReason})` : '';
	const room = Math.max(1, width - textWidth(head) - textWidth(right));
	const title = fit(`${entry.item.title}${suffix}`, room, glyphs.ellipsis);
	const text = duration === undefined ? truncate(`${head}${entry.item.title}${suffix}`, width, glyphs.ellipsis) : `${head}${title}${right}`;
	return {line: line(text, statusTone[status], {inverse: selected, bold: status === 'running' || status === 'waiting'}), itemId: entry.item.id};
}

export function checklistLines(input: ChecklistInput): PaneLine[] {
	const {entries, width, height, glyphs} = input;
	if (height <= 0) return [];
	const rows: Row[] = [];
	let phase: string | undefined;
	for (const entry of entries) {
		if (entry.phaseId !== phase) {
			phase = entry.phaseId;
			const label = entry.section === 'rollback' ? `Rollback: ${entry.phaseTitle}` : entry.phaseTitle;
			rows.push({line: line(truncate(label, width, glyphs.ellipsis), 'title', {bold: true})});
		}
		rows.push(itemRow(entry, input));
	}
	if (rows.length <= height) return rows.map((row) => row.line);
	// Window around the selection: a third above it, the rest below.
	const selectedIndex = Math.max(0, rows.findIndex((row) => row.itemId !== undefined && row.itemId === input.selectedId));
	let start = Math.max(0, selectedIndex - Math.floor(height / 3));
	start = Math.min(start, rows.length - height);
	const window = rows.slice(start, start + height).map((row) => row.line);
	const hiddenAbove = start;
	const hiddenBelow = rows.length - (start + height);
	if (hiddenAbove > 0 && window.length > 1) window[0] = line(truncate(`${glyphs.more.up} ${hiddenAbove + 1} more`, width, glyphs.ellipsis), 'muted');
	if (hiddenBelow > 0 && window.length > 1) window[window.length - 1] = line(truncate(`${glyphs.more.down} ${hiddenBelow + 1} more`, width, glyphs.ellipsis), 'muted');
	return window;
}
