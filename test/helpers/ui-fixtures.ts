/**
 * What the UI tests render: a small plan, run states, and a Controller that
 * records the calls it receives. The renderer's own contract, not a stand-in
 * for PostgreSQL: the UI only ever talks to a Controller. Its refusals are the
 * real rules (plan/rules.ts), so the UI is tested against what the engine says.
 */
import {planSchema} from '../../source/plan/schema.js';
import {indexPlan, type LoadedPlan} from '../../source/plan/load.js';
import type {ActionResult, Controller} from '../../source/engine/controller.js';
import type {DbActivity} from '../../source/db/activity.js';
import type {EngineEvent, ItemState, RunState, Waiting} from '../../source/state/types.js';
import {emptyState} from '../../source/state/reduce.js';
import {rollbackRefusal, skipRefusal} from '../../source/plan/rules.js';
import {databaseName} from '../../source/ui/database-name.js';

export const T_START = Date.parse('2025-03-01T02:00:00.000Z');
export const at = (minutes: number) => new Date(T_START + minutes * 60_000).toISOString();

export function testPlan(): LoadedPlan {
	const plan = planSchema.parse({
		id: 'migration-006',
		title: 'Migration 006: databases table',
		version: '1',
		timeline: [
			{id: 'backup', at: '-30m', activity: 'Create backup', duration: '10m', owner: 'Rafael'},
			{id: 'decision', at: '-5m', activity: 'Final GO/NO-GO decision', duration: '5m', owner: 'Team'},
			{id: 'm1', at: '+0m', activity: 'Execute Migration 1', duration: '2s', owner: 'Rafael'},
			{id: 'v1', at: '+1m', activity: 'Verify Migration 1', duration: '3m', owner: 'Rafael'},
			{id: 'complete', at: '+60m', activity: 'Migration complete'},
		],
		phases: [
			{
				id: 'pre',
				title: 'Pre-deployment',
				items: [
					{id: 'pre.backup', title: 'Full backup', kind: 'backup', timeline: 'backup', why: 'A restorable copy before anything changes.'},
					{id: 'pre.railway', title: 'Railway services running', kind: 'manual', prompt: 'Check Redis and MongoDB in the Railway dashboard', timeline: 'backup', skippable: true},
					{id: 'pre.connect', title: 'Connection stable', kind: 'query', sql: 'select 1 as one', expect: [{op: 'equals', column: 'one', value: 1}], timeline: 'backup'},
				],
			},
			{
				id: 'gate',
				title: 'GO / NO-GO',
				items: [
					{
						id: 'gate.go',
						title: 'Final GO/NO-GO decision',
						kind: 'gate',
						timeline: 'decision',
						go: [
							{id: 'go.backup', text: 'Full database backup completed and verified', items: ['pre.backup']},
							{id: 'go.window', text: 'Window allows 1 hour of troubleshooting', attest: true},
						],
						noGo: [{id: 'nogo.incident', text: 'Critical production incident in progress', attest: true}],
					},
				],
			},
			{
				id: 'step1',
				title: 'Step 1: databases table',
				items: [
					{id: 'step1.apply', title: 'Apply 006', kind: 'sql-file', file: '006_add_platform_databases_table.sql', migration: true, timeline: 'm1', onFailure: 'syntax'},
					{id: 'step1.verify', title: 'Verify 8 indexes', kind: 'query', sql: "select count(*) as n from pg_indexes where tablename = 'databases'", expect: [{op: 'equals', column: 'n', value: 8}], timeline: 'v1', onFailure: 'syntax'},
				],
			},
		],
		decisionMatrix: [
			{id: 'perm', issue: 'Migration fails with permission denied', severity: 'HIGH', rollback: false, procedure: 'Grant CREATE on schema platform and retry'},
			{id: 'syntax', issue: 'Migration syntax error', severity: 'CRITICAL', rollback: true, level: 2, procedure: 'Drop the databases table'},
			{id: 'rls', issue: 'RLS blocks queries', severity: 'CRITICAL', rollback: true, level: 1, procedure: 'Disable RLS'},
		],
		rollback: [
			{level: 1, title: 'Disable RLS', why: 'Policies block the application.', confirm: 'yes', items: [{id: 'rb1.disable', title: 'Disable RLS', kind: 'manual', prompt: 'x'}]},
			{level: 2, title: 'Drop the databases table', why: 'The table itself causes issues.', confirm: 'database-name', items: [{id: 'rb2.drop', title: 'Drop table', kind: 'manual', prompt: 'x'}]},
			{level: 3, title: 'Restore from backup', why: 'Last resort.', confirm: 'database-name', items: [{id: 'rb3.restore', title: 'Restore', kind: 'manual', prompt: 'x'}]},
		],
	});
	return indexPlan(plan, '/tmp/test-plan.yaml', 'f'.repeat(64));
}

export function runState(overrides: Partial<RunState> = {}): RunState {
	return {
		...emptyState(),
		runId: 'run-1',
		planId: 'migration-006',
		planTitle: 'Migration 006: databases table',
		target: 'app@db.example:5432/prod',
		startedAt: at(0),
		updatedAt: at(0),
		pid: 4242,
		host: 'ops-1',
		...overrides,
	};
}

export function passed(startMin: number, durationMs: number, extra: Partial<ItemState> = {}): ItemState {
	const startedAt = at(startMin);
	const endedAt = new Date(Date.parse(startedAt) + durationMs).toISOString();
	return {status: 'passed', attempts: 1, startedAt, endedAt, evidence: {startedAt, endedAt, durationMs, exitCode: 0}, ...extra};
}

export type Call = {readonly method: string; readonly args: readonly unknown[]};

export class RecordingController implements Controller {
	readonly plan: LoadedPlan;
	readonly target: string;
	readonly stateDir = '/tmp/runbook-test-state';
	readonly calls: Call[] = [];
	readonly done: Promise<RunState>;
	private current: RunState;
	private currentActivity: DbActivity | undefined;
	private readonly listeners = new Set<(event: EngineEvent, state: RunState) => void>();
	private readonly activityListeners = new Set<(activity: DbActivity) => void>();
	private finish!: (state: RunState) => void;

	constructor(state: RunState, options: {plan?: LoadedPlan; target?: string; activity?: DbActivity} = {}) {
		this.plan = options.plan ?? testPlan();
		this.target = options.target ?? 'app@db.example:5432/prod';
		this.current = state;
		this.currentActivity = options.activity;
		this.done = new Promise((resolve) => {
			this.finish = resolve;
		});
	}

	readonly state = () => this.current;
	readonly activity = () => this.currentActivity;
	readonly subscribe = (listener: (event: EngineEvent, state: RunState) => void) => {
		this.listeners.add(listener);
		return () => void this.listeners.delete(listener);
	};
	readonly subscribeActivity = (listener: (activity: DbActivity) => void) => {
		this.activityListeners.add(listener);
		return () => void this.activityListeners.delete(listener);
	};

	/** Pushes a new state to the UI, as the engine does after an event. */
	setState(state: RunState): void {
		this.current = state;
		const event = {type: 'note', text: 'update', seq: state.lastSeq, at: state.updatedAt} as EngineEvent;
		for (const listener of this.listeners) listener(event, state);
	}

	setActivity(activity: DbActivity): void {
		this.currentActivity = activity;
		for (const listener of this.activityListeners) listener(activity);
	}

	readonly confirm = (itemId: string, typed?: string): ActionResult => {
		this.calls.push({method: 'confirm', args: typed === undefined ? [itemId] : [itemId, typed]});
		return {ok: true, message: `${itemId} confirmed`};
	};

	readonly skip = (itemId: string, reason: string): ActionResult => {
		this.calls.push({method: 'skip', args: [itemId, reason]});
		const item = this.plan.byId.get(itemId)?.item;
		const refusal = item ? skipRefusal(item, reason) : `No item ${itemId}.`;
		if (refusal) return {ok: false, message: refusal};
		return {ok: true, message: `${itemId} skipped`};
	};

	readonly retry = (itemId: string): ActionResult => {
		this.calls.push({method: 'retry', args: [itemId]});
		return {ok: true, message: `${itemId} runs again`};
	};

	readonly rollback = (level: number, reason: string, typed?: string): ActionResult => {
		this.calls.push({method: 'rollback', args: [level, reason, typed]});
		const levelDef = this.plan.plan.rollback.find((l) => l.level === level);
		const refusal = levelDef ? rollbackRefusal(levelDef, databaseName(this.target), typed) : `The plan has no rollback level ${level}.`;
		if (refusal) return {ok: false, message: refusal};
		return {ok: true, message: `rollback level ${level} started`};
	};

	readonly note = (text: string): ActionResult => {
		this.calls.push({method: 'note', args: [text]});
		return {ok: true, message: 'note added'};
	};

	readonly quit = async (): Promise<void> => {
		this.calls.push({method: 'quit', args: []});
		this.finish({...this.current, status: 'quit'});
	};
}

export const gateWaiting: Waiting = {
	itemId: 'gate.go',
	reason: 'gate',
	prompt: 'All GO conditions hold. Type GO to start the migration.',
	expectText: 'GO',
	conditions: [
		{id: 'go.backup', text: 'Full database backup completed and verified', side: 'go', holds: true, evidence: 'pre.backup passed: 1.2 MB, sha256 ab12', attest: false},
		{id: 'go.window', text: 'Window allows 1 hour of troubleshooting', side: 'go', holds: true, evidence: 'attested by the operator', attest: true},
		{id: 'nogo.incident', text: 'Critical production incident in progress', side: 'no-go', holds: false, evidence: 'the operator attests there is none', attest: true},
	],
};
