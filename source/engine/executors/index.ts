/**
 * Item kind → executor, and the named built-in actions a plan may use.
 * A new plan uses these by name; a new kind of check is a new entry here.
 */
import {rm} from 'node:fs/promises';
import type {Item} from '../../plan/schema.js';
import type {PlanEntry} from '../../plan/load.js';
import type {ExecContext, Executor, Outcome, RunSettings} from '../context.js';
import type {ItemState} from '../../state/types.js';
import {runQuery} from './query.js';
import {runProbesItem} from './probes.js';
import {runSqlFile} from './sql-file.js';
import {runShell} from './shell.js';
import {runCriterion} from './criterion.js';
import {runHttp} from './http.js';
import {runBackupItem, runVerifyBackup, runTestRestore, runRestore, runClientTools, runBackupPrecheck} from './backup.js';
import {runBaselineItem, runPerformanceVerdict} from './baseline.js';
import {runRailwayVariables, runRegister, runHealthCheck, runAppChecks} from './railway.js';
import {runConnectionStability, runTimeWindow, runLongTransactions, runPermissionErrors, runObjectCounts, runSecurityPosture} from './checks.js';
import {runWriteReport, runNotify, runSignoff} from './report.js';
import {discardPartial} from '../../backup/dump.js';
import {ACTION_NAMES, type ActionName} from '../../plan/actions.js';

const note: Executor = async (ctx) => {
	const item = ctx.item;
	const text = item.kind === 'note' ? item.text : item.title;
	ctx.output(text, 'info');
	return {ok: true, evidence: {expected: 'shown to the operator', actual: 'shown', command: text}};
};

export const ACTIONS: Readonly<Record<string, Executor>> = {
	'client-tools': runClientTools,
	'backup-precheck': runBackupPrecheck,
	'verify-backup': runVerifyBackup,
	'test-restore': runTestRestore,
	'railway-variables': runRailwayVariables,
	'register-railway': runRegister,
	'health-check': runHealthCheck,
	'app-checks': runAppChecks,
	'connection-stability': runConnectionStability,
	'time-window': runTimeWindow,
	'long-transactions': runLongTransactions,
	'permission-errors': runPermissionErrors,
	'object-counts': runObjectCounts,
	'security-posture': runSecurityPosture,
	'performance-verdict': runPerformanceVerdict,
	'write-report': runWriteReport,
	'notify': runNotify,
	'signoff': runSignoff,
	'restore-backup': runRestore,
} satisfies Record<ActionName, Executor>;

export {ACTION_NAMES};

/** An action whose input is missing becomes a manual confirmation (e.g. app checks without --app-url). */
export function actionRequirement(item: Item, settings: RunSettings): string | undefined {
	if (item.kind !== 'action') return undefined;
	const requires = item.with?.['requires'];
	if (typeof requires !== 'string') return undefined;
	const present = requires === 'app-url' ? settings.appUrl : settings.options[requires];
	return present ? undefined : requires;
}

export function executorFor(item: Item): Executor {
	switch (item.kind) {
		case 'query':
			return runQuery;
		case 'sql-file':
			return runSqlFile;
		case 'shell':
			return runShell;
		case 'http':
			return runHttp;
		case 'criterion':
			return runCriterion;
		case 'probes':
			return runProbesItem;
		case 'backup':
			return runBackupItem;
		case 'baseline':
			return runBaselineItem;
		case 'note':
		case 'manual':
			return note;
		case 'action': {
			const executor = ACTIONS[item.action];
			if (!executor) return async (): Promise<Outcome> => ({ok: false, evidence: {actual: `unknown action ${item.action}`}, error: `The plan names an action \`${item.action}\` that this runbook does not know (known: ${ACTION_NAMES.join(', ')}).`});
			return executor;
		}
		case 'gate':
			throw new Error('gates are run by the runner');
	}
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
