/**
 * The rollback menu: the plan's decision matrix with the row that matches the
 * failure highlighted, then the rollback levels with what each does and what
 * must be typed to start it.
 */
import type {LoadedPlan} from '../plan/load.js';
import {rollbackConfirmWord} from '../plan/rules.js';
import type {Glyphs} from './glyphs.js';
import {line, type PaneLine} from './pane-line.js';
import {truncate} from '../text.js';

export type RollbackMenuInput = {
	readonly plan: LoadedPlan;
	/** The decision-matrix row the failure suggests. */
	readonly highlightRow?: string;
	readonly selectedLevel: number;
	readonly databaseName: string;
	readonly width: number;
	readonly height: number;
	readonly glyphs: Glyphs;
};

export function rollbackMenuLines(input: RollbackMenuInput): PaneLine[] {
	const {plan, highlightRow, width, height, glyphs} = input;
	const cut = (text: string) => truncate(text, width, glyphs.ellipsis);
	const matrix = plan.plan.decisionMatrix;
	const levels = plan.plan.rollback;
	const levelLines: PaneLine[] = [line('Rollback levels (press 1-3, or arrows and Enter; Esc closes):', 'title', {bold: true})];
	for (const level of levels) {
		const selected = level.level === input.selectedLevel;
		const word = rollbackConfirmWord(level, input.databaseName);
		levelLines.push(
			line(cut(`${selected ? glyphs.pointer : ' '}${level.level}. ${level.title} (type ${JSON.stringify(word)} to start)`), selected ? 'attention' : 'plain', {bold: selected, inverse: selected}),
		);
		if (level.why) levelLines.push(line(cut(`     ${level.why.replace(/\s+/g, ' ')}`), 'muted'));
	}
	if (levels.length === 0) levelLines.push(line('The plan defines no rollback levels.', 'bad'));
	const matrixHeading = line(cut(`Decision matrix${highlightRow ? ` (suggested row ${glyphs.pointer} ${highlightRow})` : ''}:`), 'title', {bold: true});
	const rows = matrix.map((row) => {
		const suggested = row.id === highlightRow;
		const action = row.rollback ? `rollback level ${row.level ?? '?'}` : 'no rollback';
		return line(cut(`${suggested ? glyphs.pointer : ' '}[${row.severity}] ${row.issue} ${glyphs.arrow} ${action}: ${row.procedure.replace(/\s+/g, ' ')}`), suggested ? 'bad' : 'plain', {bold: suggested, inverse: suggested});
	});
	// Keep every level; give the matrix what is left, windowed around the suggestion.
	let levelPart = levelLines;
	if (levelPart.length > height - 2) levelPart = levelLines.filter((l, i) => i === 0 || !l.text.startsWith('     '));
	const room = Math.max(1, height - levelPart.length - 2);
	let start = 0;
	const index = matrix.findIndex((row) => row.id === highlightRow);
	if (rows.length > room && index >= 0) start = Math.min(Math.max(0, index - Math.floor(room / 2)), rows.length - room);
	return [matrixHeading, ...rows.slice(start, start + room), line(''), ...levelPart].slice(0, height);
}
