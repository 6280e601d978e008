/**
 * The schema of a plan file (runbook/*.yaml). A plan is data: phases of items,
 * each of a kind the engine knows how to execute and check. A new plan (say,
 * for migration 007) is a new data file, with no code change.
 */
import {z} from 'zod';

const id = z
	.string()
	.regex(/^[a-z0-9][a-z0-9.-]*$/, 'use lower-case letters, digits, dots and dashes (e.g. step1.verify-indexes)');

/** "-30m", "+4m", "2s", "10m", "1h" */
export const offset = z.string().regex(/^[+-]?\d+(\.\d+)?(ms|s|m|h)$/, 'a duration such as 10m, 2s, -30m or +4m');

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A value for a query parameter: literal, from an option/environment, or from another query. */
export const paramSchema = z.union([
	z.object({value: scalar}).strict(),
	z.object({option: z.string()}).strict(),
	z.object({env: z.string()}).strict(),
	z.object({sql: z.string()}).strict(),
]);

/** The plan's own figure for a check ("24+"), shown beside the measured one; never what decides. */
const planFigure = z.string().min(1).optional();

export const expectationSchema = z.discriminatedUnion('op', [
	z.object({op: z.literal('equals'), column: z.string().optional(), value: scalar, plan: planFigure}).strict(),
	z.object({op: z.literal('atLeast'), column: z.string().optional(), value: z.number(), plan: planFigure}).strict(),
	z.object({op: z.literal('atMost'), column: z.string().optional(), value: z.number(), plan: planFigure}).strict(),
	z.object({op: z.literal('rowCount'), value: z.number().int().nonnegative(), plan: planFigure}).strict(),
	z.object({op: z.literal('minRows'), value: z.number().int().nonnegative(), plan: planFigure}).strict(),
	z.object({op: z.literal('everyRowTrue'), columns: z.array(z.string()).min(1)}).strict(),
	z.object({op: z.literal('matches'), column: z.string().optional(), pattern: z.string()}).strict(),
	z.object({op: z.literal('sameSet'), column: z.string(), values: z.array(z.string()).min(1)}).strict(),
	/** The listed values must be present; others are listed, never refused. */
	z.object({op: z.literal('includes'), column: z.string(), values: z.array(z.string()).min(1)}).strict(),
	/** Two columns of the first row hold the same value (a measured count against the catalog's). */
	z.object({op: z.literal('columnsEqual'), columns: z.tuple([z.string(), z.string()]), plan: planFigure}).strict(),
]);

/** A tag count: a fixed minimum, or exactly the number a catalog query gives after the file ran (one per table). */
export const tagCountSchema = z.union([
	z.number().int().positive(),
	z.object({sql: z.string().min(1), label: z.string().min(1), plan: planFigure}).strict(),
]);
export type TagCount = z.infer<typeof tagCountSchema>;

const common = {
	id,
	title: z.string().min(1),
	/** What it does and why, from the plan (shown in the detail pane). */
	why: z.string().optional(),
	/** Numbers of PLAN-REVIEW §3 items this item makes true. */
	covers: z.array(z.number().int().min(1)).optional(),
	/** Where the plan's own check is broken (⚠): what we do instead and why. */
	correction: z.string().optional(),
	/** The timeline row this item belongs to. */
	timeline: id.optional(),
	/** The decision-matrix row a failure of this item suggests. */
	onFailure: id.optional(),
	/** Whether the operator may skip it with a reason (never gates or migrations). */
	skippable: z.boolean().optional(),
	/** Run only when this condition holds, else the item is skipped with the reason. */
	when: z
		.union([
			z.object({env: z.string()}).strict(),
			z.object({option: z.string()}).strict(),
			z.object({binary: z.string()}).strict(),
		])
		.optional(),
};

export const manualItem = z
	.object({...common, kind: z.literal('manual'), prompt: z.string().min(1)})
	.strict();

export const noteItem = z.object({...common, kind: z.literal('note'), text: z.string().min(1)}).strict();

export const sqlFileItem = z
	.object({
		...common,
		kind: z.literal('sql-file'),
		file: z.string().min(1),
		/** Recorded in the ledger: applied at most once, never skipped. */
		migration: z.boolean().default(false),
		/** Items whose ledger rows this file reverts (rollbacks). */
		reverts: z.array(id).optional(),
		/** Command tags the psql output must show (in order, each at least once). */
		expectTags: z.array(z.string()).optional(),
		/** Counts of command tags: a minimum, or `{sql, label}` for exactly one per catalog row (e.g. ALTER TABLE: one per platform table). */
		expectTagCounts: z.record(z.string(), tagCountSchema).optional(),
		/** psql variables for the file (`:'name'` inside it), resolved like query parameters; never spliced into SQL text. */
		vars: z.record(z.string(), paramSchema).optional(),
		/** Typed confirmation required before it runs (e.g. the database name). */
		confirm: z.enum(['database-name', 'yes']).optional(),
		/** Settings for the session (app.allow_migration_007 …). */
		settings: z.record(z.string(), z.string()).optional(),
	})
	.strict();

export const queryItem = z
	.object({
		...common,
		kind: z.literal('query'),
		sql: z.string().min(1),
		params: z.array(paramSchema).optional(),
		expect: z.array(expectationSchema).min(1),
		/** Run as the application role (--app-role) inside SET LOCAL ROLE. */
		asAppRole: z.boolean().optional(),
	})
	.strict();

export const shellItem = z
	.object({
		...common,
		kind: z.literal('shell'),
		command: z.string().min(1),
		args: z.array(z.string()).default([]),
		expectExit: z.number().int().default(0),
		expectOutput: z.string().optional(),
	})
	.strict();

export const httpItem = z
	.object({
		...common,
		kind: z.literal('http'),
		/** Path under the application base URL (--app-url / APP_BASE_URL). */
		path: z.string().startsWith('/'),
		expectStatus: z.number().int().default(200),
	})
	.strict();

export const backupItem = z
	.object({...common, kind: z.literal('backup'), prefix: z.string().default('backup-pre-migration-006')})
	.strict();

export const baselineItem = z
	.object({
		...common,
		kind: z.literal('baseline'),
		label: z.enum(['before', 'after']),
		/** Compare with the "before" baseline (the after item only). */
		compare: z.boolean().default(false),
	})
	.strict();

export const conditionSchema = z
	.object({
		id,
		text: z.string().min(1),
		covers: z.array(z.number().int().min(1)).optional(),
		/** Holds when every listed item passed. */
		items: z.array(id).optional(),
		/** Holds when the operator attests it (typed with the GO). */
		attest: z.boolean().optional(),
	})
	.strict();

export const gateItem = z
	.object({
		...common,
		kind: z.literal('gate'),
		/** All must hold. */
		go: z.array(conditionSchema).min(1),
		/** Any one present aborts: a NO-GO condition is present when its items did not pass or the operator says so. */
		noGo: z.array(conditionSchema).default([]),
		/** What the operator must type. */
		word: z.string().default('GO'),
	})
	.strict();

export const actionItem = z
	.object({
		...common,
		kind: z.literal('action'),
		action: z.string().min(1),
		with: z.record(z.string(), z.unknown()).optional(),
		confirm: z.enum(['database-name', 'yes']).optional(),
	})
	.strict();

/** Passes when every listed item passed (success criteria, sign-off ticks). */
/**
 * Runs the plan's probes (the application's own statements) as the
 * application role, each in a transaction that is rolled back. Without
 * `after`: the run before the migrations, every later run is compared with.
 * With `after: <migration item>`: that migration's verification — a probe that
 * now errors, returns another column set, or returns no rows where it
 * returned some, fails this item.
 */
export const probesItem = z
	.object({
		...common,
		kind: z.literal('probes'),
		/** The migration item this run verifies; absent for the run before the migrations. */
		after: id.optional(),
		/** The decision-matrix row when most of the measured probes fail at once (e.g. every query denied). */
		onWidespreadFailure: id.optional(),
	})
	.strict();

export const criterionItem = z
	.object({...common, kind: z.literal('criterion'), items: z.array(id).min(1)})
	.strict();

export const itemSchema = z.discriminatedUnion('kind', [
	manualItem,
	noteItem,
	sqlFileItem,
	queryItem,
	shellItem,
	httpItem,
	backupItem,
	baselineItem,
	gateItem,
	actionItem,
	criterionItem,
	probesItem,
]);

export const phaseSchema = z
	.object({
		id,
		title: z.string().min(1),
		planRef: z.string().optional(),
		items: z.array(itemSchema).min(1),
	})
	.strict();

export const timelineRowSchema = z
	.object({
		id,
		at: offset,
		activity: z.string().min(1),
		duration: offset.optional(),
		owner: z.string().optional(),
	})
	.strict();

export const matrixRowSchema = z
	.object({
		id,
		issue: z.string().min(1),
		severity: z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']),
		rollback: z.boolean(),
		procedure: z.string().min(1),
		/** The rollback level suggested, when rollback is true. */
		level: z.number().int().min(1).max(3).optional(),
		/** Where we depart from the plan's row, and why. */
		correction: z.string().optional(),
	})
	.strict();

export const rollbackLevelSchema = z
	.object({
		level: z.number().int().min(1).max(3),
		title: z.string().min(1),
		why: z.string().optional(),
		/** Typed confirmation before the level starts. */
		confirm: z.enum(['database-name', 'yes']).optional(),
		items: z.array(itemSchema).min(1),
	})
	.strict();

/** A baseline query a plan adds to the plan's three: parameters from SQL (one value) or given. */
export const baselineQuerySchema = z
	.object({
		id,
		title: z.string().min(1),
		sql: z.string().min(1),
		params: z
			.array(
				z.union([
					z.object({from: z.string().min(1), secret: z.boolean().optional(), label: z.string().optional()}).strict(),
					z.object({value: scalar, secret: z.boolean().optional(), label: z.string().optional()}).strict(),
				]),
			)
			.default([]),
	})
	.strict();

/** Where a probe's `$n` comes from: a value from the database at run time (never hard-coded ids), or a fixed value. */
export const probeParamSchema = z.union([
	z
		.object({
			/** SQL returning one row; its first column is the value (run as the migration role, inside the probe's transaction). */
			from: z.string().min(1),
			/** A run option bound as $1 of `from` (e.g. project-ref: the project the run resolved, --project-ref or the plan's rule). */
			option: z.string().min(1).optional(),
			/** What the value is ("project id"), for the evidence. */
			label: z.string().optional(),
			/** Never store or show the value (session tokens): only a hash prefix. */
			secret: z.boolean().optional(),
			/** No row (an empty table) means the probe is not measured in this run, instead of running it with NULL. */
			required: z.boolean().optional(),
		})
		.strict(),
	z.object({value: scalar, label: z.string().optional()}).strict(),
]);

/** One statement of the application, run as the application role before and after each migration. */
export const probeSchema = z
	.object({
		id,
		title: z.string().min(1),
		/** What the application does with it (the route or usage it comes from). */
		usage: z.string().optional(),
		/** The migration item from which on it applies (a probe on a table Step 1 creates applies after Step 1); absent: from before the migrations. */
		from: id.optional(),
		/** read or write (writes are rolled back like everything else). */
		access: z.enum(['read', 'write']),
		sql: z.string().min(1),
		params: z.array(probeParamSchema).default([]),
		/** Columns the application relies on: each must be in the result. */
		columns: z.array(z.string().min(1)).optional(),
		/** Columns the application uses as values (a URL): NULL in a returned row fails the probe. */
		nonNull: z.array(z.string().min(1)).optional(),
		/** The decision-matrix row a failure of this probe points at (default: the probes item's). */
		onFailure: id.optional(),
		/**
		 * Proves that the application change a pending migration needs is in place
		 * (names the pending file). Such a probe is run and reported, never fails a
		 * verification: the window does not depend on it.
		 */
		readinessFor: z.string().min(1).optional(),
	})
	.strict();

export const planSchema = z
	.object({
		id,
		title: z.string().min(1),
		version: z.union([z.string(), z.number()]).transform(String),
		source: z.string().optional(),
		summary: z.string().optional(),
		/** Migration files are resolved relative to this directory (relative to the plan file). */
		sqlDir: z.string().default('../sql'),
		window: z
			.object({
				execution: offset.optional(),
				verification: offset.optional(),
				troubleshooting: offset.optional(),
			})
			.strict()
			.optional(),
		timeline: z.array(timelineRowSchema).min(1),
		phases: z.array(phaseSchema).min(1),
		decisionMatrix: z.array(matrixRowSchema).min(1),
		rollback: z.array(rollbackLevelSchema).default([]),
		monitoring: z.array(phaseSchema).default([]),
		nextSteps: z.array(z.object({title: z.string(), items: z.array(z.string())}).strict()).default([]),
		templates: z
			.object({notification: z.string().optional(), report: z.string().optional()})
			.strict()
			.default({}),
		/**
		 * Which project the registration step is for: the single project of the organization
		 * with this slug, unless `ref` (or --project-ref) names one. Resolved before any item
		 * runs; zero or several candidates stop the run, naming them.
		 */
		project: z.object({organization: z.string().min(1), ref: z.string().min(1).optional()}).strict().optional(),
		/** Queries measured by the baseline items besides the plan's three (same queries before and after). */
		baselineQueries: z.array(baselineQuerySchema).default([]),
		/** The application's statements, run as the application role before and after each migration (probes items). */
		probes: z.array(probeSchema).default([]),
		/** The report's named verification results, each PASS when all its items passed. */
		reportVerifications: z.array(z.object({name: z.string(), items: z.array(id).min(1)}).strict()).default([]),
		/** The pre-migration notification's fields. */
		notification: z
			.object({
				durationMinutes: z.number().default(15),
				impact: z.string().optional(),
				changes: z.array(z.string()).optional(),
				rollback: z.string().optional(),
				contact: z.string(),
			})
			.strict()
			.optional(),
		signoff: z
			.object({preparedBy: z.string().optional(), fields: z.array(z.string()).default([])})
			.strict()
			.optional(),
	})
	.strict();

export type Plan = z.infer<typeof planSchema>;
export type Phase = z.infer<typeof phaseSchema>;
export type Item = z.infer<typeof itemSchema>;
export type ItemKind = Item['kind'];
export type Expectation = z.infer<typeof expectationSchema>;
export type Param = z.infer<typeof paramSchema>;
export type Condition = z.infer<typeof conditionSchema>;
export type GateItem = z.infer<typeof gateItem>;
export type SqlFileItem = z.infer<typeof sqlFileItem>;
export type QueryItem = z.infer<typeof queryItem>;
export type ActionItem = z.infer<typeof actionItem>;
export type MatrixRow = z.infer<typeof matrixRowSchema>;
export type Probe = z.infer<typeof probeSchema>;
export type ProbeParam = z.infer<typeof probeParamSchema>;
export type ProbesItem = z.infer<typeof probesItem>;
export type RollbackLevel = z.infer<typeof rollbackLevelSchema>;
export type TimelineRow = z.infer<typeof timelineRowSchema>;
