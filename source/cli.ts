#!/usr/bin/env node
/**
 * runbook's entry point: flags → one command. The only place that decides the
 * process's exit code. Errors the operator can fix print one paragraph and
 * exit 2 (or their own code); anything else is reported as a bug.
 */
import {parseCli} from './cli/parse.js';
import {isUserError, errorMessage} from './errors.js';
import {maskUrl} from './db/target.js';
import {isatty} from 'node:tty';

/** The same run command; with --yes from the entry whose bundle holds the engine (cli/run-yes.ts). */
function runModule(yes: boolean): Promise<Pick<typeof import('./cli/run.js'), 'runCommand'>> {
	return yes ? import('./cli/run-yes.js') : import('./cli/run.js');
}

async function main(argv: readonly string[]): Promise<number> {
	const parsed = parseCli(argv);
	if (parsed.kind === 'printed') {
		process.stdout.write(parsed.text);
		return parsed.exitCode;
	}
	const options = parsed.options;
	switch (options.command) {
		case 'run':
			if (options.fromBackup) {
				if (!options.yes) (await import('./cli/terminal.js')).requireTerminal('`runbook run --from-backup` without --yes', 'Without a terminal use `runbook rehearse --from-backup FILE` (it writes rehearsal.md and rehearsal.json).');
				return (await import('./cli/rehearse.js')).rehearseCommand(options, {tui: !options.yes});
			}
			return (await runModule(options.yes)).runCommand(options);
		case 'rollback': {
			const level = Number(options.positionals[0]);
			return (await runModule(options.yes)).runCommand({...options, resume: true}, {level, reason: options.reason ?? `runbook rollback ${level}`});
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
		case 'rehearse':
			return (await import('./cli/rehearse.js')).rehearseCommand(options);
		case 'verify-backup':
			return (await import('./cli/verify-backup.js')).verifyBackupCommand(options);
		case 'monitor':
			return (await import('./cli/monitor.js')).monitorCommand(options);
		case 'conninfo':
			return (await import('./cli/conninfo.js')).conninfoCommand(options);
		case 'cleanup':
			return (await import('./cli/cleanup.js')).cleanupCommand(options);
		case 'completion':
			return (await import('./cli/completion.js')).completionCommand(options);
		case 'help':
			return 0;
	}
}

/**
 * With the terminal hung up, node's own exit restores the terminal's settings and aborts when that fails with EIO
 * (an assertion in node 20, a core dump). The process ends as a hung-up process does, by the SIGHUP it got (129),
 * once the run has stopped; if SIGHUP is ignored (nohup), by exit a moment later.
 */
function leave(code: number): void {
	if (!terminalLost) process.exit(code);
	process.removeAllListeners('SIGHUP');
	process.kill(process.pid, 'SIGHUP');
	setTimeout(() => process.exit(code), 200);
}

/** Exits once stdout and stderr are flushed: process.exit alone cuts a piped output at 64 KiB (status --json | jq). */
function exitAfterFlush(code: number): void {
	let pending = 2;
	const done = () => {
		pending -= 1;
		if (pending === 0) leave(code);
	};
	process.stdout.write('', done);
	process.stderr.write('', done);
}

let terminalLost = false;

/**
 * A lost terminal (the SSH session gone, the tmux pane or session killed) fails every write to it with EIO, and a
 * reader that went away fails them with EPIPE. Unhandled, the first such write (the TUI's next frame) crashed the
 * process just after the SIGHUP had asked the run to stop: the sandbox server and the throwaway Redis were left
 * running, and the run's last events were not written. The output has nowhere to go; the journal is the record, and
 * the stop goes on. Any other error of the streams is still thrown. stdin is guarded only when it is a terminal (the
 * TUI and the prompts read it there): creating process.stdin costs 1-3 ms, which `status` in a script never needs.
 */
function outliveLostTerminal(): void {
	const lost = new Set(['EIO', 'EPIPE', 'ENXIO', 'ERR_STREAM_DESTROYED']);
	const onError = (error: NodeJS.ErrnoException) => {
		if (!lost.has(error.code ?? '')) throw error;
		if (error.code === 'EIO' || error.code === 'ENXIO') terminalLost = true;
	};
	process.stdout.on('error', onError);
	process.stderr.on('error', onError);
	if (isatty(0)) process.stdin.on('error', onError);
}

outliveLostTerminal();
main(process.argv.slice(2)).then(
	(code) => exitAfterFlush(code),
	(error: unknown) => {
		if (isUserError(error)) {
			process.stderr.write(`runbook: ${maskUrl(error.message)}\n`);
			exitAfterFlush(error.exitCode);
			return;
		}
		process.stderr.write(`runbook: this is a bug in runbook, please report it with the output below.\n${maskUrl(error instanceof Error ? (error.stack ?? error.message) : errorMessage(error))}\n`);
		exitAfterFlush(70);
	},
);
