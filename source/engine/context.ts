/**
 * What an item executor gets, and what it returns. Executors are plain async
 * functions: they run one item, stream its output through `output`, and return
 * an outcome with evidence. The runner records times, events and state.
 */
import type pg from 'pg';
import type {ActionItem, Item, ItemKind} from '../plan/schema.js';
import type {LoadedPlan, PlanEntry} from '../plan/load.js';
import type {Target} from '../db/target.js';
import type {Evidence, RunState} from '../state/types.js';
import type {ResourceTracker} from '../proc/resource.js';
import type {DataKey, RunData} from '../state/data.js';

export type BackupFormat = 'custom' | 'plain';

export type RunSettings = {
	/** Where backups go (--backup-dir). */
	readonly backupDir: string;
	readonly backupFormat: BackupFormat;
	/** pg_dump -Z level for the custom format. */
	readonly compressLevel: number;
	/**
	 * DDL lock_timeout, ms (default DEFAULT_LOCK_TIMEOUT_MS). Unless the
	 * operator gave it (`lockTimeoutGiven`), the run lowers it below the
	 * server's deadlock_timeout, so a migration caught in a lock cycle with the
	 * application gives up before the application's deadlock check aborts it.
	 */
	readonly lockTimeoutMs: number;
	/** The operator chose lock_timeout (--lock-timeout): it is used as given, with a note when it is not below deadlock_timeout. */
	readonly lockTimeoutGiven?: boolean;
	/** statement_timeout for migrations, ms (0 = none). */
	readonly statementTimeoutMs: number;
	/** How many times a migration is retried after a lock timeout. */
	readonly lockRetries: number;
	/** Base delay of the retry backoff, ms (doubled each time, with jitter). */
	readonly retryDelayMs: number;
	/** The application role for baselines and RLS checks (--app-role). */
	readonly appRole?: string;
	/** Base URL of the application for the HTTP checks (--app-url / APP_BASE_URL). */
	readonly appUrl?: string;
	/** Bearer token for the HTTP checks (--app-token / APP_TOKEN); kept in memory only. */
	readonly appToken?: string;
	/** A second database for the test restore (TEST_DATABASE_URL). */
	readonly testTarget?: Target;
	/** The environment the Railway variables are read from. */
	readonly env: Readonly<Record<string, string | undefined>>;
	/** Named options a plan may reference (`{option: name}` parameters and `when`). */
	readonly options: Readonly<Record<string, string | undefined>>;
	/** The pg_dump/psql/pg_restore binaries (defaults: from PATH). */
	readonly binaries: {readonly psql: string; readonly pgDump: string; readonly pgRestore: string};
	/** Whether this run is against the built-in sandbox. */
	readonly sandbox: boolean;
	/**
	 * A dress rehearsal on a server the runbook started (`runbook rehearse`):
	 * each migration's statements are timed from that server's log and its locks
	 * sampled from pg_locks; manual items are confirmed automatically.
	 */
	readonly rehearsal?: {readonly serverLog: string; readonly lockSampleMs: number};
	/** How long the GO gate samples live traffic on the tables the migrations lock, ms (0: no sampling). */
	readonly trafficSampleMs?: number;
	/** Secrets besides the target's (service URLs, tokens): stripped from everything written. */
	readonly secrets: readonly string[];
};

export type ExecContext<I extends Item = Item> = {
	readonly item: I;
	readonly entry: PlanEntry;
	readonly plan: LoadedPlan;
	readonly target: Target;
	/** The engine's working connection (not the lock holder). */
	readonly client: pg.Client;
	readonly settings: RunSettings;
	readonly runId: string;
	readonly executionId: string;
	readonly attempt: number;
	readonly stateDir: string;
	readonly signal: AbortSignal;
	readonly state: () => RunState;
	readonly output: (line: string, stream?: 'stdout' | 'stderr' | 'info') => void;
	readonly progress: (message: string, fraction?: number) => void;
	readonly setData: <K extends DataKey>(key: K, value: Exclude<RunData[K], undefined>) => void;
	/** Register what the item creates (databases, files, children) before it exists; release it when gone. */
	readonly resources: ResourceTracker;
	/** Closes the engine's own sessions on the target (a restore needs them gone); call the result to reopen them. */
	readonly suspendConnections: () => Promise<() => Promise<void>>;
	/** Computes a value once per run and key (a backup's verification, the Railway variables), for the run's later items. */
	readonly memo: <T>(key: string, make: () => Promise<T>) => Promise<T>;
};

/** An action's context: its `with:`, parsed by the action's schema (defaults filled in). */
export type ActionContext<W> = ExecContext<ActionItem> & {readonly with: W};

export type Outcome = {
	readonly ok: boolean;
	readonly evidence: Omit<Evidence, 'startedAt' | 'endedAt' | 'durationMs'>;
	/** Why it failed, in one paragraph. */
	readonly error?: string;
	/** A remark shown with a pass (e.g. "already applied by run …"). */
	readonly note?: string;
	/** The decision-matrix row this failure matches, when the executor knows better than the plan (null: none applies). */
	readonly matrixRow?: string | null;
};

export type ItemOf<K extends ItemKind> = Extract<Item, {kind: K}>;

/** Runs one item of kind K. */
export type Executor<K extends ItemKind = ItemKind> = (ctx: ExecContext<ItemOf<K>>) => Promise<Outcome>;
