/**
 * What runs each built-in action: its executor, which gets the action's
 * `with:` parsed by the schema in plan/actions.ts (`ctx.with`).
 */
import type {ActionName, WithOf} from '../../plan/actions.js';
import type {ActionContext, Outcome} from '../context.js';
import {runVerifyBackup, runTestRestore, runRestore, runClientTools, runBackupPrecheck} from './backup.js';
import {runPerformanceVerdict} from './baseline.js';
import {runRailwayVariables, runRegister, runHealthCheck, runAppChecks} from './railway.js';
import {runConnectionStability, runTimeWindow, runLongTransactions, runPermissionErrors, runObjectCounts, runSecurityPosture} from './checks.js';
import {runWriteReport, runNotify, runSignoff} from './report.js';

type ActionRun<A extends ActionName> = (ctx: ActionContext<WithOf<A>>) => Promise<Outcome>;

export const ACTIONS: {readonly [A in ActionName]: ActionRun<A>} = {
	'client-tools': runClientTools,
	'backup-precheck': runBackupPrecheck,
	'verify-backup': runVerifyBackup,
	'test-restore': runTestRestore,
	'restore-backup': runRestore,
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
};
