/**
 * The engine: a state machine that walks the plan's items in order, runs each
 * with its executor, records every step in the journal before moving on, and
 * stops to wait for the operator where the plan says so (manual items, the GO
 * gate, typed confirmations, failures). Plain TypeScript: no UI imports.
 *
 * Resume: items that finished are never run again. An item that was running
 * when the process died is reconciled first: a SQL file is looked up in the
 * ledger by its execution id (after waiting for any orphaned psql to finish),
 * an interrupted backup is discarded and redone, anything else runs again.
 */
import {randomUUID} from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import {writeFileSync, renameSync, mkdirSync} from 'node:fs';
import type pg from 'pg';
import type {LoadedPlan, PlanEntry} from '../plan/load.js';
import type {Item, GateItem} from '../plan/schema.js';
import type {Target} from '../db/target.js';
import {redact} from '../db/target.js';
import {connect} from '../db/connect.js';
import {acquireRunLock, type RunLock} from '../db/run-lock.js';
import {ensureLedger, executionCommitted, waitForInflight} from '../db/ledger.js';
import {startActivityPoller, type ActivityPoller, type DbActivity} from '../db/activity.js';
import {StateStore} from '../state/store.js';
import {journalResources, openResources, describeResource} from '../state/resources.js';
import {settleLeftovers} from './leftovers.js';
import {preflight} from './preflight.js';
import {humanBytes} from '../backup/human-bytes.js';
import type {ActionResult, Controller} from './controller.js';
import type {ExecContext, Executor, Outcome, RunSettings} from './context.js';
import {REHEARSED_MANUAL, type EngineEvent, type GateConditionState, type RunState, type RunStatus, type Waiting} from '../state/types.js';
import {UserError, errorMessage} from '../errors.js';
import {onPath} from '../proc/which.js';
import {isSkippable} from '../plan/skippable.js';
import {resolveProject} from '../railway/project.js';

export {isSkippable};
import {executorFor, reconcileInterrupted, runRestore, actionRequirement} from './executors/index.js';
import {gatePreview} from './gate-preview.js';
import {summarize, type Rehearsal} from '../rehearsal/file.js';

export type RunMode = 'interactive' | 'yes';

export type RunOptions = {
	readonly plan: LoadedPlan;
	readonly target: Target;
	/** Which source chose the target (DATABASE_URL, PG* variables, service NAME, sandbox, …), for the header and the journal. */
	readonly targetSource?: string;
	readonly stateDir: string;
	readonly mode: RunMode;
	readonly resume: boolean;
	readonly settings: RunSettings;
	/** Non-interactive: which manual items are confirmed ('all' or ids). */
	readonly confirm?: 'all' | ReadonlySet<string>;
	/** Non-interactive: the GO decision (and the operator's attestations). */
	readonly go?: boolean;
	/** Non-interactive: the typed confirmation for irreversible items (the database name). */
	readonly confirmDatabase?: string;
	/** Run only this rollback level (runbook rollback N), not the forward path. */
	readonly rollbackOnly?: {readonly level: number; readonly reason: string};
	/** Interactive: wait for Enter before each migration. */
	readonly stepMigrations?: boolean;
	readonly onRepair?: (message: string) => void;
	/** A rehearsal to carry into the run: its durations in the timeline, its fingerprint at the gate. */
	readonly rehearsal?: {readonly record: Rehearsal; readonly file: string};
};

type Decision =
	| {readonly type: 'confirm'; readonly typed?: string}
	| {readonly type: 'skip'; readonly reason: string}
	| {readonly type: 'retry'}
	| {readonly type: 'quit'}
	| {readonly type: 'rollback'; readonly level: number; readonly reason: string; readonly typed?: string};

class Stop extends Error {
	constructor(readonly status: RunStatus, message: string) {
		super(message);
	}
}


export async function startRun(options: RunOptions): Promise<Controller> {
	const {plan, target} = options;
	const store = StateStore.open({dir: options.stateDir, secrets: [...target.secrets, ...options.settings.secrets, ...(options.settings.appToken ? [options.settings.appToken] : [])], onRepair: options.onRepair});
	const prior = store.current;
	if (prior.lastSeq > 0 && prior.planSha256 && prior.planSha256 !== plan.sha256) {
		store.close();
		throw new UserError(
			`The plan file ${plan.file} changed since this run started (sha256 ${prior.planSha256.slice(0, 12)}… then, ${plan.sha256.slice(0, 12)}… now). Resuming against a different plan could skip or repeat items. Restore the plan file as it was, or start over with --fresh (the old state is archived).`,
		);
	}
	let lock: RunLock;
	let client: pg.Client;
	try {
		mkdirSync(options.settings.backupDir, {recursive: true, mode: 0o700});
	} catch (error) {
		store.close();
		throw new UserError(`The backup directory ${options.settings.backupDir} cannot be created (${(error as NodeJS.ErrnoException).code}). Give a writable directory with --backup-dir.`, {cause: error});
	}
	try {
		lock = await acquireRunLock(target, plan.plan.id);
		client = await connect(target, `runbook:${plan.plan.id}:work`);
	} catch (error) {
		store.close();
		throw error;
	}
	try {
		// Everything the remaining items need, before the first one runs and before the ledger is created (exit 2, one paragraph per problem).
		if (!options.rollbackOnly) await preflight({plan, target, client, settings: options.settings, state: prior});
		await ensureLedger(client);
	} catch (error) {
		await client.end().catch(() => undefined);
		await lock.release();
		store.close();
		throw error;
	}
	const runId = prior.runId || `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
	const resumed = prior.lastSeq > 0;
	store.append({type: 'run-started', runId, planId: plan.plan.id, planTitle: plan.plan.title, planSha256: plan.sha256, target: target.display, ...(options.targetSource ? {targetSource: options.targetSource} : {}), resumed, pid: process.pid, host: os.hostname(), mode: options.mode});
	if (options.rehearsal) store.append({type: 'data', key: 'rehearsal', value: summarize(options.rehearsal.record, options.rehearsal.file)});
	const resources = journalResources(store, runId);

	let activity: DbActivity | undefined;
	const activityListeners = new Set<(a: DbActivity) => void>();
	const activityFile = path.join(options.stateDir, 'activity.json');
	const startPoller = (): ActivityPoller =>
		startActivityPoller(target, (a) => {
			activity = a;
			try {
				writeFileSync(`${activityFile}.tmp`, JSON.stringify(a), {mode: 0o600});
				renameSync(`${activityFile}.tmp`, activityFile);
			} catch {
				// the pane is a convenience; the journal is what matters
			}
			for (const l of activityListeners) l(a);
		});
	let poller: ActivityPoller = startPoller();

	let pending: {waiting: Waiting; resolve: (d: Decision) => void} | undefined;
	let quitRequested = false;
	let rollbackRequest: {level: number; reason: string} | undefined;
	const abort = new AbortController();
	const databaseName = target.database;

	const wait = (waiting: Waiting): Promise<Decision> => {
		store.append({type: 'waiting', waiting});
		return new Promise((resolve) => {
			pending = {waiting, resolve};
		});
	};
	const answer = (decision: Decision) => {
		const p = pending;
		pending = undefined;
		p?.resolve(decision);
	};

	const now = () => new Date();
	/** The settings items see: the CLI's, plus the project resolved from the plan's rule (`project-ref`). */
	let settings: RunSettings = options.settings;

	/**
	 * Resolves the plan's project rule before any item runs, so a wrong or
	 * ambiguous project stops the window before the backup, let alone a
	 * migration. Without platform.projects there is nothing to resolve: the
	 * prerequisite checks then fail with their own evidence.
	 */
	async function resolvePlanProject(): Promise<void> {
		const rule = plan.plan.project;
		if (!rule) return;
		const {rows} = await client.query<{present: boolean}>(`SELECT to_regclass('platform.projects') IS NOT NULL AND to_regclass('platform.organizations') IS NOT NULL AS present`);
		if (!rows[0]?.present) return;
		const resolution = await resolveProject(client, rule, options.settings.options['project-ref']);
		store.append({type: 'data', key: 'project', value: resolution.ok ? {...resolution.project, rule: resolution.rule} : {rule: resolution.rule, candidates: resolution.candidates}});
		if (!resolution.ok) throw new Stop('stopped-at-gate', resolution.message);
		settings = {...options.settings, options: {...options.settings.options, 'project-ref': resolution.project.ref}};
	}

	async function execute(entry: PlanEntry, attempt: number): Promise<Outcome & {startedAt: Date; endedAt: Date}> {
		const item = entry.item;
		const executionId = randomUUID();
		store.append({type: 'item-started', itemId: item.id, attempt, executionId});
		const startedAt = now();
		const ctx: ExecContext = {
			item,
			entry,
			plan,
			target,
			get client() {
				return client;
			},
			settings,
			runId,
			executionId,
			attempt,
			stateDir: options.stateDir,
			signal: abort.signal,
			state: () => store.current,
			output: (line, stream = 'stdout') => store.appendOutput(item.id, stream, line),
			progress: (message, fraction) => store.append({type: 'progress', itemId: item.id, message: redact(message, target.secrets), ...(fraction === undefined ? {} : {fraction})}),
			setData: (key, value) => store.append({type: 'data', key, value}),
			resources,
			suspendConnections: async () => {
				await poller.stop();
				await client.end().catch(() => undefined);
				await lock.release();
				return async () => {
					lock = await acquireRunLock(target, plan.plan.id);
					client = await connect(target, `runbook:${plan.plan.id}:work`);
					await ensureLedger(client);
					poller = startPoller();
				};
			},
		};
		let outcome: Outcome;
		try {
			const executor: Executor = item.kind === 'action' && item.action === 'restore-backup' ? (c) => runRestore(c, c.suspendConnections) : executorFor(item);
			outcome = await executor(ctx);
		} catch (error) {
			const message = redact(errorMessage(error), target.secrets);
			outcome = {ok: false, evidence: {actual: `error: ${message}`}, error: error instanceof UserError ? message : `${message} (this looks like a bug in runbook; the item can be retried)`};
		}
		return {...outcome, startedAt, endedAt: now()};
	}

	function record(entry: PlanEntry, outcome: Outcome & {startedAt: Date; endedAt: Date}): void {
		const evidence = {
			...outcome.evidence,
			...(outcome.evidence.outputTail ? {outputTail: outcome.evidence.outputTail.slice(-40)} : {}),
			startedAt: outcome.startedAt.toISOString(),
			endedAt: outcome.endedAt.toISOString(),
			durationMs: outcome.endedAt.getTime() - outcome.startedAt.getTime(),
		};
		if (outcome.ok) {
			store.append({type: 'item-passed', itemId: entry.item.id, evidence, ...(outcome.note ? {note: outcome.note} : {})});
		} else {
			const matrixRow = outcome.matrixRow === null ? undefined : (outcome.matrixRow ?? entry.item.onFailure);
			store.append({type: 'item-failed', itemId: entry.item.id, error: outcome.error ?? 'failed', evidence, ...(matrixRow ? {matrixRow} : {})});
		}
	}

	function planConditions(gate: GateItem, attested: boolean): GateConditionState[] {
		const state = store.current;
		// A probes item also says what it counted ("11 probes as app_user: 4 ran, 4 unchanged, …").
		const counted = (id: string) => (plan.byId.get(id)?.item.kind === 'probes' && state.items[id]?.evidence?.actual ? ` (${state.items[id]!.evidence!.actual})` : '');
		const describe = (ids: readonly string[] | undefined) =>
			(ids ?? []).map((id) => `${id}: ${state.items[id]?.status ?? 'pending'}${counted(id)}`).join(', ');
		const allPassed = (ids: readonly string[] | undefined) => (ids ?? []).every((id) => state.items[id]?.status === 'passed');
		const go = gate.go.map((c) => ({
			id: c.id,
			text: c.text,
			side: 'go' as const,
			attest: Boolean(c.attest),
			holds: c.items ? allPassed(c.items) && (!c.attest || attested) : attested,
			evidence: c.items ? describe(c.items) : 'operator attests by typing the word',
		}));
		const noGo = gate.noGo.map((c) => ({
			id: c.id,
			text: c.text,
			side: 'no-go' as const,
			attest: Boolean(c.attest),
			// A NO-GO condition is present when its evidence items did not all pass; attested ones are cleared by the operator's GO.
			holds: c.items ? !allPassed(c.items) : !attested,
			evidence: c.items ? describe(c.items) : 'operator attests it is absent by typing the word',
		}));
		return [...go, ...noGo];
	}

	async function runGate(entry: PlanEntry): Promise<'passed' | 'quit'> {
		const gate = entry.item as GateItem;
		const startedAt = now();
		// The rehearsal's own gate has nothing to compare with and no traffic to watch.
		const preview = options.settings.rehearsal
			? undefined
			: await gatePreview({client, plan, ...(options.rehearsal ? {rehearsal: options.rehearsal} : {}), trafficSampleMs: options.settings.trafficSampleMs ?? 3000, lockTimeoutMs: options.settings.lockTimeoutMs, now: now()});
		if (preview) {
			store.append({type: 'data', key: 'gate-preview', value: {lines: preview.lines, lockImpact: preview.lockImpact, ...(preview.fingerprint ? {fingerprint: preview.fingerprint} : {})}});
			for (const line of preview.lines) store.appendOutput(gate.id, 'info', line);
		}
		const gateTail = (conditions: readonly GateConditionState[]) => [...conditions.map(conditionLine), ...(preview?.lines ?? [])];
		const gateConditions = (g: GateItem, attested: boolean) => [...planConditions(g, attested), ...(preview?.conditions ?? [])];
		const before = gateConditions(gate, false);
		const blocking = before.filter((c) => !c.warning && (c.side === 'go' ? !c.holds && !c.attest : c.holds && !c.attest));
		if (options.mode === 'yes') {
			const after = gateConditions(gate, Boolean(options.go));
			for (const c of after) store.appendOutput(gate.id, 'info', conditionLine(c));
			const failing = after.filter((c) => !c.warning && (c.side === 'go' ? !c.holds : c.holds));
			if (!options.go || failing.length > 0) {
				const evidence = {expected: `all GO conditions hold, no NO-GO condition present, operator types ${gate.word}`, actual: failing.length > 0 ? `not met: ${failing.map((c) => c.text).join('; ')}` : '--go not given', outputTail: gateTail(after), startedAt: startedAt.toISOString(), endedAt: now().toISOString(), durationMs: 0};
				store.append({type: 'item-failed', itemId: gate.id, error: failing.length > 0 ? `NO-GO: ${failing.map((c) => c.text).join('; ')}` : 'Stopped at the GO gate: pass --go to record the GO decision.', evidence});
				throw new Stop(failing.length > 0 ? 'no-go' : 'stopped-at-gate', failing.length > 0 ? `NO-GO at ${gate.id}: ${failing.map((c) => c.text).join('; ')}` : `Stopped at the GO gate ${gate.id}; rerun with --go --resume to continue.`);
			}
			store.append({type: 'item-passed', itemId: gate.id, evidence: {expected: `GO`, actual: `GO given with --go; ${after.length} conditions checked`, outputTail: gateTail(after), startedAt: startedAt.toISOString(), endedAt: now().toISOString(), durationMs: now().getTime() - startedAt.getTime()}});
			return 'passed';
		}
		for (;;) {
			const decision = await wait({
				itemId: gate.id,
				reason: 'gate',
				prompt: blocking.length > 0 ? `NO-GO: ${blocking.map((c) => c.text).join('; ')}. Fix these (retry the failed items) or roll back; GO cannot be given.` : `Review every condition, then type ${gate.word} and Enter to start the migrations.`,
				expectText: gate.word,
				conditions: before,
			});
			if (decision.type === 'quit') return 'quit';
			if (decision.type === 'confirm' && decision.typed === gate.word && blocking.length === 0) {
				const after = gateConditions(gate, true);
				store.append({type: 'item-passed', itemId: gate.id, evidence: {expected: `operator types ${gate.word}`, actual: `${gate.word} typed by the operator`, outputTail: gateTail(after), startedAt: startedAt.toISOString(), endedAt: now().toISOString(), durationMs: now().getTime() - startedAt.getTime()}});
				return 'passed';
			}
			if (decision.type === 'confirm' && blocking.length > 0) {
				// The gate stays closed; the operator must fix the conditions.
				const evidence = {expected: 'no NO-GO condition', actual: blocking.map((c) => c.text).join('; '), outputTail: gateTail(before), startedAt: startedAt.toISOString(), endedAt: now().toISOString(), durationMs: 0};
				store.append({type: 'item-failed', itemId: gate.id, error: `NO-GO: ${blocking.map((c) => c.text).join('; ')}`, evidence});
				throw new Stop('no-go', `NO-GO at ${gate.id}: ${blocking.map((c) => c.text).join('; ')}`);
			}
		}
	}

	/** Runs one item to a final status, waiting for the operator where needed. Returns false when the run must stop. */
	async function runEntry(entry: PlanEntry): Promise<boolean> {
		const item = entry.item;
		const current = store.current.items[item.id];
		if (current && (current.status === 'passed' || current.status === 'skipped')) return true;
		const skipWhen = conditionUnmet(entry, options.settings);
		if (skipWhen) {
			store.append({type: 'item-skipped', itemId: item.id, reason: skipWhen, by: 'condition'});
			return true;
		}
		if (item.kind === 'gate') return (await runGate(entry)) === 'passed';
		// What needs the operator before it runs.
		const needsTyped = (item.kind === 'sql-file' || item.kind === 'action') && item.confirm;
		const missing = actionRequirement(item, options.settings);
		if (item.kind === 'manual' || (item.kind === 'http' && !options.settings.appUrl) || missing) {
			const prompt =
				item.kind === 'manual'
					? item.prompt
					: item.kind === 'http'
						? `The application checks are not configured (--app-url / APP_BASE_URL). Check ${item.path} by hand: expect HTTP ${item.expectStatus}, then confirm.`
						: `${item.title}: not configured (--${missing}). Do this check by hand, then confirm.`;
			if (options.mode === 'yes') {
				const confirmed = options.confirm === 'all' || options.confirm?.has(item.id);
				if (!confirmed) throw new Stop('stopped-at-gate', `Manual item ${item.id} ("${item.title}") needs the operator: pass --confirm ${item.id} (or --confirm all) to record that it was done.`);
				const at = now().toISOString();
				store.append({type: 'item-started', itemId: item.id, attempt: (current?.attempts ?? 0) + 1, executionId: randomUUID()});
				store.append({type: 'item-passed', itemId: item.id, evidence: {expected: 'operator confirms', actual: options.settings.rehearsal ? REHEARSED_MANUAL : 'confirmed with --confirm', command: prompt, startedAt: at, endedAt: at, durationMs: 0}});
				return true;
			}
			const startedAt = now();
			for (;;) {
				const decision = await wait({itemId: item.id, reason: 'confirm', prompt});
				if (decision.type === 'quit') return false;
				if (decision.type === 'skip') {
					store.append({type: 'item-skipped', itemId: item.id, reason: decision.reason, by: 'operator'});
					return true;
				}
				if (decision.type === 'rollback') {
					rollbackRequest = {level: decision.level, reason: decision.reason};
					return false;
				}
				if (decision.type === 'confirm') {
					const endedAt = now();
					store.append({type: 'item-passed', itemId: item.id, evidence: {expected: 'operator confirms', actual: 'confirmed by the operator (Enter)', command: prompt, startedAt: startedAt.toISOString(), endedAt: endedAt.toISOString(), durationMs: endedAt.getTime() - startedAt.getTime()}});
					return true;
				}
			}
		}
		if (needsTyped) {
			const expectText = item.confirm === 'database-name' ? databaseName : 'yes';
			if (options.mode === 'yes') {
				if (options.confirmDatabase !== expectText && !(item.confirm === 'yes')) {
					throw new Stop('stopped-at-gate', `${item.id} is irreversible and needs the database name: pass --confirm-database ${expectText}.`);
				}
			} else {
				const decision = await wait({itemId: item.id, reason: 'typed-confirm', prompt: `${item.title}: this cannot be undone. Type ${item.confirm === 'database-name' ? 'the database name' : 'yes'} to go ahead.`, expectText});
				if (decision.type === 'quit') return false;
				if (decision.type === 'skip') {
					store.append({type: 'item-skipped', itemId: item.id, reason: decision.reason, by: 'operator'});
					return true;
				}
				if (decision.type !== 'confirm' || decision.typed !== expectText) return runEntry(entry);
			}
		} else if (options.mode === 'interactive' && options.stepMigrations && item.kind === 'sql-file' && item.migration) {
			const decision = await wait({itemId: item.id, reason: 'confirm', prompt: `Press Enter to apply ${item.file} (one transaction; lock_timeout ${options.settings.lockTimeoutMs} ms).`});
			if (decision.type === 'quit') return false;
			if (decision.type === 'rollback') {
				rollbackRequest = {level: decision.level, reason: decision.reason};
				return false;
			}
		}
		for (;;) {
			const attempt = (store.current.items[item.id]?.attempts ?? 0) + 1;
			const outcome = await execute(entry, attempt);
			if (abort.signal.aborted) {
				record(entry, {...outcome, ok: false, error: outcome.error ?? 'interrupted'});
				throw new Stop('interrupted', `Interrupted during ${item.id}; the state is kept: run again with --resume.`);
			}
			record(entry, outcome);
			if (outcome.ok) return true;
			if (options.mode === 'yes') throw new Stop('failed', `${item.id} failed: ${outcome.error ?? 'see the evidence'}`);
			const decision = await wait({itemId: item.id, reason: 'failed', prompt: `${item.title} failed. r: retry · b: rollback menu${isSkippable(item) ? ' · s: skip with a reason' : ''} · q: quit (state kept)`});
			if (decision.type === 'retry' || decision.type === 'confirm') continue;
			if (decision.type === 'skip') {
				store.append({type: 'item-skipped', itemId: item.id, reason: decision.reason, by: 'operator'});
				return true;
			}
			if (decision.type === 'rollback') {
				rollbackRequest = {level: decision.level, reason: decision.reason};
				return false;
			}
			return false;
		}
	}

	async function runRollback(level: number, reason: string, confirmFirst = false): Promise<void> {
		const levelDef = plan.plan.rollback.find((l) => l.level === level);
		if (!levelDef) throw new Stop('failed', `The plan has no rollback level ${level}.`);
		if (confirmFirst && levelDef.confirm) {
			// Asked before anything of the level runs (the TUI's rollback menu asks in controller.rollback).
			const expectText = levelDef.confirm === 'database-name' ? databaseName : 'yes';
			if (options.mode === 'yes') {
				if (levelDef.confirm === 'database-name' && options.confirmDatabase !== expectText) {
					throw new Stop('stopped-at-gate', `Rollback level ${level} (${levelDef.title}) needs the database name: pass --confirm-database ${expectText}. Nothing was changed.`);
				}
			} else {
				const decision = await wait({itemId: levelDef.items[0]!.id, reason: 'typed-confirm', prompt: `${levelDef.title}: ${levelDef.why ?? ''} Type ${levelDef.confirm === 'database-name' ? 'the database name' : 'yes'} to start it.`, expectText});
				if (decision.type !== 'confirm' || decision.typed !== expectText) throw new Stop('quit', `Rollback level ${level} was not confirmed; nothing was changed.`);
			}
		}
		store.append({type: 'rollback-started', level, reason});
		store.append({type: 'data', key: 'rollback-in-progress', value: {level, reason}});
		for (const item of levelDef.items) {
			const entry = plan.byId.get(item.id)!;
			const ok = await runEntry(entry);
			if (!ok) throw new Stop(quitRequested ? 'quit' : 'failed', `Rollback level ${level} stopped at ${item.id}.`);
		}
		store.append({type: 'data', key: 'rollback-in-progress', value: null});
		// The ledger now says which migrations are undone: a later forward run (--fresh) applies them again.
		throw new Stop('rolled-back', `Rollback level ${level} (${levelDef.title}) completed and verified.`);
	}

	/** What the run created before it stopped and did not release: settled before anything else runs. */
	async function settlePrevious(): Promise<void> {
		const open = openResources(store.current);
		if (open.length === 0) return;
		const outcomes = await settleLeftovers(open, {
			target,
			...(options.settings.testTarget ? {testTarget: options.settings.testTarget} : {}),
			release: (id, how) => store.append({type: 'resource-released', id, how, settled: true}),
			update: (id, patch) => store.append({type: 'resource-updated', id, ...patch}),
			log: (line) => store.append({type: 'note', text: line}),
		});
		for (const o of outcomes.filter((x) => x.outcome !== 'released')) {
			store.append({type: 'note', text: `left in place: ${describeResource(o.resource, humanBytes)}; ${o.how}`});
		}
	}

	async function reconcile(): Promise<void> {
		const state = store.current;
		const interrupted = Object.entries(state.items).filter(([, s]) => s.status === 'running' || s.status === 'waiting');
		if (interrupted.length === 0) return;
		await waitForInflight(client, plan.plan.id, 60_000);
		for (const [itemId, itemState] of interrupted) {
			const entry = plan.byId.get(itemId);
			if (!entry) continue;
			if (itemState.status === 'waiting') {
				store.append({type: 'item-reset', itemId, reason: 'was waiting for the operator when the run stopped'});
				continue;
			}
			if (entry.item.kind === 'sql-file' && itemState.executionId) {
				const committed = await executionCommitted(client, itemState.executionId);
				if (committed) {
					const at = now().toISOString();
					store.append({type: 'item-passed', itemId, evidence: {command: entry.item.file, expected: 'committed exactly once', actual: `committed before the interruption (ledger: execution ${itemState.executionId})`, startedAt: itemState.startedAt ?? at, endedAt: at, durationMs: 0}, note: 'reconciled from the ledger after an interruption'});
				} else {
					store.append({type: 'item-reset', itemId, reason: 'interrupted before commit: its transaction rolled back (not in the ledger); it will run again'});
				}
				continue;
			}
			const note = await reconcileInterrupted(entry, itemState, options.settings);
			store.append({type: 'item-reset', itemId, reason: note});
		}
	}

	let resolveDone!: (s: RunState) => void;
	const done = new Promise<RunState>((resolve) => {
		resolveDone = resolve;
	});

	const main = async () => {
		let status: RunStatus = 'completed';
		let message = 'All items of the plan are done.';
		try {
			await settlePrevious();
			await reconcile();
			if (!options.rollbackOnly) await resolvePlanProject();
			const inProgress = store.current.data['rollback-in-progress'] as {level: number; reason: string} | null | undefined;
			if (options.rollbackOnly) await runRollback(options.rollbackOnly.level, options.rollbackOnly.reason, true);
			if (inProgress) await runRollback(inProgress.level, inProgress.reason);
			for (const entry of plan.forward) {
				if (quitRequested) throw new Stop('quit', 'Stopped by the operator; the state is kept: run again with --resume.');
				const ok = await runEntry(entry);
				if (rollbackRequest) {
					const request = rollbackRequest;
					rollbackRequest = undefined;
					await runRollback(request.level, request.reason);
				}
				if (!ok) throw new Stop('quit', 'Stopped by the operator; the state is kept: run again with --resume.');
			}
		} catch (error) {
			if (error instanceof Stop) {
				status = error.status;
				message = error.message;
			} else {
				status = 'failed';
				message = redact(errorMessage(error), target.secrets);
			}
		}
		store.append({type: 'run-stopped', status, message});
		await poller.stop();
		await client.end().catch(() => undefined);
		await lock.release();
		store.close();
		resolveDone(store.current);
	};
	void main();

	const controller: Controller = {
		plan,
		target: target.display,
		...(options.targetSource ? {targetSource: options.targetSource} : {}),
		stateDir: options.stateDir,
		state: () => store.current,
		subscribe: (listener: (event: EngineEvent, state: RunState) => void) => store.subscribe(listener),
		activity: () => activity,
		subscribeActivity: (listener) => {
			activityListeners.add(listener);
			return () => activityListeners.delete(listener);
		},
		confirm: (itemId, typed): ActionResult => {
			if (!pending || pending.waiting.itemId !== itemId) return {ok: false, message: `${itemId} is not waiting for a confirmation.`};
			const w = pending.waiting;
			if (w.expectText !== undefined && typed !== w.expectText) {
				return {ok: false, message: `Type exactly ${w.expectText} to confirm; "${typed ?? ''}" does not match.`};
			}
			if (w.reason === 'failed') return {ok: false, message: 'This item failed: press r to retry it, s to skip it with a reason, or b for the rollback menu.'};
			answer({type: 'confirm', ...(typed === undefined ? {} : {typed})});
			return {ok: true, message: 'confirmed'};
		},
		skip: (itemId, reason) => {
			const entry = plan.byId.get(itemId);
			if (!entry) return {ok: false, message: `No item ${itemId}.`};
			if (!isSkippable(entry.item)) return {ok: false, message: `${itemId} cannot be skipped: gates and migrations are never skipped. Retry it, or roll back.`};
			if (reason.trim().length < 3) return {ok: false, message: 'Give a reason for skipping (it goes into the journal and the report).'};
			if (!pending || pending.waiting.itemId !== itemId) return {ok: false, message: `${itemId} is not waiting; only a waiting or failed item can be skipped.`};
			answer({type: 'skip', reason: reason.trim()});
			return {ok: true, message: 'skipped'};
		},
		retry: (itemId) => {
			if (!pending || pending.waiting.itemId !== itemId || pending.waiting.reason !== 'failed') return {ok: false, message: `${itemId} has not failed; nothing to retry.`};
			answer({type: 'retry'});
			return {ok: true, message: 'retrying'};
		},
		rollback: (level, reason, typed) => {
			const levelDef = plan.plan.rollback.find((l) => l.level === level);
			if (!levelDef) return {ok: false, message: `The plan has no rollback level ${level}.`};
			const expectText = levelDef.confirm === 'database-name' ? databaseName : 'yes';
			if (typed !== expectText) return {ok: false, message: `Rollback level ${level} needs ${levelDef.confirm === 'database-name' ? `the database name (${databaseName})` : 'yes'} typed.`};
			if (!pending) return {ok: false, message: 'A rollback starts when the run is waiting (after a failure, at a prompt); wait for the current step to finish.'};
			answer({type: 'rollback', level, reason: reason || `operator chose rollback level ${level}`});
			return {ok: true, message: `rollback level ${level} starting`};
		},
		note: (text) => {
			if (!text.trim()) return {ok: false, message: 'An empty note was not recorded.'};
			store.append({type: 'note', text: text.trim(), by: os.userInfo().username});
			return {ok: true, message: 'note recorded'};
		},
		quit: async () => {
			quitRequested = true;
			if (pending) answer({type: 'quit'});
			else abort.abort();
			await done;
		},
		done,
	};
	return controller;
}

function conditionLine(c: GateConditionState): string {
	const mark = c.warning && !c.holds ? 'WARN  !' : c.side === 'go' ? (c.holds ? 'GO    ✓' : 'GO    ✗') : c.holds ? 'NO-GO ✗ present' : 'NO-GO ✓ absent';
	return `${mark}  ${c.text}  [${c.evidence}]`;
}

function conditionUnmet(entry: PlanEntry, settings: RunSettings): string | undefined {
	if (entry.item.kind === 'query' && entry.item.asAppRole && !settings.appRole) return 'not applicable: no application role given (--app-role); as the owner, RLS does not apply and the check would prove nothing';
	const when = entry.item.when;
	if (!when) return undefined;
	if ('env' in when) return settings.env[when.env] ? undefined : `not applicable: ${when.env} is not set`;
	if ('option' in when) return settings.options[when.option] ? undefined : `not applicable: option ${when.option} is not given`;
	return onPath(when.binary) ? undefined : `not applicable: \`${when.binary}\` is not installed on this machine`;
}
