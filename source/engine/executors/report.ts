/**
 * Communication and sign-off: the pre-migration notification and the
 * post-migration report, filled from the state and written next to it.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import type {ExecContext, Outcome} from '../context.js';
import {buildReport, buildNotification, signoffFromOptions} from '../../report/from-state.js';

export async function runSignoff(ctx: ExecContext): Promise<Outcome> {
	const signoff = signoffFromOptions(ctx.plan, ctx.settings.options);
	ctx.setData('signoff', signoff);
	const missing = (['reviewedBy', 'approvedBy'] as const).filter((k) => !signoff[k]);
	// A name not given is MISSING, never shown as if it were signed.
	const text = `prepared by ${signoff.preparedBy ?? 'MISSING'}, reviewed by ${signoff.reviewedBy ?? 'MISSING'}, approved by ${signoff.approvedBy ?? 'MISSING'}, execution date ${signoff.executionDate}`;
	ctx.output(text);
	return {
		ok: true,
		evidence: {expected: 'prepared, reviewed and approved by named people; execution date', actual: text},
		...(missing.length === 0 ? {} : {note: `sign-off incomplete: ${missing.join(' and ')} to be signed (--reviewed-by, --approved-by)`}),
	};
}

export async function runNotify(ctx: ExecContext): Promise<Outcome> {
	const text = buildNotification(ctx.plan, ctx.target.display, ctx.settings.options, ctx.settings.secrets);
	const file = path.join(ctx.stateDir, 'notification.md');
	writeFileSync(file, text, {mode: 0o600});
	for (const line of text.split('\n').slice(0, 14)) ctx.output(line);
	return {ok: true, evidence: {command: `write ${file}`, expected: 'the plan\'s pre-migration notification, filled', actual: `written to ${file}`}};
}

export async function runWriteReport(ctx: ExecContext): Promise<Outcome> {
	const text = await buildReport({plan: ctx.plan, state: ctx.state(), secrets: [...ctx.target.secrets, ...ctx.settings.secrets], final: false});
	const file = path.join(ctx.stateDir, 'report.md');
	writeFileSync(file, text, {mode: 0o600});
	for (const line of text.split('\n').slice(0, 10)) ctx.output(line);
	return {ok: true, evidence: {command: `write ${file}`, expected: 'the plan\'s post-migration report, filled from the state', actual: `written to ${file} (runbook report prints it)`}};
}
