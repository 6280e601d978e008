/**
 * Text for terminals and plain-text tables: display width, cutting, padding,
 * word wrapping and durations, in one place. Widths are terminal columns as
 * `string-width` counts them (a CJK character or an emoji takes two, a
 * combining mark none), and text is cut between graphemes, never inside one,
 * so wide characters line up with the rest. Ink cuts each rendered line as
 * well; these decide what fits.
 */
import stringWidth from 'string-width';
import {eastAsianWidth} from 'get-east-asian-width';

/**
 * Code points that are a grapheme of their own whatever stands beside them,
 * so that a string of them is as wide as the sum of their East Asian widths:
 * the fast path, taken by nearly every line the panes draw (ASCII, the marks,
 * box drawing, CJK). Everything else (combining marks, joiners, variation
 * selectors, emoji outside the BMP, Hangul jamo, controls, unassigned) goes to
 * string-width, grapheme by grapheme. test/ui/text-width.test.ts holds the two
 * equal on every BMP code point this admits, alone and between letters.
 */
const COMPLEX = /[\p{M}\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/** Per BMP code point: 0 not yet known, 1 complex, 2 one column, 3 two columns. */
const simpleWidths = new Uint8Array(0x10000);

/** Columns of a code point that stands alone (the fast path), or undefined when it needs string-width. */
export function simpleWidth(codePoint: number): number | undefined {
	if (codePoint >= 0x10000) return undefined;
	let known = simpleWidths[codePoint]!;
	if (known === 0) {
		const isJamo = (codePoint >= 0x1100 && codePoint <= 0x11ff) || (codePoint >= 0xa960 && codePoint <= 0xa97f) || (codePoint >= 0xd7b0 && codePoint <= 0xd7ff);
		// Thai and Lao AM and the halfwidth voiced marks join the character before them; Malayalam dot reph the one after.
		const joins = codePoint === 0x0e33 || codePoint === 0x0eb3 || codePoint === 0xff9e || codePoint === 0xff9f || codePoint === 0x0d4e;
		known = isJamo || joins || COMPLEX.test(String.fromCodePoint(codePoint)) ? 1 : eastAsianWidth(codePoint) === 2 ? 3 : 2;
		simpleWidths[codePoint] = known;
	}
	return known === 1 ? undefined : known - 1;
}

/** The width by the fast path, or undefined when a code point in the text needs string-width. */
function simpleTextWidth(text: string): number | undefined {
	let width = 0;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code >= 0x20 && code < 0x7f) {
			width += 1;
			continue;
		}
		const w = simpleWidth(code);
		if (w === undefined) return undefined;
		width += w;
	}
	return width;
}

/** Columns the text takes on a terminal. */
export function textWidth(text: string): number {
	return simpleTextWidth(text) ?? stringWidth(text);
}

let segmenter: Intl.Segmenter | undefined;

function graphemes(text: string): string[] {
	// Where every code point is a grapheme of its own, no segmenter is needed (nor created: it costs at start-up).
	if (simpleTextWidth(text) !== undefined) return Array.from(text);
	segmenter ??= new Intl.Segmenter();
	return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** The longest head of the text within `columns`, and the rest. */
function splitAtWidth(text: string, columns: number): [string, string] {
	let used = 0;
	let head = '';
	const parts = graphemes(text);
	let i = 0;
	for (; i < parts.length; i++) {
		const w = textWidth(parts[i]!);
		if (used + w > columns) break;
		used += w;
		head += parts[i];
	}
	return [head, parts.slice(i).join('')];
}

/** Cuts text to `width` columns, ending with the ellipsis when cut. */
export function truncate(text: string, width: number, ellipsis = '…'): string {
	if (width <= 0) return '';
	if (textWidth(text) <= width) return text;
	const room = width - textWidth(ellipsis);
	if (room <= 0) return splitAtWidth(text, width)[0];
	return splitAtWidth(text, room)[0] + ellipsis;
}

/** Cuts text to `width` columns from the left, starting with the ellipsis when cut: keeps the end in view. */
export function truncateStart(text: string, width: number, ellipsis = '…'): string {
	if (width <= 0) return '';
	if (textWidth(text) <= width) return text;
	const room = Math.max(0, width - textWidth(ellipsis));
	const kept: string[] = [];
	let used = 0;
	for (const part of graphemes(text).reverse()) {
		used += textWidth(part);
		if (used > room) break;
		kept.unshift(part);
	}
	return `${room > 0 ? ellipsis : ''}${kept.join('')}`;
}

/** Pads or cuts to exactly `width` columns (one short when a wide character would not fit). */
export function fit(text: string, width: number, ellipsis = '…'): string {
	const cut = truncate(text, width, ellipsis);
	const used = textWidth(cut);
	return used < width ? cut + ' '.repeat(width - used) : cut;
}

/** Pads on the left to `width` columns (never cuts). */
export function padStart(text: string, width: number): string {
	return ' '.repeat(Math.max(0, width - textWidth(text))) + text;
}

/** Pads on the right to `width` columns (never cuts). */
export function padEnd(text: string, width: number): string {
	return text + ' '.repeat(Math.max(0, width - textWidth(text)));
}

/**
 * Fills lines of `width` columns with the words: the first line starts with
 * `first`, the others with `rest`; a word longer than a line is split.
 */
function fillLines(words: readonly string[], width: number, first: string, rest: string): string[] {
	const lines: string[] = [];
	let line = first;
	let hasWord = false;
	for (const word of words) {
		if (hasWord && textWidth(line) + 1 + textWidth(word) <= width) {
			line += ` ${word}`;
			continue;
		}
		if (hasWord) {
			lines.push(line);
			line = rest;
		}
		let remaining = word;
		while (textWidth(line) + textWidth(remaining) > width && textWidth(line) < width) {
			let [head, tail] = splitAtWidth(remaining, width - textWidth(line));
			// A character wider than the room left goes on anyway: the loop must move on.
			if (!head) [head, tail] = [graphemes(remaining)[0] ?? '', graphemes(remaining).slice(1).join('')];
			if (!tail) break;
			lines.push(line + head);
			line = rest;
			remaining = tail;
		}
		line += remaining;
		hasWord = true;
	}
	if (hasWord) lines.push(line);
	return lines;
}

/**
 * Wraps on spaces, keeping the text's own line breaks (tabs count as two
 * spaces; an empty line stays); at most `maxLines`, the last one cut with the
 * ellipsis.
 */
export function wrapText(text: string, width: number, maxLines = Number.POSITIVE_INFINITY, ellipsis = '…'): string[] {
	if (width <= 0 || maxLines <= 0) return [];
	const out: string[] = [];
	for (const paragraph of text.replace(/\t/g, '  ').split('\n')) {
		const words = paragraph.split(/ +/).filter(Boolean);
		out.push(...(words.length === 0 ? [''] : fillLines(words, width, '', '')));
	}
	if (out.length <= maxLines) return out;
	const kept = out.slice(0, maxLines);
	kept[maxLines - 1] = `${truncate(kept[maxLines - 1] ?? '', Math.max(0, width - textWidth(ellipsis)), '')}${ellipsis}`;
	return kept;
}

/**
 * Wraps one paragraph (any whitespace, line breaks too, separates words): the
 * first line starts with `first`, the others with `rest` (default two spaces).
 * No words, no lines.
 */
export function wrapIndented(text: string, width: number, first = '', rest = '  '): string[] {
	return fillLines(text.split(/\s+/).filter(Boolean), width, first, rest);
}

/** A compact duration: 850ms, 12s, 3m05s, 1h02m. */
export function formatShortDuration(ms: number): string {
	if (!Number.isFinite(ms) || ms < 0) return '-';
	if (ms < 1000) return `${Math.round(ms)}ms`;
	const total = Math.round(ms / 1000);
	if (total < 60) return `${total}s`;
	const hours = Math.floor(total / 3600);
	const minutes = Math.floor((total % 3600) / 60);
	const seconds = total % 60;
	if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
	return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

/** Elapsed wall time as H:MM:SS or M:SS. */
export function formatElapsed(ms: number): string {
	const total = Math.max(0, Math.floor(ms / 1000));
	const hours = Math.floor(total / 3600);
	const minutes = Math.floor((total % 3600) / 60);
	const seconds = String(total % 60).padStart(2, '0');
	return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** A duration in words, for the report and the notification: 2.1 s, 14 min 32 s, 1 h 02 min. */
export function formatDuration(ms: number): string {
	if (!Number.isFinite(ms) || ms < 0) return 'unknown';
	if (ms < 1000) return `${Math.round(ms)} ms`;
	if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
	const totalSeconds = Math.round(ms / 1000);
	const hours = Math.floor(totalSeconds / 3600);
	const minutes = Math.floor((totalSeconds % 3600) / 60);
	const seconds = totalSeconds % 60;
	if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`;
	return `${minutes} min ${seconds} s`;
}
