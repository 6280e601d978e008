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
