/**
 * Helpers for the SQL tests: apply a file with the real psql the way the
 * runbook does (-X, ON_ERROR_STOP, --single-transaction), capture all of its
 * output, and dump a schema with the real pg_dump.
 */
import {mkdtemp, rm, copyFile, appendFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type {Target} from '../../source/db/target.js';
import {runPsql} from '../../source/proc/psql.js';
import {sqlDir} from '../../source/sandbox/prepare.js';
import {CUSTOMER_TABLES} from './customer-shape.js';

export const MIGRATIONS = [
	'006_add_platform_databases_table.sql',
	'006_enable_rls_with_permissive_policies.sql',
	'006_register_railway_databases.sql',
] as const;

export const ROLLBACK_RLS = 'rollback/006_rollback.sql';
export const ROLLBACK_TABLE = 'rollback/rollback-006.sql';
export const PENDING_007 = 'pending/007_restrictive_rls_policies.sql';
export const PENDING_008 = 'pending/008_databases_no_plaintext_at_rest.sql';

/** The base tables of schema platform once 006 has created platform.databases: the customer's 25 and databases. */
export const PLATFORM_TABLES: readonly string[] = [...Object.keys(CUSTOMER_TABLES), 'databases'].sort();

export type Applied = {
	readonly exitCode: number;
	readonly stdout: readonly string[];
	readonly stderr: readonly string[];
};

export type ApplyOptions = {
	/** Session settings (PGOPTIONS), e.g. app.allow_migration_007. */
	readonly settings?: Readonly<Record<string, string>>;
	/** Commands run before the file, in the same transaction. */
	readonly before?: readonly string[];
	/** psql variables (-v name=value). */
	readonly vars?: Readonly<Record<string, string>>;
};

export async function applyFile(target: Target, file: string, options: ApplyOptions = {}): Promise<Applied> {
	const stdout: string[] = [];
	const stderr: string[] = [];
	const full = path.isAbsolute(file) ? file : path.join(sqlDir, file);
	const result = await runPsql({
		target,
		steps: [...(options.before ?? []).map((command) => ({command})), {file: full}],
		singleTransaction: true,
		settings: options.settings,
		...(options.vars ? {vars: options.vars} : {}),
		applicationName: 'runbook-sql-test',
		onLine: (line) => (line.stream === 'stdout' ? stdout : stderr).push(line.line),
	});
	return {exitCode: result.exitCode, stdout, stderr};
}

/** Applies files in order and throws with psql's output if one fails. */
/** Applies a file and reports what a refusal test compares: psql's exit code, its ERROR lines and the schema after. */
export async function applyAndObserve(target: Target, file: string, options: ApplyOptions = {}): Promise<{exitCode: number; error: string[]; after: string}> {
	const result = await applyFile(target, file, options);
	return {exitCode: result.exitCode, error: result.stderr.filter((l) => l.includes('ERROR')), after: await schemaDump(target)};
}

export async function applyFiles(target: Target, files: readonly string[], options: ApplyOptions = {}): Promise<Applied[]> {
	const results: Applied[] = [];
	for (const file of files) {
		const applied = await applyFile(target, file, options);
		if (applied.exitCode !== 0) throw new Error(`${file} failed (${applied.exitCode}):\n${applied.stderr.join('\n')}`);
		results.push(applied);
	}
	return results;
}

/** How many times psql printed each command tag. */
export function countTags(lines: readonly string[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const line of lines) counts[line] = (counts[line] ?? 0) + 1;
	return counts;
}

/**
 * `pg_dump --schema-only` of the target's database, as text. The random
 * `\restrict` / `\unrestrict` key lines of recent pg_dump releases (15.14+)
 * differ on every run and are dropped.
 */
import {schemaDump} from './db.js';

export {schemaDump};

/** A copy of a migration with a broken statement appended, in a temp dir; returns its path and a cleanup. */
export async function brokenCopy(file: string): Promise<{path: string; cleanup: () => Promise<void>}> {
	const dir = await mkdtemp(path.join(tmpdir(), 'runbook-sql-broken-'));
	const copy = path.join(dir, path.basename(file));
	await copyFile(path.join(sqlDir, file), copy);
	await appendFile(copy, '\nSELEC 1 FROM platform.organizations;\n');
	return {path: copy, cleanup: () => rm(dir, {recursive: true, force: true})};
}


/** Runs `work` in a transaction that is rolled back afterwards, pass or fail: what it writes never reaches another test. */
export async function rolledBack<T>(target: Target, work: (client: pg.Client) => Promise<T>): Promise<T> {
	return withSession(target, async (client) => {
		await client.query('BEGIN');
		try {
			return await work(client);
		} finally {
			await client.query('ROLLBACK');
		}
	});
}

/** Runs `work` on one dedicated client (for session settings and SET ROLE), then closes it. */
export async function withSession<T>(target: Target, work: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client(target.clientConfig({application_name: 'runbook-sql-test'}));
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end();
	}
}
