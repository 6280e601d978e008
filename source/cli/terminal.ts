/**
 * The interactive commands (the default run, watch, rollback without --yes)
 * draw with Ink, which needs a terminal for keys. Without one they stop at
 * once with exit 2 and name the command that does the same job without a
 * terminal, before anything is started or connected.
 */
import {UserError} from '../errors.js';

export function requireTerminal(what: string, instead: string, streams: {stdin: {isTTY?: boolean}; stdout: {isTTY?: boolean}} = process): void {
	const missing = !streams.stdin.isTTY ? 'standard input' : !streams.stdout.isTTY ? 'standard output' : undefined;
	if (!missing) return;
	throw new UserError(`${what} is interactive and needs a terminal, but its ${missing} is not one (a pipe, a file, cron or CI). ${instead} Nothing was started or changed.`);
}
