/**
 * `runbook` / `runbook run` / `runbook rollback N`: resolve the target, open
 * the state, start the engine, and render it (Ink TUI, or plain lines with
 * --yes). Signals (Ctrl-C, SIGTERM, a lost SSH session's SIGHUP) stop the
 * current step with the state kept; `--resume` continues.
 */
import path from 'node:path';
import {rollbackConfirmKind} from '../plan/rules.js';
import {loadPlanForCli} from './load-plan.js';
import {createDeferredController, type DeferredController} from '../ui/deferred-controller.js';
import {drawFirstFrame} from '../ui/first-frame.js';
import {emptyState} from '../state/reduce.js';
import type {RunSettings} from '../engine/context.js';
import {existsSync} from 'node:fs';
import {defaultStateRoot, loadState, readJournal, stateDirFor} from '../state/read.js';
import {parseTarget} from '../db/target.js';
import {describeTarget, givenSourceOf} from '../db/resolve.js';
import {UserError} from '../errors.js';
import type {CliOptions} from './options.js';
import {loadRehearsal, type Rehearsal} from '../rehearsal/file.js';
import type {ResolvedTarget} from './target.js';
import {plainRenderer, exitCodeFor} from './plain.js';
import {requireTerminal} from './terminal.js';
import {eventJson} from './json.js';
import {SETTINGS_FILE, describeChanges, newSettingsFile, readSettings, recordChanges, resumeSettings, writeSettings, type SettingsFile} from './run-settings.js';
import {describeResource, openResources} from '../state/resources.js';
import {humanBytes} from '../backup/human-bytes.js';
import {askAboutLeftover, type LeftoverDecision} from './ask-leftover.js';
import {withQuestions} from './ask.js';

/** Shows what changed and asks for `yes` on the terminal (the TUI has not started yet). */
async function confirmSettingChanges(changes: string): Promise<void> {
	process.stderr.write(`This run started with other settings than given now: ${changes}.\n`);
	const answer = await withQuestions((question) => question('Type yes to resume with the new values, anything else to stop: '));
	if (answer !== 'yes') throw new UserError('The settings were not changed and nothing was started. Resume without these flags to keep the values the run started with.');
}
import type {EngineEvent, RunState} from '../state/types.js';

/**
 * --fresh archives the state, and with it the only record of what the run
 * created and did not release (a scratch database, a pre-restore copy, a
 * partial backup, an orphaned child). Those are listed, and the archive needs
 * the operator's word; with --yes it is refused (exit 2).
 */
async function refuseToLoseResources(previous: RunState, stateDir: string, yes: boolean): Promise<void> {
	const open = openResources(previous);
	if (open.length === 0) return;
	const list = open.map((r) => describeResource(r, humanBytes)).join('; ');
	const remedy = `Run \`runbook cleanup\` with the same --database-url${previous.target ? ` (${previous.target})` : ''} and --state-dir ${stateDir} first: it removes what is safe and asks about what holds data; or --resume the run`;
	if (yes) throw new UserError(`--fresh would archive the state of run ${previous.runId}, which still has ${open.length} thing(s) it created and did not release: ${list}. The archive would lose track of them. ${remedy}. Nothing was archived or started.`);
	process.stderr.write(`Run ${previous.runId} created these and did not release them:\n${open.map((r) => `  ${describeResource(r, humanBytes)}`).join('\n')}\n${remedy}.\n`);
	const answer = await withQuestions((question) => question(`Type archive to archive the state anyway (\`runbook cleanup --state-dir ${path.join(stateDir, 'archive', '<time>')}\` still finds them there), anything else to stop: `));
	if (answer !== 'archive') throw new UserError('Nothing was archived or started. Run `runbook cleanup` (or --resume) first.');
}


function serviceSecrets(env: Readonly<Record<string, string | undefined>>): string[] {
	const out: string[] = [];
	for (const name of ['REDIS_URL', 'REDIS_PUBLIC_URL', 'MONGODB_URL', 'MONGO_URL', 'APP_TOKEN']) {
		const value = env[name];
		if (!value) continue;
		out.push(value);
		try {
			const url = new URL(value);
			if (url.password) out.push(decodeURIComponent(url.password), url.password);
		} catch {
			// not a URL: the whole value is the secret
		}
	}
	return out.filter((s) => s.length >= 3);
}

/** The operator's tuning flags, the same for a run and a rehearsal. */
export function tuningSettings(options: CliOptions): Pick<RunSettings, 'backupFormat' | 'compressLevel' | 'lockTimeoutMs' | 'lockTimeoutGiven' | 'statementTimeoutMs' | 'lockRetries' | 'retryDelayMs'> {
	return {
		backupFormat: options.backupFormat,
		compressLevel: options.compressLevel,
		lockTimeoutMs: options.lockTimeoutMs,
		lockTimeoutGiven: options.given['lock-timeout'] !== undefined,
		statementTimeoutMs: options.statementTimeoutMs,
		lockRetries: options.lockRetries,
		retryDelayMs: options.retryDelayMs,
	};
}

export function buildSettings(options: CliOptions, resolved: ResolvedTarget, stateDir: string): RunSettings {
	const env = {...process.env, ...resolved.env};
	return {
		backupDir: options.backupDir ?? path.join(stateDir, 'backups'),
		...tuningSettings(options),
		...(options.appRole ? {appRole: options.appRole} : resolved.sandbox ? {appRole: 'runbook_app'} : {}),
		...(options.appUrl ? {appUrl: options.appUrl} : {}),
		...(env['APP_TOKEN'] ? {appToken: env['APP_TOKEN']} : {}),
		...(options.testDatabaseUrl ? {testTarget: parseTarget(options.testDatabaseUrl, 'TEST_DATABASE_URL')} : {}),
		env,
		options: resolved.serverLog && !options.named['server-log'] ? {...options.named, 'server-log': resolved.serverLog} : options.named,
		binaries: {psql: 'psql', pgDump: 'pg_dump', pgRestore: 'pg_restore'},
		sandbox: Boolean(resolved.sandbox),
		trafficSampleMs: options.trafficSampleMs,
		secrets: serviceSecrets(env),
	};
}

/** --rehearsal FILE, else rehearsal.json kept in the state directory (`runbook rehearse --out <state dir>`), when there is one. */
async function loadRunRehearsal(options: CliOptions, stateDir: string, planId: string): Promise<{record: Rehearsal; file: string} | undefined> {
	const kept = path.join(stateDir, 'rehearsal.json');
	const file = options.rehearsalFile ?? (existsSync(kept) ? kept : undefined);
	if (!file) return undefined;
	const record = await loadRehearsal(file);
	if (record.planId !== planId) throw new UserError(`The rehearsal ${file} rehearsed the plan \`${record.planId}\`, not \`${planId}\`. Give the rehearsal of this plan (runbook rehearse --plan …), or leave --rehearsal out.`);
	return {record, file};
}

export function stateDirForRun(options: CliOptions, planId: string, key: string): string {
	return options.stateDir ?? stateDirFor(defaultStateRoot(), planId, key);
}

export async function runCommand(given: CliOptions, rollback?: {level: number; reason: string}): Promise<number> {
	let options = given;
	let plan = await loadPlanForCli(options);
	if (!options.yes) {
		if (rollback) {
			const level = plan.plan.rollback.find((l) => l.level === rollback.level);
			const needsName = level !== undefined && rollbackConfirmKind(level) === 'database-name';
			requireTerminal(`\`runbook rollback ${rollback.level}\` without --yes`, `Without a terminal use \`runbook rollback ${rollback.level} --yes${needsName ? ' --confirm-database NAME' : ''}\` (--json for NDJSON), and \`runbook status\` to read the result.`);
		} else {
			requireTerminal('`runbook run` without --yes', 'Without a terminal use `runbook run --yes` (with --confirm all --go to pass manual items and the GO gate, --json for NDJSON events), and `runbook status` to read a run once.');
		}
	}
	const stderrLog = (line: string) => {
		process.stderr.write(`${line}\n`);
	};
	let log: (line: string) => void = stderrLog;
	const held: string[] = [];
	const named = describeTarget(options.databaseUrl, process.env, givenSourceOf(options.databaseUrl, process.env));
	const isSandbox = named === undefined;
	// A rehearsal on the sandbox starts over unless --resume; a real target never silently starts over.
	const fresh = options.fresh || (isSandbox && !options.resume && !rollback);
	const stateRoot = options.stateDir ? path.join(options.stateDir, '.sandbox') : defaultStateRoot();
	const stateDir = stateDirForRun(options, plan.plan.id, named?.display ?? 'sandbox');
	// Read once: what an earlier run left, and where this run's events will begin in the journal.
	let before = existsSync(stateDir) ? loadState(stateDir) : undefined;
	let previous = before?.state;
	if (previous && previous.lastSeq > 0 && !options.resume && !rollback) {
		if (fresh) {
			if (!isSandbox) await refuseToLoseResources(previous, stateDir, options.yes);
			const {StateStore} = await import('../state/store.js');
			const archived = StateStore.archive(stateDir);
			before = previous = undefined;
			if (archived && !isSandbox) log(`the previous run's state was archived to ${archived}`);
		} else {
			const prior = previous;
			throw new UserError(
				`A run of ${plan.plan.id} on ${prior.target} already has state in ${stateDir} (status ${prior.status}, ${Object.values(prior.items).filter((i) => i.status === 'passed').length} items passed). Continue it with --resume, or archive it and start over with --fresh.`,
			);
		}
	}
	if (options.resume && !previous?.lastSeq && !rollback) {
		log(`no earlier run in ${stateDir}: starting a new run`);
	}
	// The run's settings: recorded when it starts, reused (and guarded) when it is resumed.
	const recorded = previous?.lastSeq && (options.resume || rollback) ? await readSettings(stateDir) : undefined;
	let settingsNote: string | undefined;
	// A new run's settings are written once its first frame is up (conf is not loaded before it).
	let newSettings: SettingsFile | undefined;
	if (recorded) {
		const resumed = resumeSettings(options, recorded);
		if (resumed.changes.length > 0) {
			const changes = describeChanges(resumed.changes);
			if (options.yes) {
				throw new UserError(
					`This run (state in ${stateDir}) started with other settings than given now: ${changes}. With --yes a resumed run never changes its settings: resume without these flags to keep the recorded values, or resume interactively to see and confirm the change. Nothing was started.`,
				);
			}
			await confirmSettingChanges(changes);
			await recordChanges(stateDir, recorded, resumed.changes);
			settingsNote = `settings changed on resume, confirmed by the operator: ${changes}`;
		}
		// A resumed run applies the files it started with (--migrations is one of its settings).
		if (resumed.options.migrationsDir !== options.migrationsDir) plan = await loadPlanForCli(resumed.options);
		options = resumed.options;
		log(`settings: those the run started with (${path.join(stateDir, SETTINGS_FILE)})`);
	} else {
		newSettings = newSettingsFile(options, stateDir);
	}
	// After the settings: a resumed run carries the rehearsal it started with (--rehearsal is recorded).
	const rehearsal = await loadRunRehearsal(options, stateDir, plan.plan.id);
	if (rehearsal) log(`carrying the rehearsal ${rehearsal.file} (${rehearsal.record.createdAt}) into the run: rehearsed durations in the timeline, its schema fingerprint at the GO gate`);
	// An interactive resume asks about what the stopped run left that holds data (the pre-restore copy), before the TUI starts.
	const decisions = new Map<string, LeftoverDecision>();
	if (!options.yes && previous?.lastSeq && (options.resume || rollback)) {
		const held = openResources(previous).filter((r) => r.holdsData);
		if (held.length > 0) process.stderr.write(`Run ${previous.runId} left ${held.length === 1 ? 'this, which holds' : `these ${held.length}, which hold`} data: nothing of it is removed without your word (\`runbook cleanup\` asks again later).\n`);
		for (const r of held) decisions.set(r.id, await askAboutLeftover(r));
	}
	// On a named database the first frame is drawn now, as text, from the plan and the state on disk, before
	// the TUI, the engine and the driver are loaded; the TUI takes the screen over and draws the same frame while
	// the runbook connects and opens the run (the sandbox prints its start-up first, so it draws after).
	let preview: {deferred: DeferredController; shown: Promise<void>} | undefined;
	if (!options.yes && named) {
		const state = previous?.lastSeq ? previous : emptyState();
		const drawn = drawFirstFrame({plan, state, target: named.display, targetSource: named.source.label, ascii: options.ascii});
		const deferred = createDeferredController({plan, target: named.display, targetSource: named.source.label, stateDir, state});
		preview = {deferred, shown: import('../ui/render.js').then(({runTui}) => runTui({controller: deferred.controller, ascii: options.ascii, takeOver: drawn}))};
		// While the screen is up, start-up messages (repairs) wait: printed under it they would tear the frame.
		log = (line) => {
			held.push(line);
		};
	}
	const tui = options.yes || preview ? undefined : import('../ui/render.js');
	const engine = loadEngine();
	let resolved: ResolvedTarget;
	try {
		const {resolveTarget} = await import('./target.js');
		resolved = await resolveTarget({
			...(options.databaseUrl ? {databaseUrl: options.databaseUrl} : {}),
			planId: plan.plan.id,
			stateRoot,
			fresh: fresh && isSandbox,
			scale: options.scale,
			log,
		});
	} catch (error) {
		await endPreview(preview, error, held);
		throw error;
	}
	// The run lock and the working connection are made while the engine loads: the handshakes' wait overlaps the loading.
	// The run awaits them (a refusal is its error); until then a rejection is not left unhandled, and they are given back
	// if the run does not start.
	const session = import('../engine/session.js');
	const connections = session.then(({connectSession}) => connectSession(resolved.target, plan.plan.id));
	connections.catch(() => undefined);
	const settings = buildSettings(options, resolved, stateDir);
	// The client tools' versions are children (`pg_dump --version` through Debian's wrapper: 30 ms and more each): read
	// now, while the engine loads and the session connects. The preflight's look-up finds them read (tools.ts keeps them).
	if (!rollback) void import('../engine/preflight.js').then(({lookUpClientTools}) => lookUpClientTools(plan, previous?.lastSeq ? previous : emptyState(), settings, resolved.target)).catch(() => undefined);
	// And the child runner: with the versions kept on disk no child starts before the first item's own.
	void import('../proc/child.js').then(({preloadChildRunner}) => preloadChildRunner()).catch(() => undefined);
	let handedOver = false;
	let exitCode = 1;
	try {
		// A new run's settings are recorded before its engine starts, while it connects (conf loads for them).
		if (newSettings) {
			await writeSettings(stateDir, newSettings).catch(async (error: unknown) => {
				await endPreview(preview, error, held);
				throw error;
			});
		}
		// Where this run's events begin in the journal (the renderers show them all, run-started included):
		// nothing has written it since it was read above (an archived state starts a new journal).
		const startSeq = before?.state.lastSeq ?? 0;
		const {startRun, scriptedDecider, interactiveDecider} = await engine;
		handedOver = true;
		const controller = await startRun({
			connections,
			plan,
			target: resolved.target,
			targetSource: resolved.source,
			stateDir,
			settings,
			decider: options.yes ? scriptedDecider({...(options.confirm ? {confirm: options.confirm} : {}), go: options.go, ...(options.confirmDatabase ? {confirmDatabase: options.confirmDatabase} : {})}) : interactiveDecider({stepMigrations: options.step}),
			...(rollback ? {rollbackOnly: rollback} : {}),
			onRepair: (message) => log(`repair: ${message}`),
			...(rehearsal ? {rehearsal} : {}),
			...(decisions.size > 0 ? {decideLeftover: async (r) => decisions.get(r.id) ?? 'keep'} : {}),
		}).catch(async (error: unknown) => {
			await endPreview(preview, error, held);
			throw error;
		});
		if (settingsNote) controller.note(settingsNote);
		preview?.deferred.attach(controller);
		let interrupted = false;
		const onSignal = (signal: NodeJS.Signals) => {
			if (interrupted) return;
			interrupted = true;
			log(`\n${signal}: stopping after recording the current step; the state is kept (--resume continues)`);
			// In the journal too: the stop reads "by the operator", and after a lost SSH session nobody saw the line above.
			controller.note(`${signal} received${signal === 'SIGHUP' ? ' (the terminal or the session was lost)' : ''}: the run stops after recording the current step`);
			void controller.quit();
		};
		process.on('SIGINT', onSignal);
		process.on('SIGTERM', onSignal);
		process.on('SIGHUP', onSignal);
		if (options.yes) {
			log(`state: ${stateDir}`);
			// NDJSON: every event as journaled, one per line; otherwise one plain line per event. Human lines stay on stderr.
			const plain = plainRenderer();
			// The lines of one tick go out in one write (a probe item's lines, a chunk of psql's output come in bursts):
			// a run prints ~300 lines, and each write to a pipe wakes its reader.
			let pending = '';
			const flush = () => {
				const text = pending;
				pending = '';
				if (text) process.stdout.write(text);
			};
			const out = (text: string) => {
				if (pending === '') setImmediate(flush);
				pending += text;
			};
			const write = options.json
				? (event: EngineEvent) => out(`${eventJson(event)}\n`)
				: (event: EngineEvent, state: RunState) => {
						const line = plain(event, state);
						if (line !== undefined) out(`${line}\n`);
					};
			if (!options.json) for (const line of [...replayLines(controller.state())]) process.stdout.write(`${line}\n`);
			// The events appended before we subscribed (run-started, …) come from the journal, in the same tick: none is lost or doubled.
			let shown = startSeq;
			controller.subscribe((event, state) => {
				if (event.seq <= shown) return;
				shown = event.seq;
				write(event, state);
			});
			for (const event of readJournal(stateDir, before?.offset ?? 0).events) {
				if (event.seq <= shown) continue;
				shown = event.seq;
				write(event, controller.state());
			}
			const final = await controller.done;
			flush();
			exitCode = interrupted ? 130 : exitCodeFor(final);
		} else {
			if (preview) {
				await preview.shown;
				log = stderrLog;
				for (const line of held.splice(0)) log(line);
			} else await (await tui!).runTui({controller, ascii: options.ascii});
			const final = await controller.done;
			exitCode = interrupted ? 130 : final.status === 'quit' ? 0 : exitCodeFor(final);
			process.stdout.write(`${final.status}: ${final.statusMessage ?? ''}\nstate: ${stateDir}\n`);
		}
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		process.off('SIGHUP', onSignal);
	} finally {
		if (!handedOver) await (await session).releaseConnections(connections);
		await resolved.close();
	}
	return exitCode;
}

/** The engine, loaded while the first frame is on the screen. */
async function loadEngine() {
	const [runner, scripted, interactive] = await Promise.all([import('../engine/runner.js'), import('../engine/decide-scripted.js'), import('../engine/decide-interactive.js')]);
	return {startRun: runner.startRun, scriptedDecider: scripted.scriptedDecider, interactiveDecider: interactive.interactiveDecider};
}

/** A start that failed while the first frame was up: the screen closes, then the error is printed. */
async function endPreview(preview: {deferred: DeferredController; shown: Promise<void>} | undefined, error: unknown, held: string[]): Promise<void> {
	if (!preview) return;
	preview.deferred.fail(error);
	await preview.shown.catch(() => undefined);
	for (const line of held.splice(0)) process.stderr.write(`${line}\n`);
}

function* replayLines(state: RunState): Generator<string> {
	if (Object.values(state.items).some((i) => i.status === 'passed')) yield `(resuming: ${Object.values(state.items).filter((i) => i.status === 'passed').length} items already passed)`;
}
