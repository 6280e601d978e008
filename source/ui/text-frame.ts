/**
 * The first frame of `runbook` on a database, written as text before Ink and
 * React are loaded (they take most of the start-up): the same blocks as the
 * App's first render (frame.ts), cut and padded the way Ink's boxes do it
 * (each line cut at its box with `…`, missing lines blank, trailing blanks
 * trimmed). When the TUI starts it erases these lines and draws the same
 * frame in their place (render.ts, `takeOver`), the way Ink replaces one of
 * its own frames. Keys typed meanwhile wait in the terminal: raw mode is set
 * at once, so they are neither echoed nor lost, and the TUI reads them.
 */
import {lineStyle, type PaneColour, type PaneLine} from './pane-line.js';
import type {Cell, Frame} from './frame.js';
import {textWidth, truncate} from '../text.js';

/** The SGR codes of the pane colours, as Ink's Text draws them (chalk's). */
const SGR: Readonly<Record<PaneColour, number>> = {green: 32, red: 31, cyan: 36, yellow: 33};

function styled(text: string, paneLine: PaneLine, color: boolean): string {
	const style = lineStyle(paneLine, color);
	const codes: number[] = [];
	if (style.bold) codes.push(1);
	if (style.dim) codes.push(2);
	if (style.inverse) codes.push(7);
	if (style.colour !== undefined) codes.push(SGR[style.colour]);
	return codes.length === 0 ? text : `\u001B[${codes.join(';')}m${text}\u001B[0m`;
}

/** Row `index` of a box: its line cut to the width (Ink's truncate-end) and padded; blank past its lines. */
function cellRow(cell: Cell, index: number, color: boolean): string {
	if (cell.width <= 0 || cell.height <= 0) return '';
	const paneLine = index < cell.height ? cell.lines[index] : undefined;
	if (!paneLine) return ' '.repeat(cell.width);
	const cut = truncate(paneLine.text === '' ? ' ' : paneLine.text, cell.width);
	return styled(cut, paneLine, color) + ' '.repeat(Math.max(0, cell.width - textWidth(cut)));
}

/** The frame as terminal lines, top to bottom, with colour codes unless `color` is false. */
export function textFrame(frame: Frame, color: boolean): string[] {
	const rows: string[] = [];
	const boxes = [...frame.blocks];
	if (frame.footer) boxes.push({kind: 'cell', cell: {lines: frame.footer, width: frame.layout.width, height: 2}});
	for (const block of boxes) {
		const height = block.kind === 'cell' ? block.cell.height : block.height;
		const cells = block.kind === 'cell' ? [block.cell] : block.cells;
		for (let i = 0; i < height; i++) rows.push(cells.map((c) => cellRow(c, i, color)).join('').replace(/ +$/, ''));
	}
	return rows.slice(0, frame.layout.height);
}

/** What Ink writes to erase `lines` lines it drew (ansi-escapes' eraseLines), cursor left at the first. */
export function eraseLines(lines: number): string {
	let out = '';
	for (let i = 0; i < lines; i++) out += `\u001B[2K${i < lines - 1 ? '\u001B[1A' : ''}`;
	return lines > 0 ? `${out}\u001B[G` : '';
}
