/**
 * A pane is a list of lines computed for a given width and height, so the
 * layout is exact: every pane fits its box at 80×24 and on wide terminals.
 */
export type Tone = 'plain' | 'ok' | 'bad' | 'active' | 'attention' | 'muted' | 'title';

export type PaneLine = {
	readonly text: string;
	readonly tone?: Tone;
	readonly bold?: boolean;
	readonly inverse?: boolean;
};

export function line(text: string, tone: Tone = 'plain', options: {bold?: boolean; inverse?: boolean} = {}): PaneLine {
	return {text, tone, ...options};
}

export type PaneColour = 'green' | 'red' | 'cyan' | 'yellow';

/** How a line is drawn: one rule for the Ink panes (Lines.tsx) and the text first frame (text-frame.ts). */
export type LineStyle = {readonly colour: PaneColour | undefined; readonly dim: boolean; readonly bold: boolean; readonly inverse: boolean};

const TONE_COLOUR: Readonly<Record<Tone, PaneColour | undefined>> = {
	plain: undefined,
	ok: 'green',
	bad: 'red',
	active: 'cyan',
	attention: 'yellow',
	muted: undefined,
	title: undefined,
};

export function lineStyle(paneLine: PaneLine, color: boolean): LineStyle {
	const tone = paneLine.tone ?? 'plain';
	return {colour: color ? TONE_COLOUR[tone] : undefined, dim: color && tone === 'muted', bold: paneLine.bold === true || tone === 'title', inverse: paneLine.inverse === true};
}
