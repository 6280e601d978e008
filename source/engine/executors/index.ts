/**
 * Item kind → executor, typed by kind: each executor gets the item of its own
 * kind (no cast, no "got a … item" guard). Actions are looked up by name in
 * actions.ts, their `with:` parsed first by the action's schema (plan/actions.ts).
 */
import {rm} from 'node:fs/promises';
import type {ActionItem, Item, ItemKind} from '../../plan/schema.js';
import type {PlanEntry} from '../../plan/load.js';
import type {ActionContext, ExecContext, Executor, ItemOf, Outcome, RunSettings} from '../context.js';
import type {ItemState} from '../../state/types.js';
import {runQuery} from './query.js';
import {runProbesItem} from './probes.js';
import {runSqlFile} from './sql-file.js';
import {runShell} from './shell.js';
import {runCriterion} from './criterion.js';
import {runHttp} from './http.js';
import {runBackupItem} from './backup.js';
import {runBaselineItem} from './baseline.js';
import {ACTIONS} from './actions.js';
import {ACTION_NAMES, isActionName, type ActionName} from '../../plan/action-names.js';
import {discardPartial} from '../../backup/dump.js';

export {ACTION_NAMES};

const note = async (ctx: ExecContext<ItemOf<'note' | 'manual'>>): Promise<Outcome> => {
	const item = ctx.item;
	const text = item.kind === 'note' ? item.text : item.title;
	ctx.output(text, 'info');
	return {ok: true, evidence: {expected: 'shown to the operator', actual: 'shown', command: text}};
};

/** Every kind but the gate (the item loop decides it) and actions (by name, below). */
const BY_KIND: {readonly [K in Exclude<ItemKind, 'gate' | 'action'>]: Executor<K>} = {
	'query': runQuery,
	'sql-file': runSqlFile,
	'shell': runShell,
	'http': runHttp,
	'criterion': runCriterion,
	'probes': runProbesItem,
	'backup': runBackupItem,
	'baseline': runBaselineItem,
	'note': note,
	'manual': note,
};

/** The action's `with:`, parsed (defaults filled in), or why it does not parse. The schemas (zod) load with the first action. */
async function parseWith(item: ActionItem): Promise<{ok: true; name: ActionName; with: unknown} | {ok: false; error: string}> {
	if (!isActionName(item.action)) return {ok: false, error: `The plan names an action \`${item.action}\` that this runbook does not know (known: ${ACTION_NAMES.join(', ')}).`};
	const {ACTION_WITH} = await import('../../plan/actions.js');
	const parsed = ACTION_WITH[item.action].safeParse(item.with ?? {});
	if (!parsed.success) return {ok: false, error: `The \`with:\` of ${item.id} does not fit the action ${item.action}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'with'}: ${i.message}`).join('; ')}. Run \`runbook validate\` on the plan.`};
	return {ok: true, name: item.action, with: parsed.data};
}

/** An action whose input is missing becomes a manual confirmation (e.g. app checks without --app-url). */
export async function actionRequirement(item: Item, settings: RunSettings): Promise<string | undefined> {
	if (item.kind !== 'action') return undefined;
	const parsed = await parseWith(item);
	const requires = parsed.ok ? (parsed.with as {requires?: string}).requires : undefined;
	if (requires === undefined) return undefined;
	const present = requires === 'app-url' ? settings.appUrl : settings.options[requires];
	return present ? undefined : requires;
}

/** The same context, its live getters kept (the working connection changes after a restore), with more fields. */
function extend<C extends object, E extends object>(ctx: C, extra: E): C & E {
	return Object.defineProperties(Object.create(ctx) as C & E, Object.getOwnPropertyDescriptors(extra));
}

/** Runs the context's item with the executor of its kind. */
export async function runItem(ctx: ExecContext): Promise<Outcome> {
	const item = ctx.item;
	if (item.kind === 'gate') throw new Error('gates are decided by the item loop');
	if (item.kind === 'action') {
		const parsed = await parseWith(item);
		if (!parsed.ok) return {ok: false, evidence: {actual: parsed.error}, error: parsed.error};
		// The name and the parsed value come from the same table entry: the one place their types meet.
		const run = ACTIONS[parsed.name] as (c: ActionContext<unknown>) => Promise<Outcome>;
		return run(extend(ctx as ExecContext<ActionItem>, {with: parsed.with}));
	}
	const run = BY_KIND[item.kind] as (c: ExecContext) => Promise<Outcome>;
	return run(ctx);
}

export type {ExecContext};

/** What to do with an item that was running when the process died (SQL files are reconciled from the ledger by the runner). */
export async function reconcileInterrupted(entry: PlanEntry, state: ItemState, settings: RunSettings): Promise<string> {
	if (entry.item.kind === 'backup') {
		const removed = await discardPartial(settings.backupDir, entry.item.prefix).catch(() => [] as string[]);
		const finished = state.evidence?.details?.['file'];
		if (typeof finished === 'string') await rm(finished, {force: true});
		return `interrupted during the backup: ${removed.length > 0 ? `the partial file ${removed.join(', ')} was discarded` : 'no partial file was left'}; the backup runs again from the start`;
	}
	return `interrupted while running (attempt ${state.attempts}); it is read-only or idempotent and runs again`;
}
