/**
 * Plain data the notification and the post-migration report are rendered from.
 * The engine adapts its state to these shapes; nothing here knows the engine.
 * Times are ISO 8601 strings; every string may hold a secret by accident, so
 * the renderers pass their whole output through `redact(text, secrets)`.
 */

export type ReportStatus = 'SUCCESS' | 'ISSUES' | 'ROLLED BACK';

export type ReportItemStatus = 'passed' | 'failed' | 'skipped' | 'pending' | 'running' | 'rolled-back';

export type ReportItem = {
	readonly id: string;
	readonly title: string;
	/** The plan phase, such as "Pre-deployment" or "Step 1". */
	readonly phase: string;
	readonly status: ReportItemStatus;
	readonly expected?: string;
	readonly actual?: string;
	readonly startedAt?: string;
	readonly endedAt?: string;
	readonly skipReason?: string;
};

/** One of the plan template's named verification results. */
export type ReportVerification = {
	/** Such as "Database integrity", "RLS policies", "Encryption", "Application tests". */
	readonly name: string;
	readonly result: 'PASS' | 'FAIL' | 'NOT RUN';
	readonly detail?: string;
};

export type TimelineRow = {
	/** The plan's relative time, such as "T-30m" or "T+4m". */
	readonly at: string;
	readonly activity: string;
	/** Planned duration in minutes (2 seconds is 2 / 60). */
	readonly plannedMinutes: number;
	readonly owner: string;
	/** T0 plus the row's offset, when T0 is known (for the gantt). */
	readonly plannedStart?: string;
	readonly actualStart?: string;
	readonly actualEnd?: string;
	/** pending, running, done, failed, skipped. */
	readonly status?: string;
};

/** One query of the baseline comparison, for the before/after chart. */
export type BaselineQueryPoint = {
	readonly id: string;
	readonly beforeMedianMs: number;
	readonly afterMedianMs: number;
	readonly deltaPct: number | null;
	readonly verdict: string;
};

export type OperatorNote = {readonly at: string; readonly text: string};

export type ReportIssue = {
	readonly summary: string;
	readonly severity?: 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';
	readonly resolution?: string;
};

/** The baseline comparison, already formatted by whoever measured it. */
export type BaselineTable = {
	readonly columns: readonly string[];
	readonly rows: ReadonlyArray<readonly string[]>;
};

export type HealthRow = {
	readonly name: string;
	readonly type: string;
	readonly status: string;
	readonly latencyMs: number | null;
	readonly error?: string;
};

export type AppCheckRow = {
	readonly path: string;
	readonly status: number | null;
	readonly latencyMs: number;
	readonly ok: boolean;
	readonly error?: string;
};


export type ReportInput = {
	/** Such as "Migration 006". */
	readonly planTitle: string;
	/** The plan file the report points to for full details. */
	readonly planFile?: string;
	/** Target.display (user@host:port/db). */
	readonly target: string;
	readonly status: ReportStatus;
	readonly timing: {readonly startedAt: string; readonly endedAt?: string; readonly plannedMinutes?: number};
	readonly items: readonly ReportItem[];
	readonly verifications: readonly ReportVerification[];
	readonly timeline: readonly TimelineRow[];
	readonly notes: readonly OperatorNote[];
	readonly issues?: readonly ReportIssue[];
	readonly baseline?: BaselineTable;
	/** The comparison's numbers, when both baselines were taken (the chart, and report --json). */
	readonly baselineQueries?: readonly BaselineQueryPoint[];
	readonly health?: readonly HealthRow[];
	readonly appChecks?: readonly AppCheckRow[];
	/** Counts in schema platform after the run, and before it when known (then "created" is the difference). */
	readonly objectCounts?: {readonly before?: ObjectCounts; readonly after: ObjectCounts};
	/** The application's statements before and after each migration (probes), as a table with a one-line summary. */
	readonly probes?: {readonly summary: string; readonly columns: readonly string[]; readonly rows: ReadonlyArray<readonly string[]>};
	/** The security line: what is encrypted, what is still plaintext at rest, what improved, the next step. */
	readonly security?: {
		readonly encrypted: string;
		readonly plaintext: string;
		readonly improved: readonly string[];
		readonly notImproved: readonly string[];
		/** The pending hardening migration, the application change it needs, and whether the probe shows it in place. */
		readonly nextStep?: string;
	};
	/** Defaults to the plan's "Next Steps → Immediate". */
	readonly nextSteps?: readonly string[];
	readonly signOff: SignOff;
	/** Every secret known to the run (Target.secrets, service URL secrets, tokens). */
	readonly secrets: readonly string[];
	/** When the report was generated (default: now). */
	readonly generatedAt?: string;
};

export type NotificationInput = {
	/** Such as "Database Migration 006". */
	readonly title: string;
	/** ISO date-time or free text such as "2025-11-23 02:00 UTC". */
	readonly when: string;
	readonly durationMinutes: number;
	readonly impact?: string;
	readonly changes?: readonly string[];
	readonly rollback?: string;
	readonly contact: string;
	/** The target the migration runs against (display form), optional. */
	readonly target?: string;
	readonly secrets?: readonly string[];
};

import type {ObjectCounts, SignOff} from '../state/data.js';

export type {ObjectCounts, SignOff};
