/**
 * Exact row counts of every table in a database, in one statement: the server
 * builds each `SELECT count(*) FROM %I.%I` itself with format() and runs it
 * through query_to_xml, so no identifier is ever spliced into SQL text here.
 */
import type pg from 'pg';
import type {Target} from '../db/target.js';
import {withClient} from '../db/connect.js';
import {unquoteQualified} from './qualified-name.js';

export type TableCount = {
	/** `schema.table`, identifiers quoted only where SQL needs it (format %I). */
	readonly table: string;
	readonly rows: number;
};

/**
 * The tables whose data pg_dump dumps: ordinary tables (partitions included,
 * partitioned parents excluded since they hold no rows) outside the system
 * schemas, not members of an extension; optionally only some schemas.
 */
export const DUMPED_TABLES = `
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
	AND n.nspname NOT IN ('pg_catalog', 'information_schema')
	AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
	AND ($1::text[] IS NULL OR n.nspname = ANY ($1::text[]))
	AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;

const COUNT_SQL = `
SELECT format('%I.%I', n.nspname, c.relname) AS "table",
	(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text AS rows
${DUMPED_TABLES}
ORDER BY 1`;

/** Counts with an open client (inside whatever transaction/snapshot it has). */
export async function countRowsWith(client: pg.Client, schemas?: readonly string[]): Promise<TableCount[]> {
	const {rows} = await client.query<{table: string; rows: string}>(COUNT_SQL, [schemas && schemas.length > 0 ? [...schemas] : null]);
	return rows.map((r) => ({table: r.table, rows: Number(r.rows)}));
}

export async function countRows(target: Target, schemas?: readonly string[]): Promise<TableCount[]> {
	return withClient(target, 'runbook-backup', (client) => countRowsWith(client, schemas));
}

export type CountMismatch = {
	readonly table: string;
	/** undefined: the table is missing on that side. */
	readonly expected: number | undefined;
	readonly actual: number | undefined;
};

export type CountComparison = {
	readonly tables: ReadonlyArray<{readonly table: string; readonly expected: number | undefined; readonly actual: number | undefined}>;
	readonly mismatches: readonly CountMismatch[];
};

/** Table lists and counts side by side, sorted by (unquoted) table name; mismatches are missing tables or different counts. */
export function compareCounts(expected: readonly TableCount[], actual: readonly TableCount[]): CountComparison {
	const want = new Map(expected.map((t) => [unquoteQualified(t.table), t.rows]));
	const got = new Map(actual.map((t) => [unquoteQualified(t.table), t.rows]));
	const names = [...new Set([...want.keys(), ...got.keys()])].sort();
	const tables = names.map((table) => ({table, expected: want.get(table), actual: got.get(table)}));
	return {tables, mismatches: tables.filter((t) => t.expected !== t.actual)};
}

export function describeMismatches(mismatches: readonly CountMismatch[], limit = 10): string {
	const parts = mismatches.slice(0, limit).map((m) => {
		if (m.expected === undefined) return `${m.table} is not in the backup but exists (${m.actual} rows)`;
		if (m.actual === undefined) return `${m.table} is missing (${m.expected} rows expected)`;
		return `${m.table} has ${m.actual} rows, ${m.expected} expected`;
	});
	if (mismatches.length > limit) parts.push(`and ${mismatches.length - limit} more`);
	return parts.join('; ');
}
