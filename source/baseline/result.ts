/**
 * What a baseline capture records: plain JSON (numbers, strings, arrays), so
 * it can be stored in the state file and compared later, even by another
 * process after a resume.
 */
import type {PlanNode, RelationScan} from './plan-summary.js';

export type BaselineLabel = 'before' | 'after';

/** Why row-level security does not apply to the measuring role (null: it does, wherever enabled). */
export type RlsBypass = 'superuser' | 'bypassrls' | 'owner' | null;

export type RanAs = {
	/** The role the queries ran as (current_user during the EXPLAINs). */
	readonly role: string;
	/** The login role of the connection. */
	readonly sessionUser: string;
	/** True when `SET LOCAL ROLE` switched to an application role. */
	readonly viaSetRole: boolean;
	readonly superuser: boolean;
	readonly bypassRls: boolean;
	/** Queried relations this role owns (directly or through membership): owners bypass RLS unless FORCE is set. */
	readonly ownsRelations: readonly string[];
	/** Queried relations with RLS enabled at capture time. */
	readonly rlsEnabledRelations: readonly string[];
	/** First reason RLS is skipped for this role; null when the policies apply. */
	readonly rlsBypass: RlsBypass;
};

export type ParamRecord = {
	/** 1 for $1. */
	readonly index: number;
	readonly label?: string;
	/** `no-sample-row`: the database had no row to take it from; a value that matches nothing was used. */
	readonly source: 'database' | 'given' | 'no-sample-row';
	/** The value as text, or `sha256:ab12cd34…` for a secret. */
	readonly display: string;
};

export type QueryBaseline = {
	readonly id: string;
	readonly title: string;
	readonly sql: string;
	readonly params: readonly ParamRecord[];
	/** Execution time of each measured run (warm-up runs excluded), in order. */
	readonly executionMs: readonly number[];
	readonly medianMs: number;
	readonly p95Ms: number;
	readonly minMs: number;
	readonly maxMs: number;
	/** Interquartile range of the runs (nearest rank). */
	readonly iqrMs: number;
	readonly planningMedianMs: number;
	/** Rows returned by the query (last run). */
	readonly rows: number;
	/** Shared buffer hits and reads summed over the measured runs. */
	readonly sharedHit: number;
	readonly sharedRead: number;
	/** Top plan nodes (pre-order, first levels) of the last run. */
	readonly planNodes: readonly PlanNode[];
	/** "Limit → Index Scan Backward using idx on platform.audit_logs". */
	readonly planShape: string;
	readonly scans: readonly RelationScan[];
};

export type BaselineResult = {
	readonly label: BaselineLabel;
	/** ISO timestamp when the capture started. */
	readonly capturedAt: string;
	readonly durationMs: number;
	/** e.g. "15.18". */
	readonly serverVersion: string;
	readonly serverVersionNum: number;
	readonly database: string;
	readonly ranAs: RanAs;
	readonly warmups: number;
	readonly runs: number;
	readonly queries: readonly QueryBaseline[];
	/** Things the operator should know (e.g. the baseline bypassed RLS). */
	readonly warnings: readonly string[];
};
