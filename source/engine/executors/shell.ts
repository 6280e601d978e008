/** A shell command run by execa (no shell interpolation: command and args are separate). */
import type {ExecContext, ItemOf, Outcome} from '../context.js';
import {runChild} from '../../proc/child.js';
import {redact} from '../../db/target.js';
import {UserError} from '../../errors.js';
import {uniqueAppName} from '../../proc/resource.js';

export async function runShell(ctx: ExecContext<ItemOf<'shell'>>): Promise<Outcome> {
	const item = ctx.item;
	const shown = [item.command, ...item.args].join(' ');
	try {
		const result = await runChild({
			file: item.command,
			args: item.args,
			env: {...ctx.target.childEnv(), PGAPPNAME: uniqueAppName('runbook-shell')},
			signal: ctx.signal,
			// A shell step may change things: a resumed run waits for an orphan rather than guess.
			track: {resources: ctx.resources, purpose: `shell step ${shown.slice(0, 60)}`, onOrphan: 'wait', itemId: item.id},
			// The store redacts what it keeps (journaled lines, the live tail); per-line work here would throttle a chatty child.
			onLine: ({line, stream}) => ctx.output(line, stream),
		});
		const tail = result.tail.map((l) => redact(l.line, ctx.target.secrets));
		const exitOk = result.exitCode === item.expectExit;
		const outputOk = item.expectOutput ? new RegExp(item.expectOutput, 'm').test(tail.join('\n')) : true;
		const ok = exitOk && outputOk;
		const expected = `exit ${item.expectExit}${item.expectOutput ? `, output matches /${item.expectOutput}/` : ''}`;
		return {
			ok,
			evidence: {command: shown, exitCode: result.exitCode, outputTail: tail, expected, actual: `exit ${result.exitCode}${item.expectOutput ? (outputOk ? ', output matches' : ', output does not match') : ''}`},
			...(ok ? {} : {error: `\`${shown}\` ${exitOk ? 'printed unexpected output' : `exited with ${result.exitCode}`}; expected ${expected}.`}),
		};
	} catch (error) {
		if (error instanceof UserError) return {ok: false, evidence: {command: shown, actual: error.message}, error: error.message};
		throw error;
	}
}
