/**
 * psql as a child process: `-X` (no ~/.psqlrc), `-v ON_ERROR_STOP=1` and, for
 * migrations, `--single-transaction`, so a file either applies entirely or not
 * at all and a failure is an exit code, not a line someone has to spot.
 * The connection goes through libpq environment variables: the password is
 * never on the command line.
 */
import type {Target} from '../db/target.js';
import {POSTGRES_CLIENT_HINT, runChild, type ChildLine, type ChildOptions, type ChildResult} from './child.js';

export type PsqlOptions = {
	readonly target: Target;
	/** Files and commands in order: {file} is -f, {command} is -c. */
	readonly steps: ReadonlyArray<{readonly file: string} | {readonly command: string}>;
	readonly singleTransaction?: boolean;
	/** psql variables (-v name=value); values are not secrets. */
	readonly vars?: Readonly<Record<string, string>>;
	/** Server settings for this session (PGOPTIONS -c name=value). */
	readonly settings?: Readonly<Record<string, string>>;
	readonly applicationName?: string;
	readonly onLine?: (line: ChildLine) => void;
	readonly onSpawn?: (pid: number) => void;
	readonly signal?: AbortSignal;
	readonly psqlPath?: string;
	/** Set in psql's environment besides the connection (what Debian's wrapper sets when psqlPath is the binary it runs). */
	readonly extraEnv?: Readonly<Record<string, string>>;
	readonly quiet?: boolean;
	/** Journal this psql as a resource (see proc/child.ts). */
	readonly track?: ChildOptions['track'];
};

export function psqlArgs(options: PsqlOptions): string[] {
	const args = ['-X', '-v', 'ON_ERROR_STOP=1', '--no-password'];
	if (options.singleTransaction) args.push('--single-transaction');
	if (options.quiet) args.push('-q');
	for (const [name, value] of Object.entries(options.vars ?? {})) args.push('-v', `${name}=${value}`);
	for (const step of options.steps) {
		if ('file' in step) args.push('-f', step.file);
		else args.push('-c', step.command);
	}
	return args;
}

export function psqlEnv(options: Pick<PsqlOptions, 'target' | 'settings' | 'applicationName' | 'extraEnv'>): Record<string, string | undefined> {
	const env = {...options.target.childEnv(), ...options.extraEnv};
	const settings = Object.entries(options.settings ?? {});
	if (settings.length > 0) {
		// After the target's own options (options= / PGOPTIONS), so the step's settings win for this session.
		const own = settings.map(([name, value]) => `-c ${name}=${value.replace(/\s/g, '\\ ')}`).join(' ');
		env['PGOPTIONS'] = env['PGOPTIONS'] ? `${env['PGOPTIONS']} ${own}` : own;
	}
	env['PGAPPNAME'] = options.applicationName ?? 'runbook';
	return env;
}

export async function runPsql(options: PsqlOptions): Promise<ChildResult> {
	return runChild({
		file: options.psqlPath ?? 'psql',
		args: psqlArgs(options),
		env: psqlEnv(options),
		onLine: options.onLine,
		onSpawn: options.onSpawn,
		signal: options.signal,
		installHint: POSTGRES_CLIENT_HINT,
		tailLines: 60,
		...(options.track ? {track: options.track} : {}),
	});
}
