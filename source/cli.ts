#!/usr/bin/env node
/**
 * runbook's entry point: flags → one command. The only place that decides the
 * process's exit code. Errors the operator can fix print one paragraph and
 * exit 2 (or their own code); anything else is reported as a bug.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {parseCli, HELP, type CliOptions} from './cli/options.js';
import {isUserError, errorMessage} from './errors.js';
import {maskUrl} from './db/target.js';
import {projectRoot} from './paths.js';

async function main(argv: readonly string[]): Promise<number> {
	const options: CliOptions = parseCli(argv);
	if (options.version) {
		const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {version: string};
		process.stdout.write(`${pkg.version}\n`);
		return 0;
	}
	if (options.help) {
		process.stdout.write(HELP);
		return 0;
	}
	switch (options.command) {
		case 'run':
			return (await import('./cli/run.js')).runCommand(options);
		case 'rollback': {
			const level = Number(options.positionals[0]);
			if (![1, 2, 3].includes(level)) {
				process.stderr.write('runbook rollback needs a level: 1 (disable RLS: 006_rollback.sql), 2 (drop platform.databases: rollback-006.sql) or 3 (restore from the backup).\n');
				return 2;
			}
			return (await import('./cli/run.js')).runCommand({...options, resume: true}, {level, reason: options.reason ?? `runbook rollback ${level}`});
		}
		case 'status':
			return (await import('./cli/status.js')).statusCommand(options);
		case 'watch':
			return (await import('./cli/status.js')).watchCommand(options);
		case 'report':
			return (await import('./cli/status.js')).reportCommand(options);
		case 'validate':
			return (await import('./cli/validate.js')).validateCommand(options);
		case 'sandbox':
			return (await import('./cli/sandbox.js')).sandboxCommand(options);
		case 'verify-backup':
			return (await import('./cli/verify-backup.js')).verifyBackupCommand(options);
		case 'monitor':
			return (await import('./cli/monitor.js')).monitorCommand(options);
		case 'help':
			process.stdout.write(HELP);
			return 0;
	}
}

main(process.argv.slice(2)).then(
	(code) => process.exit(code),
	(error: unknown) => {
		if (isUserError(error)) {
			process.stderr.write(`runbook: ${maskUrl(error.message)}\n`);
			process.exit(error.exitCode);
		}
		process.stderr.write(`runbook: this is a bug in runbook, please report it with the output below.\n${maskUrl(error instanceof Error ? (error.stack ?? error.message) : errorMessage(error))}\n`);
		process.exit(70);
	},
);
