/** Word wrapping for the plain-text tables and reports (no ANSI, one character per column). */

/**
 * Word-wraps one paragraph to `width`: the first line starts with `first`,
 * the others with `rest` (default two spaces). A word longer than a line is cut.
 */
export function wrap(text: string, width: number, first = '', rest = '  '): string[] {
	const lines: string[] = [];
	let line = first;
	let empty = true;
	for (const word of text.split(/\s+/).filter(Boolean)) {
		const candidate = empty ? `${line}${word}` : `${line} ${word}`;
		if (candidate.length > width && !empty) {
			lines.push(line);
			line = `${rest}${word}`;
		} else {
			line = candidate;
		}
		empty = false;
		while (line.length > width && rest.length < width) {
			lines.push(line.slice(0, width));
			line = `${rest}${line.slice(width)}`;
		}
	}
	if (!empty) lines.push(line);
	return lines;
}
