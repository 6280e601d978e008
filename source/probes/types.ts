/**
 * What a probe run records: only shapes (column names, row counts, SQLSTATE
 * and message), never a value the statement returned (a probe on
 * platform.databases reads connection strings). JSON-serialisable: it goes to
 * the journal as run data.
 */

export type ProbeOutcome =
	/** The statement ran. */
	| 'ok'
	/** The statement (or a parameter's query, or SET ROLE) raised an error. */
	| 'error'
	/** A required parameter had no row (an empty table), or another session's lock blocked it: not measured this time. */
	| 'not-measured';

export type ProbeResult = {
	readonly probeId: string;
	readonly outcome: ProbeOutcome;
	/** Column names of the result, in order ([] for a statement without RETURNING). */
	readonly columns: readonly string[];
	/** Rows returned, or rows affected by a write without RETURNING. */
	readonly rows: number;
	readonly sqlstate?: string;
	readonly message?: string;
	/** Of the probe's nonNull columns, those NULL in at least one returned row. */
	readonly nullIn?: readonly string[];
	/** The parameters as shown ("project id = 5f0c…", secrets as a hash prefix). */
	readonly params: readonly string[];
	readonly durationMs: number;
	/** Why it was not measured. */
	readonly reason?: string;
};

export type ProbeVerdict = {
	readonly probeId: string;
	/** False fails the probes item (never for a readiness probe). */
	readonly ok: boolean;
	/** A readiness probe (proves an application change a pending migration needs). */
	readonly readiness: boolean;
	/** What it was compared with: the item of its last good run, or none (its first run). */
	readonly reference?: {readonly itemId: string; readonly rows: number; readonly columns: readonly string[]};
	/** What changed or is wrong, one phrase each; empty when ok. */
	readonly problems: readonly string[];
};

/** One probes item's run: every applicable probe once, as one role. */
export type ProbeStageRun = {
	readonly itemId: string;
	/** The migration this run verifies; absent for the run before the migrations. */
	readonly after?: string;
	readonly at: string;
	readonly role: string;
	/** How RLS applies to the role ("RLS applies", or why it is bypassed). */
	readonly rls: string;
	readonly results: readonly ProbeResult[];
	readonly verdicts: readonly ProbeVerdict[];
	/** Probes that do not apply yet (they apply from a later migration). */
	readonly notYet: readonly string[];
};

/** The run data key the probe runs are kept under. */
export const PROBES_DATA_KEY = 'probes';

export type ProbesData = {readonly runs: readonly ProbeStageRun[]};
