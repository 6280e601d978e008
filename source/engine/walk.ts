/**
 * The item loop: the plan's items in order, each run by its executor and
 * recorded, the operator asked (through the Decider) where the plan says so —
 * manual items, irreversible items, the GO gate, failures — and a rollback
 * level run when one is chosen. Finished items are never run again.
 */
import {randomUUID} from 'node:crypto';
import type {LoadedPlan, PlanEntry} from '../plan/load.js';
import type {GateItem, Item} from '../plan/schema.js';
import {confirmPhrase, confirmWord, isSkippable, rollbackConfirmKind} from '../plan/rules.js';
import type {Target} from '../db/target.js';
import {redact} from '../db/target.js';
import type {StateStore} from '../state/store.js';
import type {ResourceTracker} from '../proc/resource.js';
import {onPath} from '../proc/which.js';
import {resolveProject} from '../railway/project.js';
import type {Rehearsal} from '../rehearsal/file.js';
import {UserError, errorMessage} from '../errors.js';
import type {ExecContext, Outcome, RunSettings} from './context.js';
import type {Decider, Quit, Rollback, Skip, Stop as Unanswered} from './decider.js';
import type {EngineEventInput, RunStatus} from '../state/types.js';
import type {Session} from './session.js';
import {runItem, actionRequirement} from './executors/index.js';
import {gatePreview} from './gate-preview.js';
import {blockingConditions, conditionLine, failingConditions, gateConditions} from './gate.js';
import {chooseLockTimeout} from '../db/lock-timeout.js';

/** How a run ends early: its status and the message `run-stopped` records. */
export class Stop extends Error {
	constructor(
		readonly status: RunStatus,
		message: string,
	) {
		super(message);
	}
}

export type Walk = {
	readonly plan: LoadedPlan;
	readonly target: Target;
	readonly settings: RunSettings;
	readonly store: StateStore;
	readonly session: Session;
	readonly decider: Decider;
	readonly runId: string;
	readonly stateDir: string;
	readonly resources: ResourceTracker;
	/** Aborted when the operator quits while an item runs. */
	readonly signal: AbortSignal;
	/** The operator asked to stop (after the current step). */
	readonly quitRequested: () => boolean;
	readonly rehearsal?: {readonly record: Rehearsal; readonly file: string};
};

type Timed = Outcome & {readonly startedAt: Date; readonly endedAt: Date};

const STOPPED_BY_OPERATOR = 'Stopped by the operator; the state is kept: run again with --resume.';

/**
 * Items that only read (a query's check, the probes, each in a transaction
 * that is rolled back) and that a resumed run simply runs again: their events
 * are written at once but not fsync'd one by one (state/store.ts). The journal
 * is fsync'd before anything that changes the database or the disk: the next
 * migration's start, a resource's registration, an operator's answer, the end.
 */
const RERUN_ON_RESUME: ReadonlySet<Item['kind']> = new Set(['query', 'probes']);

/** Walks the forward path (or only `rollbackOnly`'s level); ends by throwing a Stop unless every item is done. */
export async function walkPlan(run: Walk, rollbackOnly?: {readonly level: number; readonly reason: string}): Promise<void> {
	const {plan, target, store, session, decider} = run;
	const databaseName = target.database;
	const now = () => new Date();
	/** The settings items see: the CLI's, plus the project resolved from the plan's rule (`project-ref`). */
	let settings = run.settings;
	let rollbackRequest: {level: number; reason: string} | undefined;
	/** What items computed for the run's later items (ctx.memo): held by this run, gone with it. */
	const memos = new Map<string, Promise<unknown>>();
	const memo = <T>(key: string, make: () => Promise<T>): Promise<T> => {
		let value = memos.get(key) as Promise<T> | undefined;
		if (!value) {
			value = make();
			memos.set(key, value);
			// A failure is not kept: the next item (or a retry) computes it again.
			value.catch(() => memos.delete(key));
		}
		return value;
	};

	/**
	 * Resolves the plan's project rule before any item runs, so a wrong or
	 * ambiguous project stops the window before the backup, let alone a
	 * migration. Without platform.projects there is nothing to resolve: the
	 * prerequisite checks then fail with their own evidence.
	 */
	async function resolvePlanProject(): Promise<void> {
		const rule = plan.plan.project;
		if (!rule) return;
		const client = session.client();
		const {rows} = await client.query<{present: boolean}>(`SELECT to_regclass('platform.projects') IS NOT NULL AND to_regclass('platform.organizations') IS NOT NULL AS present`);
		if (!rows[0]?.present) return;
		const resolution = await resolveProject(client, rule, run.settings.options['project-ref']);
		// Resolved again by every (resumed) run: durable with the first migration's start, or the run's end.
		store.append({type: 'data', key: 'project', value: resolution.ok ? {...resolution.project, rule: resolution.rule} : {rule: resolution.rule, candidates: resolution.candidates}}, {sync: false});
		if (!resolution.ok) throw new Stop('stopped-at-gate', resolution.message);
		settings = {...settings, options: {...settings.options, 'project-ref': resolution.project.ref}};
	}

	/** lock_timeout below the server's deadlock_timeout (unless the operator chose it), recorded before any migration runs. */
	async function chooseMigrationLockTimeout(): Promise<void> {
		const choice = await chooseLockTimeout(session.client(), settings.lockTimeoutMs, Boolean(settings.lockTimeoutGiven));
		// Chosen again by every (resumed) run: durable with the first migration's start.
		store.append({type: 'data', key: 'lock-timeout', value: choice}, {sync: false});
		store.append({type: 'note', text: choice.note}, {sync: false});
		settings = {...settings, lockTimeoutMs: choice.lockTimeoutMs};
	}

	async function execute(entry: PlanEntry, attempt: number): Promise<Timed> {
		const item = entry.item;
		const executionId = randomUUID();
		const sync = !RERUN_ON_RESUME.has(item.kind);
		store.append({type: 'item-started', itemId: item.id, attempt, executionId}, {sync});
		const startedAt = now();
		const ctx: ExecContext = {
			item,
			entry,
			plan,
			target,
			get client() {
				return session.client();
			},
			settings,
			runId: run.runId,
			executionId,
			attempt,
			stateDir: run.stateDir,
			signal: run.signal,
			state: () => store.current,
			output: (line, stream = 'stdout') => store.appendOutput(item.id, stream, line),
			progress: (message, fraction) => store.append({type: 'progress', itemId: item.id, message: redact(message, target.secrets), ...(fraction === undefined ? {} : {fraction})}),
			// The key and its value's type are one pair (DataEntry); TypeScript cannot correlate a generic key with it.
			setData: (key, value) => store.append({type: 'data', key, value} as EngineEventInput, {sync}),
			resources: run.resources,
			suspendConnections: session.suspend,
			memo,
		};
		let outcome: Outcome;
		try {
			outcome = await runItem(ctx);
		} catch (error) {
			const message = redact(errorMessage(error), target.secrets);
			outcome = {ok: false, evidence: {actual: `error: ${message}`}, error: error instanceof UserError ? message : `${message} (this looks like a bug in runbook; the item can be retried)`};
		}
		return {...outcome, startedAt, endedAt: now()};
	}

	function record(entry: PlanEntry, outcome: Timed): void {
		const evidence = {
			...outcome.evidence,
			...(outcome.evidence.outputTail ? {outputTail: outcome.evidence.outputTail.slice(-40)} : {}),
			startedAt: outcome.startedAt.toISOString(),
			endedAt: outcome.endedAt.toISOString(),
			durationMs: outcome.endedAt.getTime() - outcome.startedAt.getTime(),
		};
		const sync = !RERUN_ON_RESUME.has(entry.item.kind);
		if (outcome.ok) {
			store.append({type: 'item-passed', itemId: entry.item.id, evidence, ...(outcome.note ? {note: outcome.note} : {})}, {sync});
		} else {
			const matrixRow = outcome.matrixRow === null ? undefined : (outcome.matrixRow ?? entry.item.onFailure);
			store.append({type: 'item-failed', itemId: entry.item.id, error: outcome.error ?? 'failed', evidence, ...(matrixRow ? {matrixRow} : {})}, {sync});
		}
	}

	/** An answer that is not "go ahead": recorded, and whether the run goes on (false: it stops here). */
	function settle(item: Item, answer: Skip | Rollback | Quit | Unanswered): boolean {
		switch (answer.type) {
			case 'skip':
				store.append({type: 'item-skipped', itemId: item.id, reason: answer.reason, by: 'operator'});
				return true;
			case 'rollback':
				rollbackRequest = {level: answer.level, reason: answer.reason};
				return false;
			case 'quit':
				return false;
			case 'stop':
				throw new Stop(answer.status, answer.message);
		}
	}

	async function runGate(entry: PlanEntry): Promise<boolean> {
		const gate = entry.item as GateItem;
		const startedAt = now();
		// The rehearsal's own gate has nothing to compare with and no traffic to watch.
		const preview = settings.rehearsal
			? undefined
			: await gatePreview({client: session.client(), plan, ...(run.rehearsal ? {rehearsal: run.rehearsal} : {}), trafficSampleMs: settings.trafficSampleMs ?? 3000, lockTimeoutMs: settings.lockTimeoutMs, now: now()});
		if (preview) {
			store.append({type: 'data', key: 'gate-preview', value: {lines: preview.lines, lockImpact: preview.lockImpact, ...(preview.fingerprint ? {fingerprint: preview.fingerprint} : {})}});
			for (const line of preview.lines) store.appendOutput(gate.id, 'info', line);
		}
		const input = {plan, gate, ...(preview ? {extra: preview.conditions} : {})};
		const before = gateConditions({...input, state: store.current}, false);
		const blocking = blockingConditions(before);
		const answer = await decider.gate({
			gate,
			prompt: blocking.length > 0 ? `NO-GO: ${blocking.map((c) => c.text).join('; ')}. Fix these (retry the failed items) or roll back; GO cannot be given.` : `Review every condition, then type ${gate.word} and Enter to start the migrations.`,
			conditions: before,
		});
		if (answer.type === 'quit') return false;
		// The operator's GO attests the conditions only they can tell; without it those are not met.
		const after = gateConditions({...input, state: store.current}, answer.type === 'confirmed');
		for (const c of after) store.appendOutput(gate.id, 'info', conditionLine(c));
		const times = {startedAt: startedAt.toISOString(), endedAt: now().toISOString(), durationMs: now().getTime() - startedAt.getTime()};
		const outputTail = [...after.map(conditionLine), ...(preview?.lines ?? [])];
		const expected = `all GO conditions hold, no NO-GO condition present, operator types ${gate.word}`;
		const failing = failingConditions(after).map((c) => c.text).join('; ');
		if (failing) {
			store.append({type: 'item-failed', itemId: gate.id, error: `NO-GO: ${failing}`, evidence: {expected, actual: `not met: ${failing}`, outputTail, ...times}});
			throw new Stop('no-go', `NO-GO at ${gate.id}: ${failing}`);
		}
		if (answer.type === 'stop') {
			store.append({type: 'item-failed', itemId: gate.id, error: answer.failure?.error ?? answer.message, evidence: {expected, actual: answer.failure?.actual ?? answer.message, outputTail, ...times}});
			throw new Stop(answer.status, answer.message);
		}
		store.append({type: 'item-passed', itemId: gate.id, evidence: {expected: 'GO', actual: `${answer.how}; ${after.length} conditions checked`, outputTail, ...times}});
		return true;
	}

	/** A manual item, or a check not configured here: the operator does it by hand and confirms. */
	async function runByHand(entry: PlanEntry, prompt: string): Promise<boolean> {
		const item = entry.item;
		const startedAt = now();
		const answer = await decider.manual({item, prompt});
		if (answer.type !== 'confirmed') return settle(item, answer);
		// Confirmed without a question journaled (scripted): the attempt is recorded all the same.
		const current = store.current.items[item.id];
		if (current?.status !== 'waiting') store.append({type: 'item-started', itemId: item.id, attempt: (current?.attempts ?? 0) + 1, executionId: randomUUID()});
		const endedAt = now();
		store.append({type: 'item-passed', itemId: item.id, evidence: {expected: 'operator confirms', actual: answer.how, command: prompt, startedAt: startedAt.toISOString(), endedAt: endedAt.toISOString(), durationMs: endedAt.getTime() - startedAt.getTime()}});
		return true;
	}

	/** Runs one item to a final status, asking the operator where needed. Returns false when the run must stop. */
	async function runEntry(entry: PlanEntry): Promise<boolean> {
		const item = entry.item;
		const current = store.current.items[item.id];
		if (current && (current.status === 'passed' || current.status === 'skipped')) return true;
		const skipWhen = conditionUnmet(entry, settings);
		if (skipWhen) {
			store.append({type: 'item-skipped', itemId: item.id, reason: skipWhen, by: 'condition'});
			return true;
		}
		if (item.kind === 'gate') return runGate(entry);
		const missing = await actionRequirement(item, settings);
		if (item.kind === 'manual') return runByHand(entry, item.prompt);
		if (item.kind === 'http' && !settings.appUrl) return runByHand(entry, `The application checks are not configured (--app-url / APP_BASE_URL). Check ${item.path} by hand: expect HTTP ${item.expectStatus}, then confirm.`);
		if (missing) return runByHand(entry, `${item.title}: not configured (--${missing}). Do this check by hand, then confirm.`);
		const kind = (item.kind === 'sql-file' || item.kind === 'action') && item.confirm;
		if (kind) {
			const answer = await decider.irreversible({item, prompt: `${item.title}: this cannot be undone. Type ${confirmPhrase(kind)} to go ahead.`, kind, word: confirmWord(kind, databaseName)});
			if (answer.type !== 'confirmed') return settle(item, answer);
		} else if (item.kind === 'sql-file' && item.migration) {
			const answer = await decider.beforeMigration({item, prompt: `Press Enter to apply ${item.file} (one transaction; lock_timeout ${settings.lockTimeoutMs} ms).`});
			if (answer.type !== 'confirmed') return settle(item, answer);
		}
		for (;;) {
			const outcome = await execute(entry, (store.current.items[item.id]?.attempts ?? 0) + 1);
			if (run.signal.aborted) {
				record(entry, {...outcome, ok: false, error: outcome.error ?? 'interrupted'});
				throw new Stop('interrupted', `Interrupted during ${item.id}; the state is kept: run again with --resume.`);
			}
			record(entry, outcome);
			if (outcome.ok) return true;
			const answer = await decider.failed({item, error: outcome.error ?? 'see the evidence', prompt: `${item.title} failed. r: retry · b: rollback menu${isSkippable(item) ? ' · s: skip with a reason' : ''} · q: quit (state kept)`});
			if (answer.type !== 'retry') return settle(item, answer);
		}
	}

	async function runRollback(level: number, reason: string, confirmFirst = false): Promise<never> {
		const levelDef = plan.plan.rollback.find((l) => l.level === level);
		if (!levelDef) throw new Stop('failed', `The plan has no rollback level ${level}.`);
		if (confirmFirst) {
			// Asked before anything of the level runs (the TUI's rollback menu asks in controller.rollback).
			const kind = rollbackConfirmKind(levelDef);
			const answer = await decider.startRollback({level: levelDef, kind, word: confirmWord(kind, databaseName), prompt: `${levelDef.title}: ${levelDef.why ?? ''} Type ${confirmPhrase(kind)} to start it.`});
			if (answer.type === 'stop') throw new Stop(answer.status, answer.message);
		}
		store.append({type: 'rollback-started', level, reason});
		store.append({type: 'data', key: 'rollback-in-progress', value: {level, reason}});
		for (const item of levelDef.items) {
			if (!(await runEntry(plan.byId.get(item.id)!))) throw new Stop(run.quitRequested() ? 'quit' : 'failed', `Rollback level ${level} stopped at ${item.id}.`);
		}
		store.append({type: 'data', key: 'rollback-in-progress', value: null});
		// The ledger now says which migrations are undone: a later forward run (--fresh) applies them again.
		throw new Stop('rolled-back', `Rollback level ${level} (${levelDef.title}) completed and verified.`);
	}

	await chooseMigrationLockTimeout();
	if (!rollbackOnly) await resolvePlanProject();
	const inProgress = store.current.data['rollback-in-progress'];
	if (rollbackOnly) await runRollback(rollbackOnly.level, rollbackOnly.reason, true);
	if (inProgress) await runRollback(inProgress.level, inProgress.reason);
	for (const entry of plan.forward) {
		if (run.quitRequested()) throw new Stop('quit', STOPPED_BY_OPERATOR);
		const ok = await runEntry(entry);
		if (rollbackRequest) await runRollback(rollbackRequest.level, rollbackRequest.reason);
		if (!ok) throw new Stop('quit', STOPPED_BY_OPERATOR);
	}
}

/** Why an item does not apply to this run (its `when`, or a check as the application role without one), if it does not. */
function conditionUnmet(entry: PlanEntry, settings: RunSettings): string | undefined {
	if (entry.item.kind === 'query' && entry.item.asAppRole && !settings.appRole) return 'not applicable: no application role given (--app-role); as the owner, RLS does not apply and the check would prove nothing';
	const when = entry.item.when;
	if (!when) return undefined;
	if ('env' in when) return settings.env[when.env] ? undefined : `not applicable: ${when.env} is not set`;
	if ('option' in when) return settings.options[when.option] ? undefined : `not applicable: option ${when.option} is not given`;
	return onPath(when.binary) ? undefined : `not applicable: \`${when.binary}\` is not installed on this machine`;
}
