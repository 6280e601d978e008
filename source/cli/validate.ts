/** `runbook validate [file]`: every problem of a plan file at once, each with file:line and the field. */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {parsePlanText} from '../plan/load.js';
import {ACTION_NAMES} from '../engine/executors/index.js';
import {UserError} from '../errors.js';
import type {CliOptions} from './options.js';

export async function validateCommand(options: CliOptions): Promise<number> {
	const file = path.resolve(options.positionals[0] ?? options.planFile);
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		throw new UserError(`The plan file ${file} could not be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
	}
	const {plan, problems} = parsePlanText(text, file, {actions: ACTION_NAMES});
	if (problems.length > 0 || !plan) {
		process.stderr.write(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
		for (const p of problems) process.stderr.write(`${file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}\n`);
		return 2;
	}
	const items = plan.phases.reduce((n, p) => n + p.items.length, 0);
	const rollback = plan.rollback.reduce((n, l) => n + l.items.length, 0);
	const monitoring = plan.monitoring.reduce((n, p) => n + p.items.length, 0);
	process.stdout.write(`${file}: valid — ${plan.phases.length} phases, ${items} forward items, ${plan.rollback.length} rollback levels (${rollback} items), ${monitoring} monitoring items, ${plan.timeline.length} timeline rows\n`);
	return 0;
}
