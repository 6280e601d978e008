/** `runbook monitor`: the plan's post-migration monitoring (weeks 1–4) as one report. */
import {runMonitor} from '../monitor/run-monitor.js';
import {formatMonitorReport} from '../monitor/format-report.js';
import {readState} from '../state/read.js';
import type {CliOptions} from './options.js';
import {loadPlanForCli} from './load-plan.js';
import {locateState} from './status.js';
import {resolveTarget} from './target.js';

export async function monitorCommand(options: CliOptions): Promise<number> {
	const plan = await loadPlanForCli(options);
	const resolved = await resolveTarget({
		...(options.databaseUrl ? {databaseUrl: options.databaseUrl} : {}),
		planId: plan.plan.id,
		fresh: false,
		scale: options.scale,
		withRedis: false,
		log: (l) => process.stderr.write(`${l}\n`),
	});
	try {
		const {state} = readState(locateState(options, plan));
		const baseline = state.data['baseline-before'] ?? state.data['baseline-after'];
		const logFile = options.named['server-log'];
		const result = await runMonitor({target: resolved.target, ...(baseline ? {baseline} : {}), ...(logFile ? {logFile} : {})});
		process.stdout.write(`${formatMonitorReport(result).join('\n')}\n`);
		return result.ok ? 0 : 1;
	} finally {
		await resolved.close();
	}
}
