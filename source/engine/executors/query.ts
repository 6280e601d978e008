/**
 * A query with expectations, over the engine's pg connection. Parameters are
 * bound, never interpolated. `asAppRole` runs it inside a transaction under
 * SET LOCAL ROLE <app role>, then rolls back: RLS applies to that role, not to
 * the owner we are connected as.
 */
import type pg from 'pg';
import type {Param, QueryItem} from '../../plan/schema.js';
import type {ExecContext, Outcome} from '../context.js';
import {evaluateAll} from '../expect.js';
import {redact} from '../../db/target.js';
import {setLocalRole} from '../../probes/run-probe.js';

export async function resolveParams(ctx: ExecContext, params: readonly Param[] | undefined): Promise<unknown[]> {
	const out: unknown[] = [];
	for (const param of params ?? []) {
		if ('value' in param) out.push(param.value);
		else if ('option' in param) out.push(ctx.settings.options[param.option] ?? null);
		else if ('env' in param) out.push(ctx.settings.env[param.env] ?? null);
		else {
			const {rows} = await ctx.client.query(param.sql);
			const first = rows[0] as Record<string, unknown> | undefined;
			out.push(first ? Object.values(first)[0] : null);
		}
	}
	return out;
}

export async function runAsAppRole<T>(client: pg.ClientBase, role: string, fn: () => Promise<T>): Promise<T> {
	await client.query('BEGIN');
	try {
		await setLocalRole(client, role);
		return await fn();
	} finally {
		await client.query('ROLLBACK').catch(() => undefined);
	}
}

export function oneLineSql(sql: string): string {
	return sql.replace(/\s+/g, ' ').trim();
}

function cell(value: unknown): string {
	if (value === null || value === undefined) return 'NULL';
	if (value === true) return 't';
	if (value === false) return 'f';
	if (value instanceof Date) return value.toISOString();
	if (Buffer.isBuffer(value)) return `\\x… (${value.length} bytes)`;
	if (typeof value === 'object') return JSON.stringify(value).slice(0, 80);
	return String(value).slice(0, 80);
}

export function formatRows(rows: readonly Record<string, unknown>[], limit = 30): string[] {
	const lines = rows.slice(0, limit).map((row) => Object.entries(row).map(([k, v]) => `${k}=${cell(v)}`).join('  '));
	if (rows.length > limit) lines.push(`… ${rows.length - limit} more row(s)`);
	return lines;
}

export async function runQuery(ctx: ExecContext<QueryItem>): Promise<Outcome> {
	const item = ctx.item;
	const params = await resolveParams(ctx, item.params);
	const role = item.asAppRole ? ctx.settings.appRole : undefined;
	const exec = () => ctx.client.query(item.sql, params);
	let result: pg.QueryResult;
	try {
		result = role ? await runAsAppRole(ctx.client, role, exec) : await exec();
	} catch (error) {
		const message = redact((error as Error).message, ctx.target.secrets);
		return {
			ok: false,
			evidence: {command: oneLineSql(item.sql), expected: item.expect.map((e) => e.op).join(', '), actual: `ERROR: ${message}`},
			error: `The check query failed: ${message}`,
		};
	}
	const rows = result.rows as Record<string, unknown>[];
	const lines = formatRows(rows);
	for (const line of lines.slice(0, 12)) ctx.output(line);
	const verdict = evaluateAll(item.expect, rows);
	return {
		ok: verdict.ok,
		evidence: {
			command: `${oneLineSql(item.sql)}${role ? `  (as role ${role})` : ''}`,
			expected: verdict.expected,
			actual: verdict.actual,
			outputTail: lines,
		},
		...(verdict.ok ? {} : {error: `Expected ${verdict.expected}; got ${verdict.actual}.`}),
	};
}
