/**
 * Flags → typed options, parsed once at the boundary (node:util parseArgs,
 * strict: an unknown flag is an error that names it).
 */
import {parseArgs} from 'node:util';
import path from 'node:path';
import {UserError} from '../errors.js';
import {projectRoot} from '../paths.js';

export const COMMANDS = ['run', 'watch', 'status', 'report', 'validate', 'sandbox', 'rollback', 'verify-backup', 'monitor', 'help'] as const;
export type Command = (typeof COMMANDS)[number];

const flags = {
	plan: {type: 'string'},
	'database-url': {type: 'string'},
	'state-dir': {type: 'string'},
	resume: {type: 'boolean'},
	fresh: {type: 'boolean'},
	yes: {type: 'boolean', short: 'y'},
	confirm: {type: 'string', multiple: true},
	go: {type: 'boolean'},
	'confirm-database': {type: 'string'},
	'backup-dir': {type: 'string'},
	'backup-format': {type: 'string'},
	compress: {type: 'string'},
	'lock-timeout': {type: 'string'},
	'statement-timeout': {type: 'string'},
	'lock-retries': {type: 'string'},
	'retry-delay': {type: 'string'},
	'app-role': {type: 'string'},
	'app-url': {type: 'string'},
	'org-id': {type: 'string'},
	'test-database-url': {type: 'string'},
	'window-end': {type: 'string'},
	'window-start': {type: 'string'},
	'server-log': {type: 'string'},
	'prepared-by': {type: 'string'},
	'reviewed-by': {type: 'string'},
	'approved-by': {type: 'string'},
	reason: {type: 'string'},
	ascii: {type: 'boolean'},
	scale: {type: 'string'},
	step: {type: 'boolean'},
	json: {type: 'boolean'},
	help: {type: 'boolean', short: 'h'},
	version: {type: 'boolean', short: 'v'},
} as const;

export type CliOptions = {
	readonly command: Command;
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
	readonly testDatabaseUrl?: string;
	readonly named: Readonly<Record<string, string | undefined>>;
	readonly reason?: string;
	readonly ascii: boolean;
	readonly scale: number;
	readonly step: boolean;
	readonly json: boolean;
	readonly help: boolean;
	readonly version: boolean;
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

export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
	let parsed;
	try {
		parsed = parseArgs({args: [...argv], options: flags, allowPositionals: true, strict: true});
	} catch (error) {
		throw new UserError(`${(error as Error).message}. Run \`runbook --help\` for the commands and flags.`);
	}
	const {values, positionals} = parsed;
	const first = positionals[0];
	const command: Command = first && (COMMANDS as readonly string[]).includes(first) ? (first as Command) : 'run';
	if (first && command === 'run' && first !== 'run') {
		throw new UserError(`Unknown command \`${first}\`. Commands: ${COMMANDS.join(', ')}. Run \`runbook --help\`.`);
	}
	const rest = command === 'run' && first !== 'run' ? positionals : positionals.slice(1);
	const confirmValues = (values.confirm ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
	const format = values['backup-format'] ?? 'custom';
	if (format !== 'custom' && format !== 'plain') throw new UserError(`--backup-format ${format} is not supported: use custom (pg_dump -Fc, the default) or plain (the plan's own SQL form).`);
	const named: Record<string, string | undefined> = {
		'window-end': values['window-end'] ?? env['RUNBOOK_WINDOW_END'],
		'window-start': values['window-start'],
		'server-log': values['server-log'] ?? env['RUNBOOK_SERVER_LOG'],
		'prepared-by': values['prepared-by'],
		'reviewed-by': values['reviewed-by'] ?? env['RUNBOOK_REVIEWED_BY'],
		'approved-by': values['approved-by'] ?? env['RUNBOOK_APPROVED_BY'],
		'org-id': values['org-id'],
		'app-url': values['app-url'] ?? env['APP_BASE_URL'],
	};
	return {
		command,
		positionals: rest,
		planFile: path.resolve(values.plan ?? path.join(projectRoot, 'runbook', 'migration-006.yaml')),
		...(values['database-url'] ?? env['DATABASE_URL'] ? {databaseUrl: values['database-url'] ?? env['DATABASE_URL']} : {}),
		...(values['state-dir'] ? {stateDir: path.resolve(values['state-dir'])} : {}),
		resume: Boolean(values.resume),
		fresh: Boolean(values.fresh),
		yes: Boolean(values.yes),
		confirm: confirmValues.includes('all') ? 'all' : confirmValues.length > 0 ? new Set(confirmValues) : undefined,
		go: Boolean(values.go),
		...(values['confirm-database'] ? {confirmDatabase: values['confirm-database']} : {}),
		...(values['backup-dir'] ? {backupDir: path.resolve(values['backup-dir'])} : {}),
		backupFormat: format,
		compressLevel: int(values.compress, 'compress', 1, 0, 9),
		lockTimeoutMs: values['lock-timeout'] ? parseDurationMs(values['lock-timeout'], 'lock-timeout') : 5000,
		statementTimeoutMs: values['statement-timeout'] ? parseDurationMs(values['statement-timeout'], 'statement-timeout') : 0,
		lockRetries: int(values['lock-retries'], 'lock-retries', 4, 0, 20),
		retryDelayMs: values['retry-delay'] ? parseDurationMs(values['retry-delay'], 'retry-delay') : 2000,
		...(values['app-role'] ?? env['RUNBOOK_APP_ROLE'] ? {appRole: values['app-role'] ?? env['RUNBOOK_APP_ROLE']} : {}),
		...(named['app-url'] ? {appUrl: named['app-url']} : {}),
		...(values['test-database-url'] ?? env['TEST_DATABASE_URL'] ? {testDatabaseUrl: values['test-database-url'] ?? env['TEST_DATABASE_URL']} : {}),
		named,
		...(values.reason ? {reason: values.reason} : {}),
		ascii: Boolean(values.ascii),
		scale: values.scale === undefined ? 1 : Number(values.scale),
		step: Boolean(values.step),
		json: Boolean(values.json),
		help: Boolean(values.help) || command === 'help',
		version: Boolean(values.version),
	};
}

export const HELP = `runbook — drive a PostgreSQL migration plan safely, step by step, with resumable state.

Usage
  runbook [run] [flags]           the interactive runbook (Ink TUI); with no database, a sandbox rehearsal
  runbook run --yes [flags]       non-interactive: one plain line per event (rehearsals, CI)
  runbook watch                   read-only view of a run (another terminal / tmux window); takes no lock
  runbook status [--json]         the run's state as plain text, once
  runbook report                  the post-migration report (Markdown), from the state
  runbook validate [file]         check a plan file; every problem with file:line
  runbook rollback 1|2|3 [--yes --confirm-database NAME --reason TEXT]
  runbook verify-backup <file>    check a backup file alone (exit 0 or 1 with the reason)
  runbook monitor [--server-log FILE]  post-migration monitoring queries (weeks 1–4)
  runbook sandbox                 start a throwaway PostgreSQL with 001–005 and data; prints DATABASE_URL=…

Target
  --database-url URL   or DATABASE_URL; with neither, the built-in sandbox (embedded PostgreSQL 15)
  --plan FILE          the plan (default runbook/migration-006.yaml)
  --state-dir DIR      state and journal (default ~/.local/state/runbook/<plan>/<target>)
  --resume             continue an interrupted run exactly where it stopped
  --fresh              archive the previous run's state and start over

Non-interactive
  --yes                plain output, no prompts
  --confirm all|ID,ID  manual items done by hand
  --go                 the GO decision (and the operator's attestations at the gate)
  --confirm-database NAME   typed confirmation for irreversible steps (rollback 2, 3)
  Exit codes: 0 done, 1 a step failed, 2 bad input, 3 stopped at a gate or NO-GO, 130 interrupted.

Safety and tuning
  --lock-timeout 5s  --lock-retries 4  --retry-delay 2s  --statement-timeout 0
  --backup-dir DIR  --backup-format custom|plain  --compress 0-9 (default 1: see MEASUREMENTS)
  --app-role ROLE      baselines and RLS checks as the application role (owners bypass RLS)
  --app-url URL        application checks (APP_BASE_URL); token from APP_TOKEN, never shown or stored
  --test-database-url URL   where the test restore goes (TEST_DATABASE_URL)
  --window-end HH:MM   UTC end of the window (GO condition: an hour of troubleshooting left)
  --server-log FILE    count permission errors (SQLSTATE 42501) in the server log
  --prepared-by/--reviewed-by/--approved-by NAME   sign-off
  --step               interactive: wait for Enter before each migration
  --ascii              ASCII marks instead of Unicode
`;
