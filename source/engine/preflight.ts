/**
 * Before the first item runs: everything the plan's remaining items will
 * need, checked at once, so a missing pg_dump or a full disk is bad input
 * (exit 2, one paragraph per problem) before the window starts, not a failed
 * step (exit 1) in the middle of it. Only what is still to do is checked: a
 * resumed run whose backup passed does not need pg_dump or space for it.
 */
import {randomBytes} from 'node:crypto';
import {rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type {LoadedPlan} from '../plan/load.js';
import type {Target} from '../db/target.js';
import type {RunSettings} from './context.js';
import type {RunState} from '../state/types.js';
import {UserError, errorMessage} from '../errors.js';
import {assertClientVersion, findClientTool, versionFromServerNum, type ClientTool, type ClientToolName} from '../backup/tools.js';
import {diskSpaceCheck, freeSpace, DEFAULT_SPACE_FACTOR} from '../backup/precheck.js';

const BACKUP_ACTIONS = new Set(['verify-backup', 'test-restore', 'restore-backup']);

/** Which client tools the items still to run need. */
function neededTools(plan: LoadedPlan, state: RunState, settings: RunSettings): Map<ClientToolName, string[]> {
	const need = new Map<ClientToolName, string[]>();
	const add = (tool: ClientToolName, itemId: string) => need.set(tool, [...(need.get(tool) ?? []), itemId]);
	for (const entry of plan.forward) {
		const item = entry.item;
		const s = state.items[item.id]?.status;
		if (s === 'passed' || s === 'skipped') continue;
		if (item.kind === 'backup') add('pg_dump', item.id);
		if (item.kind === 'sql-file') add('psql', item.id);
		if (item.kind === 'action' && BACKUP_ACTIONS.has(item.action)) add(settings.backupFormat === 'plain' ? 'psql' : 'pg_restore', item.id);
		if (item.kind === 'action' && item.action === 'client-tools') for (const t of ['pg_dump', 'pg_restore', 'psql'] as const) add(t, item.id);
	}
	return need;
}

/** Each client tool the remaining items need, found and its version read (a child each), or why not; never rejects. */
export type ToolLookups = Promise<ReadonlyArray<{readonly items: readonly string[]; readonly found: PromiseSettledResult<ClientTool>}>>;

/**
 * Starts finding the client tools the remaining items need, all at once: they
 * need no connection, so they run while the run lock and the working
 * connection are made (`psql --version` is a child process, 25 ms or more).
 */
export function lookUpClientTools(plan: LoadedPlan, state: RunState, settings: RunSettings, target: Target): ToolLookups {
	const paths = {pgDump: settings.binaries.pgDump, pgRestore: settings.binaries.pgRestore, psql: settings.binaries.psql};
	// With the environment the tools run with: the backup then finds pg_dump's version (and binary) already read.
	const env = target.childEnv();
	const lookups = [...neededTools(plan, state, settings)].map(async ([tool, items]) => ({items, found: (await Promise.allSettled([findClientTool(tool, {paths, env})]))[0]!}));
	return Promise.all(lookups);
}

export async function preflight(input: {readonly plan: LoadedPlan; readonly target: Target; readonly client: pg.ClientBase; readonly settings: RunSettings; readonly state: RunState; readonly tools?: ToolLookups}): Promise<void> {
	const {plan, target, client, settings, state} = input;
	const tools = input.tools ?? lookUpClientTools(plan, state, settings, target);
	const problems: string[] = [];
	const pending = (predicate: (e: LoadedPlan['forward'][number]) => boolean) =>
		plan.forward.filter((e) => predicate(e) && !['passed', 'skipped'].includes(state.items[e.item.id]?.status ?? ''));
	const backups = pending((e) => e.item.kind === 'backup');
	// The server's version and the connecting role, whether the application role exists, and the database's size when a
	// backup is still to come (for its space check): one round trip, on the working connection.
	const {rows} = await client.query<{num: string; text: string; createdb: boolean; superuser: boolean; app_role: boolean | null; bytes: string | null}>(
		`SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text,
		        r.rolcreatedb AS createdb, r.rolsuper AS superuser,
		        CASE WHEN $1::text IS NULL THEN NULL ELSE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1::text) END AS app_role,
		        CASE WHEN $2::boolean THEN pg_database_size(current_database())::text END AS bytes
		   FROM pg_roles r WHERE r.rolname = current_user`,
		[settings.appRole ?? null, backups.length > 0],
	);
	const server = versionFromServerNum(Number(rows[0]?.num), rows[0]?.text);
	for (const {items, found} of await tools) {
		try {
			if (found.status === 'rejected') throw found.reason;
			assertClientVersion(found.value, server, target.display);
		} catch (error) {
			problems.push(`${errorMessage(error)} (needed by ${items.slice(0, 4).join(', ')}${items.length > 4 ? ', …' : ''})`);
		}
	}
	if (backups.length > 0) {
		const probe = path.join(settings.backupDir, `.runbook-write-test-${randomBytes(4).toString('hex')}`);
		try {
			writeFileSync(probe, '', {mode: 0o600});
			rmSync(probe, {force: true});
			const space = diskSpaceCheck({dir: settings.backupDir, freeBytes: (await freeSpace(settings.backupDir)).freeBytes, databaseBytes: Number(rows[0]?.bytes ?? 0), factor: DEFAULT_SPACE_FACTOR});
			if (!space.ok) problems.push(`Not enough disk space for the backup (${backups[0]!.item.id}): ${space.detail}. Free space there or give another directory with --backup-dir.`);
		} catch (error) {
			problems.push(`The backup directory ${settings.backupDir} is not writable (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}), so the backup (${backups[0]!.item.id}) could not be written. Give a writable directory with --backup-dir.`);
		}
	}
	const restores = pending((e) => e.item.kind === 'action' && e.item.action === 'test-restore');
	if (restores.length > 0 && !settings.testTarget && !rows[0]?.createdb && !rows[0]?.superuser) {
		problems.push(`The test restore (${restores[0]!.item.id}) creates a scratch database, but role ${target.user} on ${target.display} has neither CREATEDB nor SUPERUSER. Grant it CREATEDB for the window, or give a server where the test restore may go with --test-database-url / TEST_DATABASE_URL.`);
	}
	if (settings.appRole) {
		if (rows[0]?.app_role === false) problems.push(`The application role \`${settings.appRole}\` (--app-role) does not exist on ${target.display}: the baselines and RLS checks run as it. Give the role the application connects as.`);
	}
	if (problems.length > 0) {
		throw new UserError(`The run did not start: ${problems.length === 1 ? 'a check before the window failed' : `${problems.length} checks before the window failed`}. Nothing ran and nothing was changed.\n\n${problems.join('\n\n')}`);
	}
}
