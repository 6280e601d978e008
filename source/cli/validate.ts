/** `runbook validate [file]`: every problem of a plan file at once, each with file:line and the field. */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {parsePlanText} from '../plan/load.js';
import {ACTION_NAMES} from '../plan/actions.js';
import {UserError} from '../errors.js';
import type {CliOptions} from './options.js';
import type {Plan} from '../plan/schema.js';
import {validateJson, writeJson} from './json.js';

export async function validateCommand(options: CliOptions): Promise<number> {
	const file = path.resolve(options.positionals[0] ?? options.planFile);
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		throw new UserError(`The plan file ${file} could not be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
	}
	const {plan, problems} = parsePlanText(text, file, {actions: ACTION_NAMES});
	if (options.json) {
		const counts = plan && problems.length === 0 ? planCounts(plan) : undefined;
		writeJson(validateJson({file, problems, ...(counts ? {counts} : {})}));
		return counts ? 0 : 2;
	}
	if (problems.length > 0 || !plan) {
		process.stderr.write(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
		for (const p of problems) process.stderr.write(`${file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}\n`);
		return 2;
	}
	const c = planCounts(plan);
	process.stdout.write(`${file}: valid — ${c.phases} phases, ${c.forwardItems} forward items, ${c.rollbackLevels} rollback levels (${c.rollbackItems} items), ${c.monitoringItems} monitoring items, ${c.timelineRows} timeline rows\n`);
	return 0;
}

function planCounts(plan: Plan): Record<'phases' | 'forwardItems' | 'rollbackLevels' | 'rollbackItems' | 'monitoringItems' | 'timelineRows', number> {
	return {
		phases: plan.phases.length,
		forwardItems: plan.phases.reduce((n, p) => n + p.items.length, 0),
		rollbackLevels: plan.rollback.length,
		rollbackItems: plan.rollback.reduce((n, l) => n + l.items.length, 0),
		monitoringItems: plan.monitoring.reduce((n, p) => n + p.items.length, 0),
		timelineRows: plan.timeline.length,
	};
}
