/**
 * The built-in actions a plan may use (`kind: action`, `action: NAME`), each
 * with the schema of its `with:`. The plan loader checks a plan's `with:`
 * against it (file:line, `runbook validate`), and the engine hands each action
 * the parsed value (defaults filled in) as `ctx.with`. Zod only: validating a
 * plan does not load the executors (pg, pg_dump, the HTTP checks).
 */
import {z} from 'zod';
import {ACTION_NAMES, isActionName, type ActionName} from './action-names.js';

export {ACTION_NAMES, isActionName, type ActionName};

/**
 * A `with:` with these fields and `requires`, which every action takes: the
 * option (or `app-url`) without which the action becomes a manual check.
 */
function withSchema<T extends z.ZodRawShape>(shape: T) {
	return z.object({requires: z.string().min(1).optional(), ...shape}).strict();
}

const none = withSchema({});

/** Which of the named checks an item asserts (default: all of them). */
const checkNames = z.array(z.string().min(1)).min(1).optional();

export const ACTION_WITH = {
	'client-tools': none,
	'backup-precheck': none,
	/** Matched against the verification's check names (size, table, complete, checksum, format, secure, …). */
	'verify-backup': withSchema({checks: checkNames}),
	'test-restore': none,
	/** swap: restore into a new database and swap names (the old one is kept); clean: restore in place. */
	'restore-backup': withSchema({mode: z.enum(['swap', 'clean']).default('swap')}),
	'railway-variables': withSchema({
		check: z.enum(['cli', 'expected', 'service', 'variable']).default('variable'),
		/** For check: service. */
		service: z.enum(['redis', 'mongodb']).optional(),
		/** For check: variable. */
		name: z.string().min(1).optional(),
		/** Absent is fine ("if applicable"). */
		optional: z.boolean().default(false),
	}).superRefine((w, ctx) => {
		if (w.check === 'service' && !w.service) ctx.addIssue({code: 'custom', path: ['service'], message: 'check: service needs `service: redis` or `service: mongodb`'});
		if (w.check === 'variable' && !w.name) ctx.addIssue({code: 'custom', path: ['name'], message: 'check: variable needs the variable\'s `name` (e.g. REDIS_URL)'});
	}),
	'register-railway': withSchema({
		/** Register again even when this run registered already. */
		register: z.boolean().default(false),
		checks: z.array(z.enum(['rows', 'active', 'encrypted', 'decryptable', 'no-placeholder'])).min(1).optional(),
	}),
	'health-check': withSchema({timeoutMs: z.number().int().positive().default(3000)}),
	'app-checks': none,
	'connection-stability': withSchema({attempts: z.number().int().positive().default(5), maxMs: z.number().positive().default(2000)}),
	/** Execution plus the hour of troubleshooting the window must leave. */
	'time-window': withSchema({minutes: z.number().positive().default(60 + 15)}),
	'long-transactions': withSchema({maxSeconds: z.number().nonnegative().default(60)}),
	'permission-errors': none,
	/** Where the counts go in the run data. */
	'object-counts': withSchema({key: z.enum(['objects-before', 'objects-after']).default('objects-after')}),
	'security-posture': none,
	'performance-verdict': none,
	'write-report': none,
	'notify': none,
	'signoff': none,
} as const satisfies Record<ActionName, z.ZodType>;

/** The parsed `with:` of an action. */
export type WithOf<A extends ActionName> = z.infer<(typeof ACTION_WITH)[A]>;
