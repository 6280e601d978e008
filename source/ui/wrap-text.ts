/**
 * Word wrapping and truncation by character count, for pane lines. Ink
 * truncates each rendered line as well, so a wide character can never push a
 * line past its box; these helpers only decide what fits.
 */

/** Cuts text to width, ending with the ellipsis when cut. */
export function truncate(text: string, width: number, ellipsis = '…'): string {
	if (width <= 0) return '';
	const chars = [...text];
	if (chars.length <= width) return text;
	if (width <= ellipsis.length) return chars.slice(0, width).join('');
	return chars.slice(0, width - ellipsis.length).join('') + ellipsis;
}

/** Pads or cuts to exactly width characters. */
export function fit(text: string, width: number, ellipsis = '…'): string {
	const cut = truncate(text, width, ellipsis);
	const length = [...cut].length;
	return length < width ? cut + ' '.repeat(width - length) : cut;
}

/** Wraps on spaces (hard-splitting long words); at most maxLines, the last one cut with the ellipsis. */
export function wrapText(text: string, width: number, maxLines = Number.POSITIVE_INFINITY, ellipsis = '…'): string[] {
	if (width <= 0 || maxLines <= 0) return [];
	const out: string[] = [];
	for (const paragraph of text.replace(/\t/g, '  ').split('\n')) {
		let current = '';
		for (const word of paragraph.split(/ +/)) {
			let rest = word;
			while ([...rest].length > width) {
				if (current) {
					out.push(current);
					current = '';
				}
				out.push([...rest].slice(0, width).join(''));
				rest = [...rest].slice(width).join('');
			}
			if (!current) current = rest;
			else if ([...current].length + 1 + [...rest].length <= width) current += ` ${rest}`;
			else {
				out.push(current);
				current = rest;
			}
		}
		out.push(current);
	}
	if (out.length <= maxLines) return out;
	const kept = out.slice(0, maxLines);
	const last = kept[maxLines - 1] ?? '';
	kept[maxLines - 1] = `${truncate(last, Math.max(0, width - ellipsis.length), '')}${ellipsis}`;
	return kept;
}
