/**
 * What a run records besides item outcomes (`data` events), by key, typed:
 * the backup, the baselines and their comparison, the probes, the catalog
 * counts, the registration, health and application checks, the gate preview,
 * the rehearsal carried in. Writers (executors) and readers (panes, status,
 * report) share these types; no one casts a key's value.
 */
import type {BackupResult} from '../backup/dump.js';
import type {BaselineResult} from '../baseline/result.js';
import type {BaselineComparisonData} from '../baseline/compare.js';
import type {ProbesData} from '../probes/types.js';
import type {SecurityPosture} from '../security/posture.js';
import type {RegistrationResult} from '../railway/register.js';
import type {RailwayVariables} from '../railway/variables.js';
import type {ProjectCandidate} from '../railway/project.js';
import type {DatabaseHealth} from '../health/check-registered.js';
import type {EndpointResult} from '../app-check/http.js';
import type {RehearsalSummary} from '../rehearsal/file.js';
import type {RestoreResult} from '../backup/restore.js';
import type {LockTimeoutChoice} from '../db/lock-timeout.js';

/** The backup the run took, as later items (verify, test restore, restore) need it. */
export type BackupInfo = Pick<BackupResult, 'file' | 'format' | 'bytes' | 'sha256' | 'durationMs' | 'objects' | 'startedAt' | 'endedAt' | 'serverVersion' | 'clientVersion' | 'tables' | 'compression'>;

/** Objects in schema platform, counted in the catalog. */
export type ObjectCounts = {
	readonly tables: number;
	readonly indexes: number;
	readonly functions: number;
	readonly views: number;
	readonly triggers: number;
	readonly policies: number;
};

export type SignOff = {
	readonly preparedBy?: string;
	readonly reviewedBy?: string;
	readonly approvedBy?: string;
	/** ISO date or date-time. */
	readonly executionDate?: string;
};

export type TableTraffic = {
	readonly table: string;
	readonly scansPerSec: number;
	readonly writesPerSec: number;
	readonly sessions: ReadonlyArray<{readonly pid: number; readonly user: string; readonly application: string; readonly state: string; readonly modes: readonly string[]; readonly transactionSeconds: number}>;
};

export type MigrationImpact = {
	readonly itemId: string;
	readonly file: string;
	readonly source: 'rehearsal' | 'statement kinds';
	/** Table → the lock modes it takes there. */
	readonly tables: ReadonlyArray<{readonly table: string; readonly modes: readonly string[]}>;
	readonly flagged: readonly string[];
};

export type LockImpact = {
	readonly sampledMs: number;
	readonly migrations: readonly MigrationImpact[];
	readonly traffic: readonly TableTraffic[];
	readonly oldestTransaction?: {readonly pid: number; readonly user: string; readonly application: string; readonly state: string; readonly seconds: number; readonly query: string};
};

/** The target's schema fingerprint against the rehearsal's, at the gate. */
export type FingerprintCheck = {readonly matches: boolean; readonly sha256: string; readonly rehearsedSha256: string; readonly missing: readonly string[]; readonly added: readonly string[]; readonly ageHours: number};

export type RunData = {
	readonly 'backup'?: BackupInfo;
	readonly 'restore'?: Pick<RestoreResult, 'database' | 'keptDatabase' | 'terminated' | 'projects'>;
	readonly 'baseline-before'?: BaselineResult;
	readonly 'baseline-after'?: BaselineResult;
	readonly 'baseline-comparison'?: BaselineComparisonData;
	readonly 'objects-before'?: ObjectCounts;
	readonly 'objects-after'?: ObjectCounts;
	readonly 'security'?: SecurityPosture;
	readonly 'probes'?: ProbesData;
	readonly 'signoff'?: SignOff;
	readonly 'railway-variables'?: Pick<RailwayVariables, 'cli' | 'variables'>;
	readonly 'registration'?: RegistrationResult;
	readonly 'health'?: readonly DatabaseHealth[];
	readonly 'app-checks'?: readonly EndpointResult[];
	/** The plan's project rule, resolved before any item ran: the project, or the candidates when not exactly one. */
	readonly 'project'?: (ProjectCandidate & {readonly rule: string}) | {readonly rule: string; readonly candidates: readonly ProjectCandidate[]};
	readonly 'gate-preview'?: {readonly lines: readonly string[]; readonly lockImpact: LockImpact; readonly fingerprint?: FingerprintCheck};
	/** A rollback level that started and has not finished (a resume finishes it); null once it did. */
	readonly 'rollback-in-progress'?: {readonly level: number; readonly reason: string} | null;
	readonly 'rehearsal'?: RehearsalSummary;
	/** The lock_timeout the migrations use, chosen against the live traffic before any item ran. */
	readonly 'lock-timeout'?: LockTimeoutChoice;
};

export type DataKey = keyof RunData;

/** One `data` event: a key and a value of that key's type. */
export type DataEntry = {readonly [K in DataKey]-?: {readonly key: K; readonly value: Exclude<RunData[K], undefined>}}[DataKey];
