/**
 * The names of the built-in actions, without their schemas: what loading a
 * validated plan needs (the cache key), so a run that has no action to parse
 * does not load zod (about 25 ms of a start-up). actions.ts holds the schema
 * of each one's `with:` and checks, at compile time, that it has these names.
 */
export const ACTION_NAMES = [
	'client-tools',
	'backup-precheck',
	'verify-backup',
	'test-restore',
	'restore-backup',
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
] as const;

export type ActionName = (typeof ACTION_NAMES)[number];

const NAMES: ReadonlySet<string> = new Set(ACTION_NAMES);

export function isActionName(name: string): name is ActionName {
	return NAMES.has(name);
}
