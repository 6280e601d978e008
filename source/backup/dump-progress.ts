/**
 * Backup progress a person can read at 2 AM: "table 7 of 23, 120 MiB of
 * ~450 MiB, ETA 1m10s".
 *
 * The total comes from the catalog (pg_table_size of every table pg_dump
 * dumps: heap and TOAST, no indexes, since a dump holds no index data), read
 * in the very snapshot pg_dump dumps. pg_dump --verbose says when it starts
 * each table's data; the tables before it are done. Inside a large table the
 * file's growth is converted back to catalog bytes with the ratio seen so far
 * (file bytes per catalog byte of the finished tables), capped below the
 * table's size, so a single 40 GB audit log still moves.
 */
import type pg from 'pg';
import {unquoteQualified} from './qualified-name.js';
import {DUMPED_TABLES} from './row-counts.js';

export type TableSize = {readonly table: string; readonly bytes: number};

/** The same tables as the row counts: ordinary tables outside system schemas, not extension members. */
const SIZES_SQL = `
SELECT n.nspname || '.' || c.relname AS "table", pg_table_size(c.oid)::text AS bytes
${DUMPED_TABLES}
ORDER BY 1`;

export async function tableSizesWith(client: pg.ClientBase, schemas?: readonly string[]): Promise<TableSize[]> {
	const {rows} = await client.query<{table: string; bytes: string}>(SIZES_SQL, [schemas && schemas.length > 0 ? [...schemas] : null]);
	return rows.map((r) => ({table: r.table, bytes: Number(r.bytes)}));
}

const TABLE_LINE = /dumping contents of table "?(.+?)"?$/;

export function isTableLine(line: string): boolean {
	return TABLE_LINE.test(line);
}

export type DumpEstimate = {
	/** 1-based index of the table being dumped (0 before the data starts). */
	readonly tableIndex: number;
	readonly tableCount: number;
	readonly table?: string;
	/** Catalog bytes dumped so far (estimated inside the current table). */
	readonly doneBytes: number;
	/** Catalog bytes of every table to dump. */
	readonly totalBytes: number;
	/** Time left at the rate of the data dumped so far; undefined until there is a rate. */
	readonly etaMs?: number;
};

export class DumpProgressTracker {
	private readonly sizes: Map<string, number>;
	private readonly totalBytes: number;
	private started = 0;
	private boundaryBytes = 0;
	private current: string | undefined;
	private currentSize = 0;
	private fileAtCurrent = 0;
	private fileAtFirst = 0;
	private dataStartMs: number | undefined;

	/** `prior`: file bytes per catalog byte before any table has finished (1 for plain text, less when compressed). */
	constructor(
		tables: readonly TableSize[],
		private readonly prior: number,
	) {
		this.sizes = new Map(tables.map((t) => [t.table, t.bytes]));
		this.totalBytes = tables.reduce((n, t) => n + t.bytes, 0);
	}

	/** Feed each pg_dump --verbose line, with the file's size and the time when it was read. */
	onLine(line: string, fileBytes: number, nowMs: number): void {
		const match = TABLE_LINE.exec(line);
		if (!match) return;
		const name = unquoteQualified(match[1]!);
		if (this.current !== undefined) this.boundaryBytes += this.currentSize;
		else {
			this.fileAtFirst = fileBytes;
			this.dataStartMs = nowMs;
		}
		this.started += 1;
		this.current = name;
		this.currentSize = this.sizes.get(name) ?? 0;
		this.fileAtCurrent = fileBytes;
	}

	estimate(fileBytes: number, nowMs: number, finished = false): DumpEstimate {
		const tableCount = this.sizes.size;
		if (finished) return {tableIndex: Math.min(this.started, tableCount), tableCount, ...(this.current ? {table: this.current} : {}), doneBytes: this.totalBytes, totalBytes: this.totalBytes, etaMs: 0};
		let inside = 0;
		if (this.current !== undefined) {
			const seen = this.fileAtCurrent - this.fileAtFirst;
			const ratio = this.boundaryBytes > 65_536 && seen > 0 ? seen / this.boundaryBytes : this.prior;
			inside = Math.min(0.95 * this.currentSize, Math.max(0, fileBytes - this.fileAtCurrent) / Math.max(ratio, 1e-6));
		}
		const doneBytes = Math.min(this.totalBytes, this.boundaryBytes + inside);
		const elapsed = this.dataStartMs === undefined ? 0 : nowMs - this.dataStartMs;
		const etaMs = doneBytes > 0 && elapsed > 500 ? Math.round(((this.totalBytes - doneBytes) * elapsed) / doneBytes) : undefined;
		return {
			tableIndex: Math.min(this.started, tableCount),
			tableCount,
			...(this.current ? {table: this.current} : {}),
			doneBytes: Math.round(doneBytes),
			totalBytes: this.totalBytes,
			...(etaMs === undefined ? {} : {etaMs}),
		};
	}
}
