/**
 * What must hold before a backup starts, so it fails in the first second
 * rather than after nine minutes: room for the dump in the backup directory,
 * and a role that can read every table pg_dump will read.
 */
import {statfs} from 'node:fs/promises';
import type {Target} from '../db/target.js';
import {UserError} from '../errors.js';
import {firstFailure, type BackupCheck} from './check.js';
import {withClient} from '../db/connect.js';
import {humanBytes} from './human-bytes.js';

export type PrecheckResult = {
	readonly ok: boolean;
	readonly checks: readonly BackupCheck[];
	/** `name: detail` of the first failed check. */
	readonly reason?: string;
};

/** Free space required, as a multiple of the database size. */
export const DEFAULT_SPACE_FACTOR = 1.5;

export type FreeSpace = {readonly freeBytes: number; readonly totalBytes: number};

/** Space available to us (not to root's reserve) on the filesystem holding `dir`. */
export async function freeSpace(dir: string): Promise<FreeSpace> {
	const info = await statfs(dir);
	return {freeBytes: info.bavail * info.bsize, totalBytes: info.blocks * info.bsize};
}

/** The pure rule: free >= factor × database size. */
export function diskSpaceCheck(input: {
	readonly dir: string;
	readonly freeBytes: number;
	readonly databaseBytes: number;
	readonly factor?: number;
}): BackupCheck {
	const factor = input.factor ?? DEFAULT_SPACE_FACTOR;
	const needed = Math.ceil(input.databaseBytes * factor);
	const ok = input.freeBytes >= needed;
	const sizes = `${humanBytes(input.freeBytes)} free in ${input.dir}, database is ${humanBytes(input.databaseBytes)}, ${factor}× that is ${humanBytes(needed)}`;
	return {
		name: 'disk-space',
		ok,
		detail: ok ? sizes : `not enough space for the backup: ${sizes}. Free space there or choose another backup directory.`,
	};
}

export async function databaseSize(target: Target): Promise<number> {
	return withClient(target, 'runbook-backup', async (client) => {
		const {rows} = await client.query<{size: string}>('SELECT pg_database_size(current_database())::text AS size');
		return Number(rows[0]?.size ?? 0);
	});
}

export async function checkDiskSpace(input: {readonly target: Target; readonly dir: string; readonly factor?: number}): Promise<BackupCheck> {
	const [{freeBytes}, databaseBytes] = await Promise.all([freeSpace(input.dir), databaseSize(input.target)]);
	return diskSpaceCheck({dir: input.dir, freeBytes, databaseBytes, factor: input.factor});
}

type UnreadableRow = {name: string; kind: string; reason: 'schema-usage' | 'select'};
type RlsRow = {name: string; forced: boolean};

/**
 * Relations whose data pg_dump reads (tables and sequences outside the system
 * schemas, not members of an extension) that the connecting role cannot
 * read: no USAGE on the schema, or no SELECT on the relation.
 */
const UNREADABLE_SQL = `
SELECT format('%I.%I', n.nspname, c.relname) AS name,
	CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END AS kind,
	CASE WHEN NOT has_schema_privilege(n.oid, 'USAGE') THEN 'schema-usage' ELSE 'select' END AS reason
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'S')
	AND n.nspname NOT IN ('pg_catalog', 'information_schema')
	AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
	AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
	AND (NOT has_schema_privilege(n.oid, 'USAGE') OR NOT has_table_privilege(c.oid, 'SELECT'))
ORDER BY 1`;

/**
 * Tables with row-level security that apply to the connecting role. pg_dump
 * runs with row_security = off, and then PostgreSQL raises an error rather
 * than silently return fewer rows for any table whose policies would apply:
 * every table with RLS enabled, unless the role is a superuser, has
 * BYPASSRLS, or owns the table (and the table does not FORCE row security).
 */
const RLS_SQL = `
SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relforcerowsecurity AS forced
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_roles r ON r.rolname = current_user
WHERE c.relkind IN ('r', 'p')
	AND c.relrowsecurity
	AND n.nspname NOT IN ('pg_catalog', 'information_schema')
	AND NOT r.rolsuper AND NOT r.rolbypassrls
	AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE'))
ORDER BY 1`;

function listNames(names: readonly string[], limit = 20): string {
	const shown = names.slice(0, limit).join(', ');
	return names.length > limit ? `${shown} and ${names.length - limit} more` : shown;
}

/** Can the connecting role read every table (privileges and row-level security)? */
export async function checkReadAccess(target: Target): Promise<BackupCheck[]> {
	return withClient(target, 'runbook-backup', async (client) => {
		const who = await client.query<{role: string}>('SELECT current_user AS role');
		const role = who.rows[0]?.role ?? target.user;
		const unreadable = (await client.query<UnreadableRow>(UNREADABLE_SQL)).rows;
		const rls = (await client.query<RlsRow>(RLS_SQL)).rows;
		const noSchema = unreadable.filter((r) => r.reason === 'schema-usage').map((r) => r.name);
		const noSelect = unreadable.filter((r) => r.reason === 'select').map((r) => r.name);
		const privileges: BackupCheck =
			unreadable.length === 0
				? {name: 'read-privileges', ok: true, detail: `role ${role} can read every table and sequence`}
				: {
						name: 'read-privileges',
						ok: false,
						detail: [
							noSelect.length > 0 ? `role ${role} has no SELECT privilege on ${listNames(noSelect)}` : '',
							noSchema.length > 0 ? `role ${role} has no USAGE on the schema of ${listNames(noSchema)}` : '',
						]
							.filter(Boolean)
							.join('; ')
							.concat('; pg_dump would fail on the first of them. Connect as the owner or a superuser, or grant the missing privileges.'),
					};
		const forced = rls.filter((r) => r.forced).map((r) => r.name);
		const rowSecurity: BackupCheck =
			rls.length === 0
				? {name: 'row-security', ok: true, detail: `no row-level security applies to role ${role}`}
				: {
						name: 'row-security',
						ok: false,
						detail: `row-level security applies to role ${role} on ${listNames(rls.map((r) => r.name))}${forced.length > 0 ? ` (FORCE on ${listNames(forced)})` : ''}: pg_dump runs with row_security off and fails rather than dump a filtered table. Back up as the tables' owner, a superuser, or a role with BYPASSRLS.`,
					};
		return [privileges, rowSecurity];
	});
}

/** Every check before a backup: disk space in `dir`, read privileges, row-level security. */
export async function precheckBackup(input: {readonly target: Target; readonly dir: string; readonly factor?: number}): Promise<PrecheckResult> {
	const checks = [await checkDiskSpace(input), ...(await checkReadAccess(input.target))];
	return summarize(checks);
}

export function summarize(checks: readonly BackupCheck[]): PrecheckResult {
	const reason = firstFailure(checks);
	return reason === undefined ? {ok: true, checks} : {ok: false, checks, reason};
}

/** Throws a `UserError` listing every failed check. */
export function assertPrecheck(result: PrecheckResult, where: string): void {
	if (result.ok) return;
	const failed = result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
	throw new UserError(`The backup of ${where} cannot start. ${failed.join(' ')}`);
}
