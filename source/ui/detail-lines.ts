/**
 * The detail pane of the selected (or running) item: what it does and why, the
 * exact command (masked), the live output tail, expected vs actual, the
 * evidence once done, and, when it failed, the error and the decision-matrix
 * row it suggests. A waiting gate shows every GO and NO-GO condition with its
 * evidence. Sections are fitted to the height by priority, then shown in
 * reading order.
 */
import type {LoadedPlan, PlanEntry} from '../plan/load.js';
import type {MatrixRow} from '../plan/schema.js';
import type {GateConditionState, RunState} from '../state/types.js';
import type {Glyphs} from './glyphs.js';
import {itemCommand} from './item-command.js';
import {itemDurationMs} from './item-duration.js';
import {line, type PaneLine, type Tone} from './pane-line.js';
import {statusTone} from './checklist-lines.js';
import {cleanText} from './clean-text.js';
import {countRun, countsLine, probeLines, runOf} from '../probes/summary.js';
import {formatShortDuration, truncate, wrapText} from '../text.js';

export type DetailInput = {
	readonly plan: LoadedPlan;
	readonly entry: PlanEntry | undefined;
	readonly state: RunState;
	readonly width: number;
	readonly height: number;
	readonly glyphs: Glyphs;
	readonly now: number;
};

type Section = {
	/** Display order. */
	readonly order: number;
	/** Lower is kept first when the height is short. */
	readonly priority: number;
	readonly lines: readonly PaneLine[];
	/** Keep the last lines (an output tail) rather than the first. */
	readonly keepEnd?: boolean;
	/** A heading kept with the lines (not counted as content). */
	readonly heading?: PaneLine;
};

export function matrixRowFor(plan: LoadedPlan, id: string | undefined): MatrixRow | undefined {
	if (!id) return undefined;
	return plan.plan.decisionMatrix.find((row) => row.id === id);
}

function wrapped(text: string, width: number, tone: Tone, maxLines: number, glyphs: Glyphs, prefix = ''): PaneLine[] {
	return wrapText(`${prefix}${text}`, width, maxLines, glyphs.ellipsis).map((t) => line(t, tone));
}

function conditionLines(conditions: readonly GateConditionState[], width: number, glyphs: Glyphs, roomy: boolean): PaneLine[] {
	const out: PaneLine[] = [];
	for (const condition of conditions) {
		const good = condition.side === 'go' ? condition.holds : !condition.holds;
		const warn = Boolean(condition.warning) && !good;
		const mark = good ? glyphs.mark.passed : warn ? glyphs.mark.waiting : glyphs.mark.failed;
		const side = warn ? 'WARN ' : condition.side === 'go' ? 'GO   ' : 'NO-GO';
		const state = warn ? 'WARNING (does not block GO)' : condition.side === 'go' ? (condition.holds ? 'holds' : 'NOT MET') : condition.holds ? 'PRESENT' : 'absent';
		const evidence = condition.attest && !/attest/i.test(condition.evidence) ? `${condition.evidence} (attested by typing the word)` : condition.evidence;
		if (roomy) {
			out.push(line(truncate(`${side} ${mark} ${condition.text}`, width, glyphs.ellipsis), good ? 'ok' : warn ? 'attention' : 'bad', {bold: !good}));
			out.push(line(truncate(`        ${state}: ${evidence}`, width, glyphs.ellipsis), good ? 'muted' : warn ? 'attention' : 'bad'));
		} else {
			out.push(line(truncate(`${side} ${mark} ${condition.text} ${glyphs.arrow} ${state}: ${evidence}`, width, glyphs.ellipsis), good ? 'ok' : warn ? 'attention' : 'bad', {bold: !good}));
		}
	}
	return out;
}

function dataLines(plan: LoadedPlan, entry: PlanEntry, state: RunState, width: number, glyphs: Glyphs): PaneLine[] {
	const out: PaneLine[] = [];
	if (entry.item.kind === 'backup') {
		const backup = state.data.backup;
		if (backup) {
			out.push(line(truncate(`Backup: ${backup.file ?? '?'}`, width, glyphs.ellipsis), 'ok'));
			const size = backup.bytes === undefined ? '?' : `${backup.bytes} bytes`;
			out.push(line(truncate(`  ${size}${glyphs.separator}${backup.format ?? ''}${glyphs.separator}sha256 ${backup.sha256 ?? '?'}`, width, glyphs.ellipsis), 'muted'));
		}
	}
	if (entry.item.kind === 'baseline' && entry.item.compare) {
		const comparison = state.data['baseline-comparison'];
		if (comparison) {
			out.push(line(`Baseline comparison: ${comparison.ok ? 'within limits' : 'REGRESSION'}`, comparison.ok ? 'ok' : 'bad', {bold: true}));
			for (const row of comparison.table) out.push(line(truncate(String(row), width, glyphs.ellipsis), 'plain'));
		}
	}
	if (entry.item.kind === 'probes') {
		const run = runOf(state.data, entry.item.id);
		if (run) {
			const counts = countRun(plan.plan.probes.length, run);
			out.push(line(truncate(`Probes: ${countsLine(counts, run)}`, width, glyphs.ellipsis), counts.changed > 0 ? 'bad' : 'ok', {bold: true}));
			for (const l of probeLines(plan.plan.probes, run)) out.push(line(truncate(l, width, glyphs.ellipsis), /^ {2}✗/.test(l) ? 'bad' : /^ {2}NOT READY/.test(l) ? 'attention' : 'plain'));
		} else {
			out.push(line(truncate(`Probes: ${plan.plan.probes.length} in the plan; not run yet`, width, glyphs.ellipsis), 'muted'));
		}
	}
	const signoff = state.data['signoff'];
	if (entry.item.id.includes('signoff') && signoff !== undefined) {
		out.push(line(truncate(`Sign-off: ${typeof signoff === 'string' ? signoff : JSON.stringify(signoff)}`, width, glyphs.ellipsis), 'ok'));
	}
	return out;
}

function fitSections(sections: readonly Section[], height: number): PaneLine[] {
	const budget = new Map<Section, number>();
	let left = height;
	for (const section of [...sections].sort((a, b) => a.priority - b.priority)) {
		if (section.lines.length === 0) continue;
		const headingCost = section.heading ? 1 : 0;
		if (left <= headingCost) continue;
		const take = Math.min(section.lines.length, left - headingCost);
		budget.set(section, take);
		left -= take + headingCost;
	}
	const out: PaneLine[] = [];
	for (const section of [...sections].sort((a, b) => a.order - b.order)) {
		const take = budget.get(section);
		if (take === undefined) continue;
		if (section.heading) out.push(section.heading);
		out.push(...(section.keepEnd ? section.lines.slice(section.lines.length - take) : section.lines.slice(0, take)));
	}
	return out;
}

export function detailLines(input: DetailInput): PaneLine[] {
	const {plan, entry, state, width, height, glyphs, now} = input;
	if (height <= 0) return [];
	if (!entry) return [line('No item selected.', 'muted')];
	const {item} = entry;
	const itemState = state.items[item.id];
	const status = itemState?.status ?? 'pending';
	const sections: Section[] = [];
	const title = truncate(`${glyphs.mark[status]} ${item.title}`, width, glyphs.ellipsis);
	const meta = [item.id, item.kind, status];
	if (itemState && itemState.attempts > 1) meta.push(`attempt ${itemState.attempts}`);
	const duration = itemDurationMs(itemState, now);
	if (duration !== undefined) meta.push(formatShortDuration(duration));
	if (itemState?.evidence?.exitCode !== undefined) meta.push(`exit ${itemState.evidence.exitCode}`);
	sections.push({order: 0, priority: 0, lines: [line(title, statusTone[status], {bold: true}), line(truncate(meta.join(glyphs.separator), width, glyphs.ellipsis), 'muted')]});

	if (status === 'failed') {
		sections.push({order: 1, priority: 1, lines: wrapped(itemState?.error ?? 'failed', width, 'bad', 3, glyphs, 'Error: ')});
		const row = matrixRowFor(plan, itemState?.matrixRow ?? item.onFailure);
		if (row) {
			const action = row.rollback ? `rollback level ${row.level ?? '?'} (b)` : 'no rollback';
			sections.push({order: 2, priority: 1, lines: wrapped(`[${row.severity}] ${row.issue} ${glyphs.arrow} ${row.procedure} ${glyphs.arrow} ${action}`, width, 'attention', 3, glyphs, 'Suggested: ')});
		}
	}

	const waiting = state.waiting?.itemId === item.id ? state.waiting : undefined;
	if (waiting) {
		sections.push({order: 3, priority: 1, lines: wrapped(waiting.prompt, width, 'attention', 3, glyphs)});
		if (waiting.conditions && waiting.conditions.length > 0) {
			const roomy = waiting.conditions.length * 2 + 8 <= height;
			sections.push({order: 4, priority: 1, lines: conditionLines(waiting.conditions, width, glyphs, roomy)});
		}
	}
	const preview = item.kind === 'gate' ? state.data['gate-preview'] : undefined;
	if (preview?.lines && preview.lines.length > 0) {
		sections.push({order: 4, priority: 2, lines: preview.lines.map((text) => line(truncate(text, width, glyphs.ellipsis), /^\s+FLAG /.test(text) ? 'attention' : 'plain', {bold: /^\s+FLAG /.test(text)}))});
	}

	if (status === 'skipped' && itemState?.skipReason) sections.push({order: 5, priority: 1, lines: wrapped(itemState.skipReason, width, 'muted', 2, glyphs, 'Skipped: ')});
	if (itemState?.note) sections.push({order: 5, priority: 4, lines: wrapped(itemState.note, width, 'muted', 2, glyphs, 'Note: ')});
	if (item.why) sections.push({order: 6, priority: 5, lines: wrapped(item.why, width, 'plain', 4, glyphs, 'Why: ')});
	if (item.correction) sections.push({order: 7, priority: 6, lines: wrapped(item.correction, width, 'muted', 2, glyphs, 'Correction: ')});
	if (item.kind === 'manual' && !waiting) sections.push({order: 7, priority: 3, lines: wrapped(item.prompt, width, 'plain', 2, glyphs, 'Do: ')});
	const command = itemCommand(item, itemState);
	if (command) sections.push({order: 8, priority: 2, lines: wrapped(command, width, 'plain', 2, glyphs, '$ ')});
	const expected = itemState?.evidence?.expected;
	const actual = itemState?.evidence?.actual;
	const expectLines: PaneLine[] = [];
	if (expected !== undefined) expectLines.push(line(truncate(`Expected: ${expected}`, width, glyphs.ellipsis), 'plain'));
	if (actual !== undefined) expectLines.push(line(truncate(`Actual:   ${actual}`, width, glyphs.ellipsis), status === 'failed' ? 'bad' : 'ok'));
	sections.push({order: 9, priority: 1, lines: expectLines});
	if (itemState?.progress) sections.push({order: 10, priority: 2, lines: [line(truncate(`Progress: ${itemState.progress}`, width, glyphs.ellipsis), 'active')]});
	sections.push({order: 11, priority: 3, lines: dataLines(plan, entry, state, width, glyphs)});

	const live = status === 'running' || status === 'waiting';
	const tail = (live ? itemState?.liveTail : itemState?.evidence?.outputTail) ?? itemState?.liveTail ?? [];
	if (tail.length > 0) {
		sections.push({
			order: 12,
			priority: live ? 2 : 4,
			keepEnd: true,
			heading: line(live ? 'Output (live):' : 'Output (last lines):', 'title', {bold: true}),
			lines: tail.map((text) => line(truncate(`  ${cleanText(text)}`, width, glyphs.ellipsis), status === 'failed' ? 'bad' : 'muted')),
		});
	}
	return fitSections(sections, height);
}
