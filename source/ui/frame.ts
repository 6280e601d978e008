/**
 * One frame of the TUI as data: which pane lines go in which fixed-size box,
 * for a terminal size and what the App shows (mode, selection, message).
 * The App draws these blocks with Ink; text-frame.ts writes the same blocks
 * as text before Ink is loaded (the first frame of `runbook` on a database),
 * so the two cannot drift apart: a test compares them.
 */
import type {LoadedPlan, PlanEntry} from '../plan/loaded.js';
import type {ItemStatus, RunState} from '../state/types.js';
import type {DbActivity} from '../db/activity.js';
import {isSkippable} from '../plan/rules.js';
import type {Glyphs} from './glyphs.js';
import {computeLayout, type Layout} from './layout.js';
import {checklistLines} from './checklist-lines.js';
import {detailLines} from './detail-lines.js';
import {dbLines} from './db-lines.js';
import {timelineLines} from './timeline-lines.js';
import {headerLines} from './header-lines.js';
import {helpLines} from './help-lines.js';
import {rollbackMenuLines} from './rollback-menu-lines.js';
import {footerKeys} from './footer-keys.js';
import {line, type PaneLine, type Tone} from './pane-line.js';
import type {UiMode} from './ui-mode.js';
import {checklistEntries} from './checklist-entries.js';
import {databaseName} from './database-name.js';

/** A box of fixed width and height: its lines cut at the edge, missing lines blank. */
export type Cell = {readonly lines: readonly PaneLine[]; readonly width: number; readonly height: number};
/** A full-width box, or boxes side by side. */
export type Block = {readonly kind: 'cell'; readonly cell: Cell} | {readonly kind: 'row'; readonly cells: readonly Cell[]; readonly height: number};

export type Flash = {readonly text: string; readonly tone: Tone};

export type FrameInput = {
	readonly plan: LoadedPlan;
	readonly state: RunState;
	readonly activity?: DbActivity | undefined;
	readonly target: string;
	readonly targetSource?: string | undefined;
	readonly now: number;
	readonly columns: number;
	readonly rows: number;
	readonly glyphs: Glyphs;
	readonly watch: boolean;
	readonly mode: UiMode;
	readonly entries: readonly PlanEntry[];
	readonly selectedId: string | undefined;
	readonly selectedStatus: ItemStatus | undefined;
	readonly flash?: Flash | undefined;
	readonly finished: boolean;
	/** The decision-matrix row the rollback menu highlights. */
	readonly failedRow?: string | undefined;
	readonly databaseName: string;
};

export type Frame = {
	readonly layout: Layout;
	/** Everything above the footer, top to bottom. */
	readonly blocks: readonly Block[];
	/** The footer's two lines; undefined in prompt mode (the App draws the text prompt there). */
	readonly footer: readonly PaneLine[] | undefined;
};

const FINISHED: ReadonlySet<RunState['status']> = new Set(['completed', 'failed', 'stopped-at-gate', 'no-go', 'interrupted', 'quit', 'rolled-back']);

const cell = (lines: readonly PaneLine[], width: number, height: number): Block => ({kind: 'cell', cell: {lines, width, height}});

/** Which item the panes follow: the one waiting, running, or the first not done. */
export function followedItem(entries: readonly PlanEntry[], state: RunState): string | undefined {
	return (
		state.waiting?.itemId ??
		state.currentItem ??
		entries.find((entry) => {
			const status = state.items[entry.item.id]?.status ?? 'pending';
			return status !== 'passed' && status !== 'skipped';
		})?.item.id ??
		entries[entries.length - 1]?.item.id
	);
}

export function buildFrame(input: FrameInput): Frame {
	const {plan, state, glyphs, mode, watch} = input;
	const layout = computeLayout(input.columns, input.rows, plan.plan.timeline.length);
	const header = headerLines({plan, state, target: input.target, ...(input.targetSource ? {targetSource: input.targetSource} : {}), now: input.now, width: layout.width, glyphs, watch});
	const rule = line(glyphs.rule.repeat(layout.width), 'muted');

	let body: PaneLine[] | undefined;
	if (mode.kind === 'help') body = helpLines(watch, layout.width);
	if (mode.kind === 'rollback-menu') {
		body = rollbackMenuLines({plan, highlightRow: input.failedRow, selectedLevel: mode.selectedLevel, databaseName: input.databaseName, width: layout.width, height: layout.bodyHeight, glyphs});
	}
	const selectedEntry = input.entries.find((entry) => entry.item.id === input.selectedId);
	const checklist = checklistLines({entries: input.entries, state, selectedId: input.selectedId, width: layout.checklistWidth, height: layout.checklistHeight, glyphs, now: input.now});
	const detail = detailLines({plan, entry: selectedEntry, state, width: layout.detailWidth, height: layout.detailHeight, glyphs, now: input.now});
	const db = dbLines({activity: input.activity, width: layout.dbWidth, height: layout.dbHeight, glyphs});
	const timeline = timelineLines({plan: plan.plan, state, now: input.now, width: layout.timelineWidth, height: layout.timelineHeight, glyphs});

	const separator = (height: number): Cell => ({lines: Array.from({length: height}, () => line(glyphs.vertical, 'muted')), width: 1, height});
	const gap = (height: number): Cell => ({lines: [], width: 1, height});

	const blocks: Block[] = [cell([...header, rule], layout.width, layout.headerHeight)];
	if (body) blocks.push(cell(body, layout.width, layout.bodyHeight + (layout.kind === 'wide' ? 0 : layout.dbHeight + layout.timelineHeight + 1)));
	else if (layout.kind === 'narrow') blocks.push(cell(checklist, layout.checklistWidth, layout.checklistHeight), cell(detail, layout.detailWidth, layout.detailHeight));
	else {
		blocks.push({
			kind: 'row',
			height: layout.bodyHeight,
			cells: [{lines: checklist, width: layout.checklistWidth, height: layout.bodyHeight}, separator(layout.bodyHeight), gap(layout.bodyHeight), {lines: detail, width: layout.detailWidth, height: layout.bodyHeight}],
		});
	}
	if (layout.kind === 'wide') {
		blocks.push(cell([rule], layout.width, 1), {
			kind: 'row',
			height: layout.dbHeight,
			cells: [{lines: db, width: layout.dbWidth, height: layout.dbHeight}, separator(layout.dbHeight), gap(layout.dbHeight), {lines: timeline, width: layout.timelineWidth, height: layout.timelineHeight}],
		});
	} else if (!body) {
		blocks.push(cell([rule, ...db, ...Array.from({length: Math.max(0, layout.dbHeight - db.length)}, () => line('')), ...timeline], layout.width, 1 + layout.dbHeight + layout.timelineHeight));
	}

	if (mode.kind === 'prompt') return {layout, blocks, footer: undefined};
	const waitingItem = state.waiting ? plan.byId.get(state.waiting.itemId)?.item : undefined;
	const keys = footerKeys(state, {
		watch,
		...(input.selectedStatus === undefined ? {} : {selectedStatus: input.selectedStatus}),
		finished: input.finished || FINISHED.has(state.status),
		...(waitingItem ? {waitingSkippable: isSkippable(waitingItem)} : {}),
	});
	const first: PaneLine =
		mode.kind === 'quit-confirm'
			? line('Quit now? The state is kept and `runbook --resume` continues. y = quit, any other key = stay', 'attention', {bold: true})
			: input.flash
				? line(input.flash.text, input.flash.tone)
				: state.waiting && !watch
					? line(`Waiting: ${state.waiting.prompt}`, 'attention', {bold: true})
					: line(state.statusMessage && state.status !== 'running' ? state.statusMessage : '', 'muted');
	return {layout, blocks, footer: [first, line(keys, 'muted')]};
}

/** What a frame shows: the plan, a state of its run, and the target it runs on. */
export type FrameSubject = {
	readonly plan: LoadedPlan;
	readonly state: RunState;
	readonly target: string;
	readonly targetSource?: string | undefined;
};

/** The App's first frame for a state: the main view, following the run, no message yet. */
export function firstFrameInput(
	input: FrameSubject & {
		readonly activity?: DbActivity | undefined;
		readonly now: number;
		readonly columns: number;
		readonly rows: number;
		readonly glyphs: Glyphs;
		readonly watch?: boolean;
	},
): FrameInput {
	const entries = checklistEntries(input.plan, input.state);
	const selectedId = followedItem(entries, input.state);
	return {
		...input,
		watch: input.watch ?? false,
		mode: {kind: 'main'},
		entries,
		selectedId,
		selectedStatus: selectedId ? (input.state.items[selectedId]?.status ?? 'pending') : undefined,
		finished: false,
		databaseName: databaseName(input.target),
	};
}
