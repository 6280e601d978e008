/**
 * The names of the built-in actions a plan may use (`kind: action`,
 * `action: NAME`). The engine's executor table is checked against this list
 * at compile time; `validate` and the plan loader read it from here, so they
 * do not load the executors (pg, pg_dump, the HTTP checks) to know the names.
 */
export const ACTION_NAMES = [
	'client-tools',
	'backup-precheck',
	'verify-backup',
	'test-restore',
	'railway-variables',
	'register-railway',
	'health-check',
	'app-checks',
	'connection-stability',
	'time-window',
	'long-transactions',
	'permission-errors',
	'object-counts',
	'security-posture',
	'performance-verdict',
	'write-report',
	'notify',
	'signoff',
	'restore-backup',
] as const;

export type ActionName = (typeof ACTION_NAMES)[number];
