/**
 * Row counts straight from a dump's SQL text: in pg_dump's COPY text format
 * every row is exactly one line (newlines in values are escaped as \n), from
 * `COPY <table> (…) FROM stdin;` to the line `\.`. Fed line by line, so a
 * dump of any size is counted in constant memory.
 */
import {unquoteQualified} from './qualified-name.js';
import type {TableCount} from './row-counts.js';

export const COPY_LINE = /^COPY ((?:"(?:[^"]|"")*"|[^\s"])+) (?:\(.*\) )?FROM stdin;$/;

export class CopyCounter {
	private readonly counts = new Map<string, number>();
	private current: string | undefined;

	push(line: string): void {
		if (this.current !== undefined) {
			if (line === '\\.') this.current = undefined;
			else this.counts.set(this.current, (this.counts.get(this.current) ?? 0) + 1);
			return;
		}
		const match = COPY_LINE.exec(line);
		if (match?.[1]) {
			this.current = unquoteQualified(match[1]);
			this.counts.set(this.current, this.counts.get(this.current) ?? 0);
		}
	}

	/** Tables (unquoted `schema.table`) with their row counts, sorted. */
	result(): TableCount[] {
		return [...this.counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([table, rows]) => ({table, rows}));
	}
}
