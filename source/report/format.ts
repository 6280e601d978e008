/** Small text helpers shared by the notification and the report renderers. */

/** Planned minutes as the plan writes them: 10m, 2s, 1h. */
export function formatPlannedMinutes(minutes: number): string {
	if (!Number.isFinite(minutes) || minutes < 0) return '-';
	if (minutes === 0) return '-';
	if (minutes < 1) return `${Math.round(minutes * 60)}s`;
	if (minutes >= 60 && minutes % 60 === 0) return `${minutes / 60}h`;
	return `${Math.round(minutes * 10) / 10}m`;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS UTC`; a bare date and other text unchanged. */
export function formatInstant(text: string): string {
	if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
	const date = parseInstant(text);
	if (date === undefined) return text;
	return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** An ISO time as `HH:MM:SS`; other text unchanged. */
export function formatClock(text: string): string {
	const date = parseInstant(text);
	if (date === undefined) return text;
	return date.toISOString().slice(11, 19);
}

export function parseInstant(text: string): Date | undefined {
	if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
	const date = new Date(text);
	return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Milliseconds between two ISO times, undefined when either is missing or unparsable. */
export function between(start: string | undefined, end: string | undefined): number | undefined {
	if (start === undefined || end === undefined) return undefined;
	const a = parseInstant(start);
	const b = parseInstant(end);
	if (a === undefined || b === undefined) return undefined;
	return b.getTime() - a.getTime();
}

/** A Markdown table cell: pipes escaped, newlines as <br>, long text cut. */
export function cell(text: string | number | null | undefined, max = 300): string {
	if (text === null || text === undefined || text === '') return '-';
	let out = String(text).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
	if (out.length > max) out = `${out.slice(0, max - 1)}…`;
	return out;
}

export function table(columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
	const head = `| ${columns.map((c) => cell(c)).join(' | ')} |`;
	const rule = `|${columns.map(() => '---').join('|')}|`;
	const body = rows.map((row) => `| ${columns.map((_, i) => cell(row[i])).join(' | ')} |`);
	return [head, rule, ...body].join('\n');
}

export function plural(count: number, one: string, many: string): string {
	return `${count} ${count === 1 ? one : many}`;
}
