/**
 * Restoring a backup: a test restore into a scratch database (proves the file
 * restores and holds every row), and the real restore of rollback level 3.
 *
 * Every database name reaches SQL through format('%I') on the server; libpq
 * connections name their database in a quoted conninfo, never in a URL.
 */
import {randomBytes} from 'node:crypto';
import type pg from 'pg';
import {redact, type Target} from '../db/target.js';
import {UserError, errorMessage} from '../errors.js';
import {POSTGRES_CLIENT_HINT, runChild, type ChildLine, type ChildResult} from '../proc/child.js';
import {runPsql} from '../proc/psql.js';
import {withClient} from '../db/connect.js';
import {CopyCounter} from './copy-counter.js';
import {forEachLine} from './line-stream.js';
import {compareCounts, countRows, countRowsWith, describeMismatches, type CountMismatch, type TableCount} from './row-counts.js';
import {sha256File} from './sha256-file.js';
import {pgRestoreFor} from './tools.js';
import {detectFormat} from './verify.js';
import {uniqueAppName, untracked, type ResourceTracker} from '../proc/resource.js';
import {applyDatabaseLevel, databaseLevelDifferences, describeDatabaseLevel, readDatabaseLevel, type DatabaseLevel} from './database-level.js';

export type RestoreProgress = {
	readonly phase: 'checksum' | 'terminating' | 'restoring' | 'switching' | 'comparing' | 'done';
	/** Objects restored so far (pg_restore --verbose lines, or psql command tags). */
	readonly objects: number;
	readonly elapsedMs: number;
	readonly lastLine: string | undefined;
};

type Tools = {
	readonly pgRestorePath?: string;
	readonly psqlPath?: string;
	readonly pathEnv?: string;
	/** The run's children's environment (its target's): Debian's wrapper picks pg_restore by it, as it picked pg_dump (tools.ts `pgRestoreFor`). */
	readonly env?: Readonly<Record<string, string | undefined>>;
};

type Observers = {
	readonly onLine?: (line: ChildLine) => void;
	readonly onProgress?: (progress: RestoreProgress) => void;
	readonly signal?: AbortSignal;
	/** Journals every database, setting and child the restore creates (default: nothing journaled). */
	readonly resources?: ResourceTracker;
	/** The plan item, for the journal's resource records. */
	readonly itemId?: string;
};

export type TableComparison = {readonly table: string; readonly source: number | undefined; readonly restored: number | undefined};

const MAX_IDENTIFIER = 63;

/** `_<what>_<run tag>_<4 hex>`: the run's id in the name, and unique per attempt. */
function runSuffix(what: string, resources: ResourceTracker): string {
	return `${what ? `_${what}` : ''}_${resources.runTag}_${randomBytes(2).toString('hex')}`;
}

/** A database name no longer than PostgreSQL's 63 bytes, keeping the suffix whole. */
export function databaseName(base: string, suffix: string): string {
	let head = base;
	while (Buffer.byteLength(head + suffix) > MAX_IDENTIFIER && head.length > 0) head = head.slice(0, -1);
	return head + suffix;
}

/** A libpq conninfo naming only the database: `dbname='…'` with ' and \ escaped. */
export function dbnameConninfo(name: string): string {
	return `dbname='${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Runs a statement the server builds with format(): `sql` is a format() call whose result is executed. */
async function runFormatted(client: pg.Client, formatSql: string, params: unknown[]): Promise<void> {
	const {rows} = await client.query<{sql: string}>(`SELECT ${formatSql} AS sql`, params);
	await client.query(rows[0]!.sql);
}

async function createDatabaseLike(client: pg.Client, name: string, like?: string): Promise<void> {
	if (like === undefined) {
		await runFormatted(client, `format('CREATE DATABASE %I TEMPLATE template0', $1::text)`, [name]);
		return;
	}
	// Same owner, encoding and locale as the database it replaces.
	const {rows} = await client.query<{sql: string}>(
		`SELECT format('CREATE DATABASE %I TEMPLATE template0 OWNER %I ENCODING %L LC_COLLATE %L LC_CTYPE %L', $1::text, pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype) AS sql
		FROM pg_database WHERE datname = $2`,
		[name, like],
	);
	if (!rows[0]) throw new UserError(`The database \`${like}\` does not exist on this server, so there is nothing to restore over. Check the target URL.`);
	await client.query(rows[0].sql);
}

async function dropDatabaseIfExists(client: pg.Client, name: string): Promise<void> {
	await runFormatted(client, `format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::text)`, [name]);
}

/** Terminates every other session on `database`; returns how many were signalled. */
export async function terminateSessions(client: pg.Client, database: string): Promise<number> {
	const {rows} = await client.query<{n: string}>(
		`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
		[database],
	);
	return Number(rows[0]?.n ?? 0);
}

/** Waits (polling the catalog) until no other session is connected to `database`. */
async function waitForNoSessions(client: pg.Client, database: string, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const {rows} = await client.query<{n: string}>(`SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
		if (Number(rows[0]?.n ?? 0) === 0) return;
		if (Date.now() > deadline) {
			throw new UserError(`Sessions on \`${database}\` did not end within ${timeoutMs / 1000} s after pg_terminate_backend. Stop the application (and anything reconnecting), then run the restore again.`);
		}
		await client.query('SELECT pg_sleep(0.05)');
	}
}

type RestoreRun = {readonly result: ChildResult; readonly objects: number};

const RESTORE_OBJECT = /^pg_restore: (?:creating|processing data|executing)/;

/** pg_restore (custom, directory, tar) or psql (plain) into one database, streamed, with progress. */
export async function restoreInto(input: {
	readonly file: string;
	readonly format: 'custom' | 'plain';
	readonly target: Target;
	readonly pgRestoreArgs: readonly string[];
	readonly tools: Tools;
	readonly observers: Observers;
	readonly started: number;
	readonly phase: RestoreProgress['phase'];
	/** Which connection reaches the target's server (journal records; default the run's target). */
	readonly via?: 'target' | 'test-target';
}): Promise<RestoreRun> {
	const {target, observers} = input;
	let objects = 0;
	let lastLine: string | undefined;
	let lastReport = 0;
	const onLine = (line: ChildLine) => {
		const text = redact(line.line, target.secrets);
		if (input.format === 'custom' ? RESTORE_OBJECT.test(text) : line.stream === 'stdout') objects += 1;
		lastLine = text;
		observers.onLine?.({stream: line.stream, line: text});
		const now = Date.now();
		if (observers.onProgress && now - lastReport >= 250) {
			lastReport = now;
			observers.onProgress({phase: input.phase, objects, elapsedMs: now - input.started, lastLine});
		}
	};
	let result: ChildResult;
	const applicationName = uniqueAppName('runbook-restore');
	// An orphaned restore fills a database that is dropped anyway: end it.
	const track = {resources: observers.resources ?? untracked(), purpose: `restore into ${target.database}`, onOrphan: 'end' as const, server: serverOf(target), via: input.via ?? 'target', ...(observers.itemId ? {itemId: observers.itemId} : {})};
	if (input.format === 'custom') {
		const pgRestore = await pgRestoreFor({paths: {pgRestore: input.tools.pgRestorePath}, pathEnv: input.tools.pathEnv, env: target.childEnv()});
		result = await runChild({
			file: pgRestore.file,
			args: ['--verbose', '--no-password', '--exit-on-error', ...input.pgRestoreArgs, `--dbname=${dbnameConninfo(target.database)}`, input.file],
			env: {...target.childEnv(), ...pgRestore.env, PGAPPNAME: applicationName},
			installHint: POSTGRES_CLIENT_HINT,
			onLine,
			signal: observers.signal,
			tailLines: 40,
			track,
		});
	} else {
		result = await runPsql({
			target,
			steps: [{file: input.file}],
			singleTransaction: true,
			applicationName,
			psqlPath: input.tools.psqlPath,
			onLine,
			signal: observers.signal,
			track,
		});
	}
	observers.onProgress?.({phase: input.phase, objects, elapsedMs: Date.now() - input.started, lastLine});
	return {result, objects};
}

/** user@host:port: which server a database lives on, for the journal. */
export function serverOf(target: Target): string {
	return target.display.slice(0, target.display.lastIndexOf('/'));
}

function failureTail(result: ChildResult, secrets: readonly string[]): string {
	return result.tail
		.filter((l) => l.stream === 'stderr')
		.slice(-10)
		.map((l) => redact(l.line, secrets))
		.join('\n');
}

async function requireKnownFormat(file: string): Promise<'custom' | 'plain'> {
	let format;
	try {
		format = await detectFormat(file);
	} catch (error) {
		throw new UserError(`The backup file ${file} cannot be read: ${errorMessage(error)}. Check the path.`, {cause: error});
	}
	if (format === 'unknown') throw new UserError(`${file} is neither a pg_dump custom archive nor a plain SQL dump. Give the file runbook's backup step wrote.`);
	return format;
}

/** Row counts the archive itself holds (COPY blocks), streamed: plain read directly, custom through `pg_restore --data-only -f -`. */
export async function archiveRowCounts(file: string, tools: Tools = {}, signal?: AbortSignal): Promise<TableCount[]> {
	const format = await requireKnownFormat(file);
	const counter = new CopyCounter();
	if (format === 'plain') {
		await forEachLine(file, (line) => counter.push(line));
		return counter.result();
	}
	// It connects to nothing: the run's environment only says which pg_restore the wrapper would pick (one that reads this archive).
	const pgRestore = await pgRestoreFor({paths: {pgRestore: tools.pgRestorePath}, pathEnv: tools.pathEnv, ...(tools.env ? {env: tools.env} : {})});
	const result = await runChild({
		file: pgRestore.file,
		...(pgRestore.env ? {env: pgRestore.env} : {}),
		args: ['--data-only', '--file=-', file],
		installHint: POSTGRES_CLIENT_HINT,
		signal,
		tailLines: 5,
		onLine: ({stream, line}) => {
			if (stream === 'stdout') counter.push(line);
		},
	});
	if (result.exitCode !== 0) {
		throw new UserError(`pg_restore could not read the data of ${file} (exit code ${result.exitCode}): ${failureTail(result, [])}. Verify the backup file.`);
	}
	return counter.result();
}

export type TestRestoreOptions = Tools &
	Observers & {
		readonly file: string;
		/** A role that may CREATE DATABASE, on the source's server or another (TEST_DATABASE_URL). */
		readonly admin: Target;
		/** The database the backup was taken from. */
		readonly source: Target;
		/**
		 * Row counts recorded in the dump's own snapshot (`BackupResult.tables`).
		 * When given, the restore is compared with them, which stays exact while
		 * the application keeps writing to the source; otherwise the source is
		 * counted now, exact only if nothing wrote since the backup.
		 */
		readonly expected?: readonly TableCount[];
		/**
		 * Restore owners and privileges (custom format only). Default: when the
		 * admin is on the source's server, where every role exists, so the test
		 * restore does what a rollback restore would; on another server roles may
		 * be missing, so `--no-owner --no-privileges`.
		 */
		readonly keepOwnership?: boolean;
		/** Whether `admin` is the run's target server or TEST_DATABASE_URL (for the journal; default target). */
		readonly via?: 'target' | 'test-target';
	};

export type TestRestoreResult = {
	readonly ok: boolean;
	readonly format: 'custom' | 'plain';
	/** The scratch database (already dropped). */
	readonly database: string;
	readonly dropped: boolean;
	readonly tables: readonly TableComparison[];
	readonly mismatches: readonly CountMismatch[];
	readonly comparedWith: 'backup-snapshot' | 'live-source';
	readonly reason?: string;
	readonly objects: number;
	readonly durationMs: number;
};

function toComparison(expected: readonly TableCount[], actual: readonly TableCount[]) {
	const {tables, mismatches} = compareCounts(expected, actual);
	return {tables: tables.map((t) => ({table: t.table, source: t.expected, restored: t.actual})), mismatches};
}

/**
 * Restores `file` into a new scratch database, compares its tables and exact
 * row counts with the source (or the counts recorded at backup time), and
 * always drops the scratch database.
 */
export async function testRestore(options: TestRestoreOptions): Promise<TestRestoreResult> {
	const started = Date.now();
	const format = await requireKnownFormat(options.file);
	const secrets = [...options.admin.secrets, ...options.source.secrets];
	const resources = options.resources ?? untracked();
	const via = options.via ?? 'target';
	const name = databaseName('runbook_test_restore', runSuffix('', resources));
	const sameServer = options.admin.host === options.source.host && options.admin.port === options.source.port;
	const keepOwnership = options.keepOwnership ?? sameServer;
	const scratch = options.admin.withDatabase(name);
	let objects = 0;
	// Journaled before CREATE DATABASE: a kill from here on leaves a record that --resume and `runbook cleanup` find.
	const scratchResource = resources.register({kind: 'database', name, purpose: 'test restore scratch database (a copy of the backup)', server: serverOf(options.admin), via, ...(options.itemId ? {itemId: options.itemId} : {})});
	try {
		await withClient(options.admin, 'runbook-backup', (client) => createDatabaseLike(client, name));
		const run = await restoreInto({
			via,
			file: options.file,
			format,
			target: scratch,
			pgRestoreArgs: ['--single-transaction', ...(keepOwnership ? [] : ['--no-owner', '--no-privileges'])],
			tools: options,
			observers: options,
			started,
			phase: 'restoring',
		});
		objects = run.objects;
		const comparedWith = options.expected ? 'backup-snapshot' : 'live-source';
		if (run.result.exitCode !== 0) {
			return {
				ok: false,
				format,
				database: name,
				dropped: true,
				tables: [],
				mismatches: [],
				comparedWith,
				reason: `the restore into ${name} failed (exit code ${run.result.exitCode}): ${failureTail(run.result, secrets)}`,
				objects,
				durationMs: Date.now() - started,
			};
		}
		options.onProgress?.({phase: 'comparing', objects, elapsedMs: Date.now() - started, lastLine: undefined});
		const [expected, restored] = await Promise.all([options.expected ?? countRows(options.source), countRows(scratch)]);
		const {tables, mismatches} = toComparison(expected, restored);
		const ok = mismatches.length === 0 && tables.length > 0;
		return {
			ok,
			format,
			database: name,
			dropped: true,
			tables,
			mismatches,
			comparedWith,
			...(ok ? {} : {reason: tables.length === 0 ? 'no tables were found in the source or the restore' : `restored tables differ: ${describeMismatches(mismatches)}`}),
			objects,
			durationMs: Date.now() - started,
		};
	} finally {
		await withClient(options.admin, 'runbook-backup', (client) => dropDatabaseIfExists(client, name));
		scratchResource.release('dropped');
		options.onProgress?.({phase: 'done', objects, elapsedMs: Date.now() - started, lastLine: `dropped ${name}`});
	}
}

export type RestoreMode = 'swap' | 'clean';

export type RestoreOptions = Tools &
	Observers & {
		readonly file: string;
		/** The database to bring back to the backup's state. */
		readonly target: Target;
		/** The sha256 recorded when the backup was taken; the restore refuses any other file. */
		readonly expectedSha256: string;
		/**
		 * swap: restore into a new database, then rename the target to
		 * `<db>_pre_restore_<ts>` (kept, reported) and the new one to the target's
		 * name; the target is untouched until the restore succeeded. Needs
		 * CREATEDB and ownership of the target database.
		 *
		 * clean (custom format only): `pg_restore --clean --if-exists
		 * --single-transaction` into the target itself. It only drops what the
		 * archive holds: objects created after the backup stay, and one that
		 * depends on an archived table (like 006's platform.databases → projects)
		 * makes the whole restore fail and change nothing. Use it after rollback
		 * levels 1–2 ran, or for data only.
		 */
		readonly mode: RestoreMode;
		/** The maintenance connection for CREATE/RENAME/terminate (default: the target's server, database `postgres`). */
		readonly maintenance?: Target;
		/**
		 * Row counts recorded at backup time (`BackupResult.tables`). Without
		 * them the counts are read from the archive itself (its COPY blocks), which
		 * costs one decompressing pass over the file.
		 */
		readonly expected?: readonly TableCount[];
		/**
		 * swap: the pre-restore copy an earlier attempt of this restore made
		 * (journaled before the switch, still tracked). When it exists on the
		 * server, the switch already committed (both renames are one
		 * transaction): the target IS the restored copy, so nothing is restored
		 * again; the result is verified against the backup and against the
		 * copy's owner, grants and settings.
		 */
		readonly switchedBefore?: string;
	};

export type RestoreResult = {
	readonly ok: boolean;
	readonly mode: RestoreMode;
	readonly format: 'custom' | 'plain';
	readonly database: string;
	/** swap: the previous database, renamed and kept. */
	readonly keptDatabase?: string;
	/** Sessions terminated on the target. */
	readonly terminated: number;
	/** `SELECT count(*) FROM platform.projects` after the restore (undefined if the table is missing). */
	readonly projects: number | undefined;
	readonly tables: readonly TableComparison[];
	readonly mismatches: readonly CountMismatch[];
	readonly comparedWith: 'backup-snapshot' | 'archive';
	/** swap: the owner, grants and settings carried over and verified (names only). */
	readonly databaseLevel?: string;
	/** swap: an earlier, interrupted attempt had already switched; this one only verified. */
	readonly alreadySwitched?: boolean;
	readonly reason?: string;
	readonly objects: number;
	readonly durationMs: number;
};

/**
 * Rollback level 3: bring the target back to the backup. Verifies the
 * checksum first (refuses a different file), terminates the other sessions on
 * the target, restores (swap or clean), then counts platform.projects and
 * compares every table's rows with what the backup holds.
 */
export async function restoreFromBackup(options: RestoreOptions): Promise<RestoreResult> {
	const started = Date.now();
	const {target} = options;
	const secrets = target.secrets;
	const progress = (phase: RestoreProgress['phase'], objects = 0, lastLine?: string) =>
		options.onProgress?.({phase, objects, elapsedMs: Date.now() - started, lastLine});

	progress('checksum');
	const format = await requireKnownFormat(options.file);
	const actual = await sha256File(options.file);
	if (actual.toLowerCase() !== options.expectedSha256.toLowerCase()) {
		throw new UserError(
			`Refusing to restore ${options.file}: its sha256 is ${actual}, but the backup recorded ${options.expectedSha256}. The file changed or is another backup. Find the file the backup step wrote (its checksum is in the run's evidence) and restore that.`,
		);
	}
	if (options.mode === 'clean' && format !== 'custom') {
		throw new UserError(`The clean restore needs a custom-format archive (pg_restore --clean), but ${options.file} is plain SQL. Use the swap mode for a plain backup.`);
	}
	const expectedCounts = options.expected ?? (await archiveRowCounts(options.file, {...options, env: target.childEnv()}, options.signal));
	const comparedWith = options.expected ? 'backup-snapshot' : 'archive';
	const maintenance = options.maintenance ?? target.withDatabase('postgres');
	const database = target.database;

	let keptDatabase: string | undefined;
	let databaseLevel: DatabaseLevel | undefined;
	let terminated = 0;
	let objects = 0;
	const resources = options.resources ?? untracked();
	const item = options.itemId ? {itemId: options.itemId} : {};
	const server = serverOf(target);
	const switched = options.mode === 'swap' && options.switchedBefore ? await withClient(maintenance, 'runbook-backup', async (client) => ((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.switchedBefore])).rowCount ?? 0) > 0) : false;
	if (switched) {
		// A kill after the switch: verify what is there, never make a second copy.
		keptDatabase = options.switchedBefore!;
		const kept = keptDatabase;
		databaseLevel = await withClient(maintenance, 'runbook-backup', (client) => readDatabaseLevel(client, kept));
	} else if (options.mode === 'swap') {
		const fresh = databaseName(database, runSuffix('restore', resources));
		const freshResource = resources.register({kind: 'database', name: fresh, purpose: `rollback level 3: the backup restored, before it replaces ${database}`, server, via: 'target', ...item});
		await withClient(maintenance, 'runbook-backup', async (client) => {
			progress('terminating');
			terminated += await terminateSessions(client, database);
			// Owner, grants and settings of the database itself: pg_dump keeps them only with --create (in memory: a setting may be a secret).
			databaseLevel = await readDatabaseLevel(client, database);
			await createDatabaseLike(client, fresh, database);
		});
		const run = await restoreInto({
			via: 'target',
			file: options.file,
			format,
			target: target.withDatabase(fresh),
			pgRestoreArgs: ['--single-transaction'],
			tools: options,
			observers: options,
			started,
			phase: 'restoring',
		});
		objects = run.objects;
		if (run.result.exitCode !== 0) {
			await withClient(maintenance, 'runbook-backup', (client) => dropDatabaseIfExists(client, fresh));
			freshResource.release('dropped (the restore failed)');
			throw new UserError(
				`Restoring ${options.file} into the new database ${fresh} failed (exit code ${run.result.exitCode}); ${database} was not touched and ${fresh} was dropped. The last lines were:\n${failureTail(run.result, secrets)}\nFix the cause above and run the restore again.`,
			);
		}
		if (databaseLevel) {
			const level = databaseLevel;
			await withClient(maintenance, 'runbook-backup', (client) => applyDatabaseLevel(client, fresh, level));
		}
		progress('switching', objects);
		keptDatabase = databaseName(database, runSuffix('pre_restore', resources));
		const kept = keptDatabase;
		// Both journaled before anything changes: a kill mid-switch leaves the server repairable by --resume or `runbook cleanup`.
		const lockout = resources.register({kind: 'setting', name: database, detail: kept, purpose: `ALLOW_CONNECTIONS false on ${database} while the names change (set back to true afterwards)`, server, via: 'target', ...item});
		const keptResource = resources.register({kind: 'database', name: kept, purpose: `rollback level 3: pre-restore copy of ${database} (the database as it was before the restore)`, holdsData: true, server, via: 'target', ...item});
		await withClient(maintenance, 'runbook-backup', async (client) => {
			// Nobody may connect while the names change; the kept database is reopened afterwards.
			await runFormatted(client, `format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS false', $1::text)`, [database]);
			try {
				terminated += await terminateSessions(client, database);
				await waitForNoSessions(client, database);
				await client.query('BEGIN');
				await runFormatted(client, `format('ALTER DATABASE %I RENAME TO %I', $1::text, $2::text)`, [database, kept]);
				await runFormatted(client, `format('ALTER DATABASE %I RENAME TO %I', $1::text, $2::text)`, [fresh, database]);
				await client.query('COMMIT');
			} catch (error) {
				await client.query('ROLLBACK').catch(() => undefined);
				await runFormatted(client, `format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS true', $1::text)`, [database]).catch(() => undefined);
				lockout.release('connections allowed again (the switch failed)');
				keptResource.release('never created (the switch failed)');
				throw new UserError(
					`The restored copy ${fresh} is ready, but switching it in for ${database} failed: ${redact(errorMessage(error), secrets)}. ${database} is unchanged and accepts connections again. Stop whatever holds sessions on it and run the restore again (${fresh} can be dropped).`,
					{cause: error},
				);
			}
			freshResource.release(`renamed to ${database} (it is the target now)`);
			await runFormatted(client, `format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS true', $1::text)`, [kept]);
			lockout.release(`connections allowed again (on ${kept})`);
			const size = await client.query<{bytes: string}>('SELECT pg_database_size($1)::text AS bytes', [kept]);
			keptResource.update({bytes: Number(size.rows[0]?.bytes ?? 0)});
		});
	} else {
		await withClient(maintenance, 'runbook-backup', async (client) => {
			progress('terminating');
			terminated += await terminateSessions(client, database);
		});
		const run = await restoreInto({
			via: 'target',
			file: options.file,
			format,
			target,
			pgRestoreArgs: ['--clean', '--if-exists', '--single-transaction'],
			tools: options,
			observers: options,
			started,
			phase: 'restoring',
		});
		objects = run.objects;
		if (run.result.exitCode !== 0) {
			throw new UserError(
				`pg_restore --clean into ${target.display} failed (exit code ${run.result.exitCode}) and, being one transaction, changed nothing. The last lines were:\n${failureTail(run.result, secrets)}\nObjects created after the backup that depend on restored tables stop a clean restore: run rollback levels 1–2 first, or use the swap mode.`,
			);
		}
	}

	progress('comparing', objects);
	const {projects, actualCounts} = await withClient(target, 'runbook-backup', async (client) => {
		const exists = await client.query<{present: boolean}>(`SELECT to_regclass('platform.projects') IS NOT NULL AS present`);
		const count = exists.rows[0]?.present ? await client.query<{n: string}>('SELECT COUNT(*)::text AS n FROM platform.projects') : undefined;
		return {projects: count ? Number(count.rows[0]?.n) : undefined, actualCounts: await countRowsWith(client)};
	});
	const {tables, mismatches} = toComparison(expectedCounts, actualCounts);
	const levelDifferences = databaseLevel ? databaseLevelDifferences(databaseLevel, await withClient(maintenance, 'runbook-backup', (client) => readDatabaseLevel(client, database))) : [];
	const ok = mismatches.length === 0 && levelDifferences.length === 0;
	progress('done', objects);
	return {
		ok,
		mode: options.mode,
		format,
		database,
		...(keptDatabase === undefined ? {} : {keptDatabase}),
		...(switched ? {alreadySwitched: true} : {}),
		terminated,
		projects,
		tables,
		mismatches,
		comparedWith,
		...(databaseLevel ? {databaseLevel: describeDatabaseLevel(databaseLevel)} : {}),
		...(ok ? {} : {reason: [mismatches.length > 0 ? `the restored database differs from the backup: ${describeMismatches(mismatches)}` : '', levelDifferences.length > 0 ? `its owner, grants or settings differ from the database it replaced: ${levelDifferences.join('; ')}` : ''].filter(Boolean).join('; ')}),
		objects,
		durationMs: Date.now() - started,
	};
}
