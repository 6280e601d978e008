/**
 * A run's settings (lock timeout, backup directory, application role, window
 * end, sign-off names, …) are written to <state-dir>/settings.json when the
 * run starts, without secrets, so that `--resume` at 3 AM continues with the
 * same ones without the operator typing them again.
 *
 * On resume, a setting not given again is taken from the file. One given
 * again with the same value is fine; with a different value the difference is
 * shown and must be confirmed (interactive), or is refused with exit 2
 * (--yes): a resumed run never changes course silently.
 */
import {existsSync, mkdirSync} from 'node:fs';
import path from 'node:path';
import {maskUrl} from '../db/target.js';
import {UserError} from '../errors.js';
import {SETTING_OPTIONS, parseDurationMs, withValues, type CliOptions} from './options.js';

export const SETTINGS_FILE = 'settings.json';

/**
 * What settings.json keeps: the settings group, and two of `run`'s own flags
 * that shape the window (the rehearsal carried into it, how long the gate
 * samples traffic), so --resume reuses them too.
 */
export const RECORDED_OPTIONS = [...SETTING_OPTIONS, 'rehearsal', 'traffic-sample'] as const;

type SettingName = (typeof RECORDED_OPTIONS)[number];
type Value = string | boolean;

export type SettingChangeRecord = {readonly at: string; readonly name: string; readonly from: Value | null; readonly to: Value};

/** settings.json as runbook writes it. */
export type SettingsFile = {
	readonly schema: 'runbook.settings';
	readonly version: 1;
	readonly recordedAt: string;
	readonly settings: Readonly<Record<string, Value>>;
	readonly changes: readonly SettingChangeRecord[];
};

const isValue = (v: unknown): v is Value => typeof v === 'string' || typeof v === 'boolean';

/**
 * Checks the file's shape by hand: a resume reads it before its first frame, and loading zod for these five
 * fields cost more than the rest of the read. Returns what is wrong, or the file.
 */
export function parseSettingsFile(value: unknown): SettingsFile | string {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
	const v = value as Record<string, unknown>;
	if (v['schema'] !== 'runbook.settings') return 'schema is not "runbook.settings"';
	if (v['version'] !== 1) return 'version is not 1';
	if (typeof v['recordedAt'] !== 'string') return 'recordedAt is not a string';
	const settings = v['settings'];
	if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return 'settings is not an object';
	for (const [name, setting] of Object.entries(settings)) if (!isValue(setting)) return `settings.${name} is neither a string nor true/false`;
	const changes = v['changes'] ?? [];
	if (!Array.isArray(changes)) return 'changes is not a list';
	for (const [i, c] of changes.entries()) {
		const change = c as Record<string, unknown> | null;
		if (typeof change !== 'object' || change === null || typeof change['at'] !== 'string' || typeof change['name'] !== 'string' || !(change['from'] === null || isValue(change['from'])) || !isValue(change['to'])) {
			return `changes[${i}] is not {at, name, from, to}`;
		}
	}
	return {schema: 'runbook.settings', version: 1, recordedAt: v['recordedAt'], settings: settings as Record<string, Value>, changes: changes as SettingChangeRecord[]};
}

/** A URL without its password: recorded, shown and compared in this form only. */
function withoutPassword(url: string): string {
	try {
		const u = new URL(url);
		u.password = '';
		return u.toString();
	} catch {
		return maskUrl(url);
	}
}

const DURATIONS = new Set<SettingName>(['lock-timeout', 'retry-delay', 'statement-timeout', 'traffic-sample']);
const PATHS = new Set<SettingName>(['backup-dir', 'server-log', 'migrations', 'rehearsal']);
const URLS = new Set<SettingName>(['test-database-url', 'app-url']);

/** The value as recorded: paths absolute, URLs without passwords. */
function recordable(name: SettingName, value: Value): Value {
	if (typeof value !== 'string') return value;
	if (PATHS.has(name)) return path.resolve(value);
	if (URLS.has(name)) return withoutPassword(value);
	return value;
}

/** Two values of a setting mean the same (5s and 5000ms; a relative and an absolute path). */
function same(name: SettingName, a: Value, b: Value): boolean {
	if (typeof a !== 'string' || typeof b !== 'string') return a === b;
	if (DURATIONS.has(name)) return parseDurationMs(a, name) === parseDurationMs(b, name);
	return recordable(name, a) === recordable(name, b);
}

/** The effective settings of this command line (defaults included, so a later change of any of them shows). */
export function effectiveSettings(options: CliOptions, stateDir: string): Record<SettingName, Value> {
	const given = options.given as Partial<Record<SettingName, Value>>;
	const defaults: Record<SettingName, Value | undefined> = {
		'lock-timeout': `${options.lockTimeoutMs}ms`,
		'lock-retries': String(options.lockRetries),
		'retry-delay': `${options.retryDelayMs}ms`,
		'statement-timeout': `${options.statementTimeoutMs}ms`,
		'backup-dir': options.backupDir ?? path.join(stateDir, 'backups'),
		'backup-format': options.backupFormat,
		compress: String(options.compressLevel),
		'app-role': options.appRole,
		'app-url': options.appUrl,
		'org-id': options.named['org-id'],
		'project-ref': options.named['project-ref'],
		migrations: options.migrationsDir,
		'test-database-url': options.testDatabaseUrl,
		'window-start': options.named['window-start'],
		'window-end': options.named['window-end'],
		'server-log': options.named['server-log'],
		'prepared-by': options.named['prepared-by'],
		'reviewed-by': options.named['reviewed-by'],
		'approved-by': options.named['approved-by'],
		step: options.step,
		rehearsal: options.rehearsalFile ?? (existsSync(path.join(stateDir, 'rehearsal.json')) ? path.join(stateDir, 'rehearsal.json') : undefined),
		'traffic-sample': `${options.trafficSampleMs}ms`,
	};
	const out = {} as Record<SettingName, Value>;
	for (const name of RECORDED_OPTIONS) {
		const value = given[name] ?? defaults[name];
		if (value !== undefined) out[name] = recordable(name, value);
	}
	return out;
}

/**
 * settings.json is kept with conf, the design card's store for settings: an atomic write (temp file, fsync,
 * rename) with mode 0600, read back as one object. conf (and ajv with it) is loaded only here: when a run
 * starts, after its first frame is on the screen, and when a resumed run reads what it started with.
 */
async function settingsStore(stateDir: string): Promise<{store: Record<string, unknown>}> {
	const {default: Conf} = await import('conf');
	return new Conf<Record<string, unknown>>({
		cwd: stateDir,
		configName: 'settings',
		configFileMode: 0o600,
		accessPropertiesByDotNotation: false,
		clearInvalidConfig: false,
		serialize: (value) => `${JSON.stringify(value, null, 2)}\n`,
	});
}

export async function readSettings(stateDir: string): Promise<SettingsFile | undefined> {
	const file = path.join(stateDir, SETTINGS_FILE);
	if (!existsSync(file)) return undefined;
	let parsed: SettingsFile | string;
	try {
		parsed = parseSettingsFile((await settingsStore(stateDir)).store);
	} catch (error) {
		parsed = `not JSON: ${error instanceof Error ? error.message : String(error)}`;
	}
	if (typeof parsed === 'string') throw new UserError(`${file} is not a settings file runbook wrote (${parsed}). Move it away to resume with the flags given now.`);
	return parsed;
}

export async function writeSettings(stateDir: string, settings: SettingsFile): Promise<void> {
	try {
		mkdirSync(stateDir, {recursive: true, mode: 0o700});
		(await settingsStore(stateDir)).store = {...settings};
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code ?? String(error);
		throw new UserError(`The run's settings could not be written to ${path.join(stateDir, SETTINGS_FILE)} (${code}). Free space there or give a writable --state-dir; nothing was started.`, {cause: error});
	}
}

export function newSettingsFile(options: CliOptions, stateDir: string): SettingsFile {
	return {schema: 'runbook.settings', version: 1, recordedAt: new Date().toISOString(), settings: effectiveSettings(options, stateDir), changes: []};
}

export type SettingChange = {readonly name: SettingName; readonly recorded: Value | null; readonly given: Value};

function show(value: Value | null): string {
	return value === null ? '(not set)' : value === true ? 'on' : value === false ? 'off' : value;
}

export function describeChanges(changes: readonly SettingChange[]): string {
	return changes.map((c) => `--${c.name} ${show(recordable(c.name, c.given))} (the run started with ${show(c.recorded)})`).join('; ');
}

/**
 * Options for a resumed run: the recorded settings where the flag was not
 * given again, and the flags given again with another value (`changes`).
 */
export function resumeSettings(options: CliOptions, recorded: SettingsFile): {options: CliOptions; changes: SettingChange[]} {
	const given = options.given as Partial<Record<SettingName, Value>>;
	const changes: SettingChange[] = [];
	const reuse: Partial<Record<SettingName, Value>> = {};
	for (const name of RECORDED_OPTIONS) {
		const was = recorded.settings[name];
		const now = given[name];
		if (now === undefined) {
			if (was !== undefined) reuse[name] = was;
			continue;
		}
		if (was === undefined || !same(name, was, now)) changes.push({name, recorded: was ?? null, given: now});
	}
	return {options: Object.keys(reuse).length > 0 ? withValues(options, reuse) : options, changes};
}

export async function recordChanges(stateDir: string, recorded: SettingsFile, changes: readonly SettingChange[]): Promise<void> {
	const at = new Date().toISOString();
	const settings = {...recorded.settings};
	for (const c of changes) settings[c.name] = recordable(c.name, c.given);
	await writeSettings(stateDir, {...recorded, settings, changes: [...recorded.changes, ...changes.map((c) => ({at, name: c.name, from: c.recorded, to: recordable(c.name, c.given)}))]});
}
