/**
 * The plan's timeline against what happened: planned vs actual per timeline
 * row, the T-clock (T-30m … T+60m) with ahead/behind, and progress n/N.
 * Pure functions of the plan, the run state and "now": the TUI, `status`,
 * `watch` and the report all compute the same numbers.
 *
 * T0 is the actual start of the first item of the `+0m` row once it has
 * started; until then it is planned as run start + |earliest offset| (the
 * plan's first row is T-30m, so T0 = run start + 30 min).
 */
import type {Plan, TimelineRow} from '../plan/schema.js';
import type {ItemState, RunState} from './types.js';
import type {RehearsalSummary} from '../rehearsal/file.js';
import {formatShortDuration} from '../text.js';

/** The rehearsal the run carries (data `rehearsal`), when there is one. */
export function rehearsalOf(state: RunState): RehearsalSummary | undefined {
	const value = state.data.rehearsal;
	return value && typeof value === 'object' && value.durations && typeof value.durations === 'object' ? value : undefined;
}

const UNIT_MS = {ms: 1, s: 1000, m: 60_000, h: 3_600_000} as const;

/** "-30m" → -1 800 000, "+4m" → 240 000, "2s" → 2000; NaN when it is not an offset. */
export function parseOffsetMs(text: string): number {
	const match = /^([+-]?)(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
	if (!match) return Number.NaN;
	const [, sign, amount, unit] = match;
	const value = Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
	return sign === '-' ? -value : value;
}

export type TimelineRowStatus = 'planned' | 'running' | 'waiting' | 'done' | 'failed' | 'skipped';

export type TimelineRowView = {
	readonly id: string;
	readonly at: string;
	readonly activity: string;
	readonly owner?: string;
	/** Planned duration as the plan writes it (10m, 2s), when given. */
	readonly duration?: string;
	readonly plannedOffsetMs: number;
	/** The duration the run expects: the rehearsal's prediction when the run carries one, else the plan's. */
	readonly plannedDurationMs: number;
	/** The rehearsed (predicted) duration, when the run carries a rehearsal. */
	readonly rehearsedDurationMs?: number;
	/** The forward items whose `timeline` names this row, in plan order. */
	readonly itemIds: readonly string[];
	readonly status: TimelineRowStatus;
	/** Actual start relative to T0 (when T0 is known and the row started). */
	readonly actualOffsetMs?: number;
	/** Actual duration: to the last end when finished, to now while running. */
	readonly actualDurationMs?: number;
	/** Actual start minus planned start: positive is late, negative is early. */
	readonly deltaMs?: number;
};

export type TClock = {
	/** T0 as epoch milliseconds, when the run has started. */
	readonly t0Ms?: number;
	/** Whether T0 is the actual start of the +0m row (else it is planned). */
	readonly t0Actual: boolean;
	/** Now relative to T0. */
	readonly nowOffsetMs?: number;
	/** "T-12m30s", "T+4m05s", or "T--" before the run started. */
	readonly label: string;
	/** The row the run is in: the first row that is not finished. */
	readonly currentRowId?: string;
	/** Positive: behind the plan; negative: ahead. */
	readonly scheduleDeltaMs?: number;
	/** "on time", "3m behind", "2m ahead", or "" when unknown. */
	readonly scheduleLabel: string;
	/** With a rehearsal: when the run should end (epoch ms), from now plus the rehearsed durations of what is left. */
	readonly predictedEndMs?: number;
};

export type RunProgress = {
	readonly total: number;
	/** Passed or skipped. */
	readonly done: number;
	readonly passed: number;
	readonly skipped: number;
	readonly failed: number;
	readonly running: number;
	readonly waiting: number;
};

function epoch(text: string | undefined): number | undefined {
	if (!text) return undefined;
	const ms = Date.parse(text);
	return Number.isFinite(ms) ? ms : undefined;
}

function itemStart(item: ItemState | undefined): number | undefined {
	return epoch(item?.startedAt) ?? epoch(item?.evidence?.startedAt);
}

function itemEnd(item: ItemState | undefined): number | undefined {
	return epoch(item?.endedAt) ?? epoch(item?.evidence?.endedAt);
}

function forwardItemIds(plan: Plan): string[] {
	return plan.phases.flatMap((phase) => phase.items.map((item) => item.id));
}

function rowItems(plan: Plan, row: TimelineRow): string[] {
	return plan.phases.flatMap((phase) => phase.items.filter((item) => item.timeline === row.id).map((item) => item.id));
}

function zeroRow(plan: Plan): TimelineRow | undefined {
	const rows = plan.timeline.filter((row) => parseOffsetMs(row.at) >= 0);
	rows.sort((a, b) => parseOffsetMs(a.at) - parseOffsetMs(b.at));
	return rows[0];
}

function rowStart(plan: Plan, state: RunState, row: TimelineRow): number | undefined {
	let start: number | undefined;
	for (const id of rowItems(plan, row)) {
		const at = itemStart(state.items[id]);
		if (at !== undefined && (start === undefined || at < start)) start = at;
	}
	return start;
}

/** T0 in epoch ms and whether it is actual (the +0m row started) or planned. */
export function timelineT0(plan: Plan, state: RunState): {readonly t0Ms?: number; readonly actual: boolean} {
	const zero = zeroRow(plan);
	if (zero) {
		const started = rowStart(plan, state, zero);
		if (started !== undefined) return {t0Ms: started - parseOffsetMs(zero.at), actual: true};
	}
	const runStart = epoch(state.startedAt);
	if (runStart === undefined) return {actual: false};
	const earliest = Math.min(0, ...plan.timeline.map((row) => parseOffsetMs(row.at)).filter(Number.isFinite));
	return {t0Ms: runStart - earliest, actual: false};
}

function rowStatus(plan: Plan, state: RunState, itemIds: readonly string[]): TimelineRowStatus {
	if (itemIds.length === 0) return state.status === 'completed' ? 'done' : 'planned';
	const statuses = itemIds.map((id) => state.items[id]?.status ?? 'pending');
	if (statuses.includes('failed')) return 'failed';
	if (statuses.includes('waiting')) return 'waiting';
	if (statuses.includes('running')) return 'running';
	if (statuses.every((s) => s === 'skipped')) return 'skipped';
	if (statuses.every((s) => s === 'passed' || s === 'skipped')) return 'done';
	if (statuses.every((s) => s === 'pending')) return 'planned';
	void plan;
	return 'running';
}

/** Planned vs actual for every row of the plan's timeline, in plan order. */
export function timelineRows(plan: Plan, state: RunState, now: number): TimelineRowView[] {
	const {t0Ms} = timelineT0(plan, state);
	const rehearsed = rehearsalOf(state)?.durations;
	return plan.timeline.map((row) => {
		const itemIds = rowItems(plan, row);
		const status = rowStatus(plan, state, itemIds);
		const plannedOffsetMs = parseOffsetMs(row.at);
		const rehearsedDurationMs = rehearsed?.[row.id];
		const plannedDurationMs = rehearsedDurationMs ?? (row.duration ? Math.max(0, parseOffsetMs(row.duration)) || 0 : 0);
		const start = rowStart(plan, state, row);
		let end: number | undefined;
		if (status === 'done' || status === 'failed' || status === 'skipped') {
			for (const id of itemIds) {
				const at = itemEnd(state.items[id]);
				if (at !== undefined && (end === undefined || at > end)) end = at;
			}
		}
		const view: TimelineRowView = {
			id: row.id,
			at: row.at,
			activity: row.activity,
			...(row.owner === undefined ? {} : {owner: row.owner}),
			...(row.duration === undefined ? {} : {duration: row.duration}),
			plannedOffsetMs,
			plannedDurationMs,
			...(rehearsedDurationMs === undefined ? {} : {rehearsedDurationMs}),
			itemIds,
			status,
		};
		if (start === undefined || t0Ms === undefined) return view;
		const actualOffsetMs = start - t0Ms;
		return {
			...view,
			actualOffsetMs,
			actualDurationMs: Math.max(0, (end ?? now) - start),
			deltaMs: actualOffsetMs - plannedOffsetMs,
		};
	});
}

/** "T-30m", "T+4m05s", "T+0m" (seconds shown when not whole minutes). */
export function formatTOffset(ms: number): string {
	const sign = ms < 0 ? '-' : '+';
	const total = Math.round(Math.abs(ms) / 1000);
	const minutes = Math.floor(total / 60);
	const seconds = total % 60;
	return `T${sign}${minutes}m${seconds === 0 ? '' : `${String(seconds).padStart(2, '0')}s`}`;
}

function scheduleLabel(deltaMs: number | undefined): string {
	if (deltaMs === undefined) return '';
	if (Math.abs(deltaMs) < 60_000) return 'on time';
	const text = formatShortDuration(Math.abs(deltaMs)).replace(/m00s$/, 'm');
	return deltaMs > 0 ? `${text} behind` : `${text} ahead`;
}

/**
 * The T-clock. Ahead/behind is measured at the current row (the first one not
 * finished): before it starts, how far now is past its planned start; while it
 * runs, the later of its late start and its overrun of the planned duration.
 */
export function tClock(plan: Plan, state: RunState, now: number): TClock {
	const {t0Ms, actual} = timelineT0(plan, state);
	if (t0Ms === undefined) return {t0Actual: false, label: 'T--', scheduleLabel: ''};
	const nowOffsetMs = now - t0Ms;
	const rows = timelineRows(plan, state, now);
	const current = rows.find((row) => row.status !== 'done' && row.status !== 'skipped');
	let delta: number | undefined;
	if (current) {
		if (current.actualOffsetMs === undefined) delta = nowOffsetMs - current.plannedOffsetMs;
		else delta = Math.max(current.actualOffsetMs - current.plannedOffsetMs, nowOffsetMs - (current.plannedOffsetMs + current.plannedDurationMs));
	} else {
		const last = [...rows].reverse().find((row) => row.actualOffsetMs !== undefined);
		if (last && last.actualOffsetMs !== undefined) {
			delta = last.actualOffsetMs + (last.actualDurationMs ?? 0) - (last.plannedOffsetMs + last.plannedDurationMs);
		}
	}
	let predictedEndMs: number | undefined;
	if (rehearsalOf(state)) {
		let left = 0;
		for (const row of rows) {
			if (row.status === 'done' || row.status === 'skipped') continue;
			left += row.actualDurationMs === undefined ? row.plannedDurationMs : Math.max(0, row.plannedDurationMs - row.actualDurationMs);
		}
		predictedEndMs = now + left;
	}
	return {
		t0Ms,
		t0Actual: actual,
		nowOffsetMs,
		...(predictedEndMs === undefined ? {} : {predictedEndMs}),
		label: formatTOffset(nowOffsetMs),
		...(current ? {currentRowId: current.id} : {}),
		...(delta === undefined ? {} : {scheduleDeltaMs: delta}),
		scheduleLabel: scheduleLabel(delta),
	};
}

/** Progress over the forward path: done (passed or skipped) of total. */
export function runProgress(plan: Plan, state: RunState): RunProgress {
	const ids = forwardItemIds(plan);
	let passed = 0;
	let skipped = 0;
	let failed = 0;
	let running = 0;
	let waiting = 0;
	for (const id of ids) {
		const status = state.items[id]?.status ?? 'pending';
		if (status === 'passed') passed += 1;
		else if (status === 'skipped') skipped += 1;
		else if (status === 'failed') failed += 1;
		else if (status === 'running') running += 1;
		else if (status === 'waiting') waiting += 1;
	}
	return {total: ids.length, done: passed + skipped, passed, skipped, failed, running, waiting};
}
