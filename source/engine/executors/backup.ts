/**
 * The backup item (pg_dump as a child process with live progress) and the
 * backup checks built on it: verification, test restore, restore (level 3).
 */
import {stat} from 'node:fs/promises';
import path from 'node:path';
import type {ActionContext, ExecContext, ItemOf, Outcome} from '../context.js';
import type {WithOf} from '../../plan/actions.js';
import type {BackupInfo} from '../../state/data.js';
import {runBackup, discardPartial, type BackupProgress} from '../../backup/dump.js';
import {verifyBackup} from '../../backup/verify.js';
import {testRestore, restoreFromBackup} from '../../backup/restore.js';
import {precheckBackup} from '../../backup/precheck.js';
import {resolveClientTools} from '../../backup/tools.js';
import {humanBytes} from '../../backup/human-bytes.js';
import {openResources} from '../../state/resources.js';
import {formatShortDuration} from '../../text.js';

export function backupInfo(ctx: ExecContext): BackupInfo | undefined {
	return ctx.state().data.backup;
}

/** "table 7 of 23, 120 MiB of ~450 MiB, ETA 1m10s (platform.audit_logs); file 35.2 MiB at 12.0 MiB/s, 9.8 s": what matters first, for narrow panes. */
export function backupProgressText(p: BackupProgress): string {
	const file = `file ${humanBytes(p.bytes)} at ${humanBytes(p.bytesPerSecond)}/s, ${(p.elapsedMs / 1000).toFixed(1)} s`;
	const e = p.estimate;
	if (p.phase !== 'dumping') return `${p.phase}: ${e ? `${e.tableCount} tables, ~${humanBytes(e.totalBytes)}; ` : ''}${file}`;
	if (!e || e.tableIndex === 0) return `dumping the schema${e ? ` (then ${e.tableCount} tables, ~${humanBytes(e.totalBytes)} in the catalog)` : ''}; ${file}`;
	const eta = e.etaMs === undefined ? 'ETA …' : `ETA ${formatShortDuration(e.etaMs)}`;
	return `table ${e.tableIndex} of ${e.tableCount}, ${humanBytes(e.doneBytes)} of ~${humanBytes(e.totalBytes)}, ${eta}${e.table ? ` (${e.table})` : ''}; ${file}`;
}

export async function runBackupItem(ctx: ExecContext<ItemOf<'backup'>>): Promise<Outcome> {
	const item = ctx.item;
	await discardPartial(ctx.settings.backupDir, item.prefix).catch(() => []);
	const result = await runBackup({
		target: ctx.target,
		dir: ctx.settings.backupDir,
		format: ctx.settings.backupFormat,
		compression: ctx.settings.compressLevel,
		prefix: item.prefix,
		pgDumpPath: ctx.settings.binaries.pgDump,
		signal: ctx.signal,
		resources: ctx.resources,
		itemId: item.id,
		onLine: ({line, stream}) => ctx.output(line, stream),
		onProgress: (p) => ctx.progress(backupProgressText(p), p.estimate && p.estimate.totalBytes > 0 ? p.estimate.doneBytes / p.estimate.totalBytes : undefined),
	});
	const info: BackupInfo = {
		file: result.file,
		format: result.format,
		compression: result.compression,
		bytes: result.bytes,
		sha256: result.sha256,
		durationMs: result.durationMs,
		objects: result.objects,
		startedAt: result.startedAt,
		endedAt: result.endedAt,
		serverVersion: result.serverVersion,
		clientVersion: result.clientVersion,
		tables: result.tables,
	};
	ctx.setData('backup', info);
	result.resource.release('recorded as the run\'s backup (kept)');
	return {
		ok: true,
		evidence: {
			command: `pg_dump ${result.args.join(' ')}  (${ctx.target.display})`,
			exitCode: 0,
			expected: 'a complete dump file, mode 0600, checksum recorded',
			actual: `${path.basename(result.file)}: ${humanBytes(result.bytes)} in ${(result.durationMs / 1000).toFixed(1)} s, ${result.objects} objects, sha256 ${result.sha256.slice(0, 16)}…`,
			details: {...info, tables: result.tables.length, checksum: result.checksum, binary: result.binary},
		},
	};
}

async function platformTables(ctx: ExecContext): Promise<string[]> {
	const {rows} = await ctx.client.query<{name: string}>(
		`SELECT schemaname || '.' || tablename AS name FROM pg_tables WHERE schemaname = 'platform' ORDER BY 1`,
	);
	return rows.map((r) => r.name);
}

/** The database's own data: main-fork and TOAST pages of every user table (catalogs excluded). */
async function dataBytes(ctx: ExecContext): Promise<number> {
	const {rows} = await ctx.client.query<{bytes: string}>(
		`SELECT coalesce(sum(pg_relation_size(c.oid) + CASE WHEN c.reltoastrelid <> 0 THEN pg_relation_size(c.reltoastrelid) ELSE 0 END), 0)::bigint AS bytes
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'`,
	);
	return Number(rows[0]?.bytes ?? 0);
}

/** `with.checks`: which of the verification's named checks this item asserts (default: all). */
export async function runVerifyBackup(ctx: ActionContext<WithOf<'verify-backup'>>): Promise<Outcome> {
	const info = backupInfo(ctx);
	if (!info) return {ok: false, evidence: {expected: 'a backup taken in this run', actual: 'no backup recorded'}, error: 'No backup was taken in this run: run the backup item first.'};
	const wanted = ctx.with.checks ?? [];
	// Verified once per backup in a run; each verify item asserts its own checks of the result.
	const result = await ctx.memo(`verify-backup:${info.file}:${info.sha256}`, async () => verifyBackup(info.file, {expectedSha256: info.sha256, expectTables: await platformTables(ctx), dataBytes: await dataBytes(ctx), pgRestorePath: ctx.settings.binaries.pgRestore, env: ctx.target.childEnv(), signal: ctx.signal}));
	const checks = [...result.checks];
	// "Stored in a secure location": owner-only file in a directory others cannot write.
	const fileStat = await stat(info.file);
	const dirStat = await stat(path.dirname(info.file));
	checks.push({
		name: 'secure',
		ok: (fileStat.mode & 0o077) === 0 && (dirStat.mode & 0o022) === 0,
		detail: `file mode ${(fileStat.mode & 0o777).toString(8)}, directory mode ${(dirStat.mode & 0o777).toString(8)} (${path.dirname(info.file)}); copy it off this host too`,
	});
	const selected = wanted.length > 0 ? checks.filter((c) => wanted.some((w) => c.name.includes(w))) : checks;
	for (const c of selected) ctx.output(`${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
	const failed = selected.filter((c) => !c.ok);
	return {
		ok: selected.length > 0 && failed.length === 0,
		evidence: {
			command: `verify ${path.basename(info.file)} (${result.format})`,
			expected: selected.map((c) => c.name).join(', ') || wanted.join(', '),
			actual: failed.length === 0 ? selected.map((c) => `${c.name}: ${c.detail}`).join('; ') : failed.map((c) => `${c.name}: ${c.detail}`).join('; '),
			outputTail: selected.map((c) => `${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`),
		},
		...(failed.length === 0 ? (selected.length > 0 ? {} : {error: `No verification check matches ${wanted.join(', ')}.`}) : {error: `The backup failed verification: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`}),
	};
}

export async function runTestRestore(ctx: ExecContext): Promise<Outcome> {
	const info = backupInfo(ctx);
	if (!info) return {ok: false, evidence: {actual: 'no backup recorded'}, error: 'No backup was taken in this run: run the backup item first.'};
	const admin = ctx.settings.testTarget ?? ctx.target;
	const result = await testRestore({
		file: info.file,
		admin,
		source: ctx.target,
		expected: info.tables,
		pgRestorePath: ctx.settings.binaries.pgRestore,
		psqlPath: ctx.settings.binaries.psql,
		signal: ctx.signal,
		onLine: ({line, stream}) => ctx.output(line, stream),
		resources: ctx.resources,
		itemId: ctx.item.id,
		via: ctx.settings.testTarget ? 'test-target' : 'target',
	});
	return {
		ok: result.ok,
		evidence: {
			command: `restore ${path.basename(info.file)} into scratch database ${result.database} on ${admin.display}, compare, drop`,
			expected: `the same ${result.tables.length} tables with the same row counts (${result.comparedWith}); scratch database dropped`,
			actual: result.ok ? `${result.tables.length} tables match; dropped: ${result.dropped}` : (result.reason ?? `${result.mismatches.length} mismatch(es)`),
			details: {database: result.database, dropped: result.dropped, mismatches: result.mismatches, durationMs: result.durationMs},
		},
		...(result.ok ? {} : {error: `The test restore did not match the source: ${result.reason ?? ''}`}),
	};
}

export async function runRestore(ctx: ActionContext<WithOf<'restore-backup'>>): Promise<Outcome> {
	const info = backupInfo(ctx);
	if (!info) return {ok: false, evidence: {actual: 'no backup recorded'}, error: 'No backup was recorded in this run\'s state: restore it by hand with pg_restore, or verify the file with `runbook verify-backup <file>` first.'};
	const mode = ctx.with.mode;
	// A pre-restore copy an earlier attempt of this item made and nobody released: that attempt was killed after its switch.
	const switchedBefore = mode === 'swap' ? openResources(ctx.state()).filter((r) => r.kind === 'database' && r.holdsData && r.itemId === ctx.item.id).at(-1)?.name : undefined;
	// The runbook's own sessions on the target must go for a swap; they come back after.
	const resume = await ctx.suspendConnections();
	try {
		const result = await restoreFromBackup({
			file: info.file,
			target: ctx.target,
			expectedSha256: info.sha256,
			mode,
			expected: info.tables,
			pgRestorePath: ctx.settings.binaries.pgRestore,
			psqlPath: ctx.settings.binaries.psql,
			signal: ctx.signal,
			onLine: ({line, stream}) => ctx.output(line, stream),
			resources: ctx.resources,
			itemId: ctx.item.id,
			...(switchedBefore ? {switchedBefore} : {}),
		});
		if (result.alreadySwitched) ctx.output(`an earlier attempt was interrupted after its switch: ${result.database} is already the restored copy and ${result.keptDatabase} the database as it was; not restoring a second time, only verifying`, 'info');
		ctx.setData('restore', {database: result.database, keptDatabase: result.keptDatabase, terminated: result.terminated, projects: result.projects});
		return {
			ok: result.ok,
			evidence: {
				command: `restore ${path.basename(info.file)} (${mode}) into ${ctx.target.display}`,
				expected: 'checksum matches; restored; SELECT COUNT(*) FROM platform.projects answers; tables and row counts equal the backup; owner, grants and settings of the database as before',
				actual: result.ok ? `${result.alreadySwitched ? 'switched by the interrupted attempt, verified now; ' : ''}projects: ${result.projects}; ${result.tables.length} tables match the backup; ${result.terminated} session(s) terminated${result.databaseLevel ? `; database-level ${result.databaseLevel} (carried over and verified)` : ''}${result.keptDatabase ? `; previous database kept as ${result.keptDatabase}` : ''}` : (result.reason ?? 'mismatch'),
				details: {mode, keptDatabase: result.keptDatabase, mismatches: result.mismatches},
			},
			...(result.ok ? {} : {error: `The restore did not verify: ${result.reason ?? ''}`}),
		};
	} finally {
		await resume();
	}
}

export async function runClientTools(ctx: ExecContext): Promise<Outcome> {
	const tools = await resolveClientTools({target: ctx.target, paths: {pgDump: ctx.settings.binaries.pgDump, pgRestore: ctx.settings.binaries.pgRestore, psql: ctx.settings.binaries.psql}});
	const lines = [tools.pgDump, tools.pgRestore, tools.psql].map((t) => `${t.name} ${t.version.text ?? `${t.version.major}`} at ${t.wrapper ? `${t.wrapper} (Debian's wrapper; it runs ${t.path})` : t.path}`);
	for (const l of lines) ctx.output(l);
	return {
		ok: true,
		evidence: {expected: `pg_dump, pg_restore and psql found, major >= server ${tools.server?.major ?? '?'}`, actual: lines.join('; '), outputTail: lines},
	};
}

export async function runBackupPrecheck(ctx: ExecContext): Promise<Outcome> {
	const result = await precheckBackup({target: ctx.target, dir: ctx.settings.backupDir});
	const lines = result.checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
	for (const l of lines) ctx.output(l);
	return {
		ok: result.ok,
		evidence: {expected: 'free space >= 1.5 × database size; every table readable by this role', actual: result.ok ? lines.join('; ') : (result.reason ?? ''), outputTail: lines},
		...(result.ok ? {} : {error: `The backup cannot start safely: ${result.reason ?? ''}`}),
	};
}
