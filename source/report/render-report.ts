/**
 * The plan's post-migration report ("Communication Plan → Post-Migration
 * Report"), as Markdown: status, actual execution time, objects created,
 * verification results, then the evidence the template only alludes to
 * (checklist, health and application checks, baseline comparison, planned vs
 * actual timeline), issues with the operator's notes, next steps and the
 * sign-off block. Every input string is redacted before formatting and the
 * whole text once more after.
 */
import {redact} from '../db/target.js';
import {between, formatClock, formatInstant, formatPlannedMinutes, plural, table} from './format.js';
import {sortedSecrets} from './notification.js';
import {redactDeep} from '../db/redact-deep.js';
import {baselineChart, timelineGantt} from './charts.js';
import type {ObjectCounts, ReportInput, ReportIssue, ReportItem} from './types.js';
import {formatDuration} from '../text.js';

export const DEFAULT_NEXT_STEPS: readonly string[] = [
	'Test the application thoroughly: all critical user paths, API endpoints and admin operations',
	'Monitor performance against the baseline; watch for slow queries and check the error logs',
	'Document any issues: create tickets and update the plan with what was learned',
];

const BLANK = '_________________';

const KINDS: ReadonlyArray<readonly [keyof ObjectCounts, string, string]> = [
	['tables', 'table', 'tables'],
	['indexes', 'index', 'indexes'],
	['functions', 'function', 'functions'],
	['views', 'view', 'views'],
	['triggers', 'trigger', 'triggers'],
	['policies', 'policy', 'policies'],
];

function countsLine(counts: ObjectCounts): string {
	return KINDS.map(([key, one, many]) => plural(counts[key], one, many)).join(', ');
}

function objectsSection(input: ReportInput): string[] {
	const counts = input.objectCounts;
	if (!counts) return ['Objects Created: not counted'];
	if (!counts.before) return [`Objects Created: schema platform now holds ${countsLine(counts.after)}`];
	const before = counts.before;
	const created = Object.fromEntries(KINDS.map(([key]) => [key, counts.after[key] - before[key]])) as ObjectCounts;
	return [
		`Objects Created: ${countsLine(created)}`,
		'',
		table(
			['Object', 'Before', 'After', 'Created'],
			KINDS.map(([key, , many]) => [many, before[key], counts.after[key], created[key]]),
		),
	];
}

function executionTime(input: ReportInput): string {
	const ms = between(input.timing.startedAt, input.timing.endedAt);
	const planned = input.timing.plannedMinutes === undefined ? '' : ` (planned ${formatPlannedMinutes(input.timing.plannedMinutes)})`;
	if (ms === undefined) return `Execution Time: started ${formatInstant(input.timing.startedAt)}, not finished${planned}`;
	return `Execution Time: ${formatDuration(ms)}${planned}, from ${formatInstant(input.timing.startedAt)} to ${formatInstant(input.timing.endedAt!)}`;
}

const STATUS_WORD: Readonly<Record<ReportItem['status'], string>> = {
	passed: 'PASS',
	failed: 'FAIL',
	skipped: 'SKIPPED',
	pending: 'NOT RUN',
	running: 'RUNNING',
	'rolled-back': 'ROLLED BACK',
};

function issuesFrom(input: ReportInput): ReportIssue[] {
	const issues: ReportIssue[] = [...(input.issues ?? [])];
	for (const item of input.items) {
		if (item.status !== 'failed') continue;
		const expected = item.expected ? ` expected ${item.expected}` : '';
		const actual = item.actual ? `, got ${item.actual}` : '';
		issues.push({summary: `${item.phase}: ${item.title} failed${expected || actual ? ` (${`${expected}${actual}`.trim()})` : ''}`});
	}
	return issues;
}

function timelineSection(input: ReportInput): string[] {
	if (input.timeline.length === 0) return [];
	const rows = input.timeline.map((row) => {
		const actual = between(row.actualStart, row.actualEnd);
		const delta = actual === undefined || row.plannedMinutes <= 0 ? undefined : actual - row.plannedMinutes * 60_000;
		return [
			row.at,
			row.activity,
			row.owner,
			formatPlannedMinutes(row.plannedMinutes),
			row.actualStart ? formatClock(row.actualStart) : undefined,
			row.actualEnd ? formatClock(row.actualEnd) : undefined,
			actual === undefined ? undefined : formatDuration(actual),
			delta === undefined ? undefined : `${delta > 0 ? '+' : '-'}${formatDuration(Math.abs(delta))}`,
		];
	});
	const gantt = timelineGantt(input.timeline);
	return ['## Timeline (planned vs actual, UTC)', '', ...(gantt.length > 0 ? [...gantt, ''] : []), table(['Time', 'Activity', 'Owner', 'Planned', 'Started', 'Ended', 'Actual', 'Over / under'], rows), ''];
}

export function renderReport(raw: ReportInput): string {
	const secrets = sortedSecrets(raw.secrets);
	const input = redactDeep(raw, secrets);
	const out: string[] = [];
	out.push(`# ${input.planTitle} Execution Report`, '');
	out.push(`Status: **${input.status}**`, '');
	out.push(`Target: ${input.target}`, '');
	out.push(executionTime(input), '');
	out.push(...objectsSection(input), '');

	out.push('## Verification Results', '');
	if (input.verifications.length === 0) out.push('- No verification recorded');
	for (const v of input.verifications) out.push(`- ${v.name}: ${v.result}${v.detail ? ` (${v.detail.replace(/\r?\n/g, ' ')})` : ''}`);
	out.push('');

	if (input.items.length > 0) {
		const passed = input.items.filter((i) => i.status === 'passed').length;
		out.push('## Checklist', '');
		out.push(`${passed} of ${plural(input.items.length, 'item', 'items')} passed.`, '');
		out.push(
			table(
				['ID', 'Phase', 'Item', 'Result', 'Expected', 'Actual', 'Duration'],
				input.items.map((item) => {
					const ms = between(item.startedAt, item.endedAt);
					const result = item.status === 'skipped' && item.skipReason ? `SKIPPED: ${item.skipReason}` : STATUS_WORD[item.status];
					return [item.id, item.phase, item.title, result, item.expected, item.actual, ms === undefined ? undefined : formatDuration(ms)];
				}),
			),
			'',
		);
	}

	if (input.health && input.health.length > 0) {
		out.push('## Health Checks', '');
		out.push(
			table(
				['Database', 'Type', 'Status', 'Latency', 'Error'],
				input.health.map((h) => [h.name, h.type, h.status, h.latencyMs === null ? undefined : `${h.latencyMs} ms`, h.error]),
			),
			'',
		);
	}

	if (input.appChecks && input.appChecks.length > 0) {
		out.push('## Application Checks', '');
		out.push(
			table(
				['Endpoint', 'HTTP status', 'Result', 'Latency', 'Error'],
				input.appChecks.map((a) => [a.path, a.status ?? 'no response', a.ok ? 'PASS' : 'FAIL', `${a.latencyMs} ms`, a.error]),
			),
			'',
		);
	}

	if (input.security) {
		const sec = input.security;
		out.push('## Security', '');
		out.push(`- ${sec.encrypted}`);
		out.push(`- ${sec.plaintext}`);
		out.push(`- Database security posture improved, for what actually changed: ${sec.improved.length > 0 ? sec.improved.join('; ') : 'nothing measured'}.`);
		if (sec.notImproved.length > 0) out.push(`- NOT improved: ${sec.notImproved.join('; ')}.`);
		if (sec.nextStep) out.push(`- Next step: ${sec.nextStep}`);
		out.push('');
	}

	if (input.probes) {
		out.push('## Application Statements (zero behaviour change)', '');
		out.push(input.probes.summary, '');
		out.push(table(input.probes.columns, input.probes.rows), '');
	}

	if (input.baseline && input.baseline.rows.length > 0) {
		out.push('## Baseline Comparison', '');
		const chart = baselineChart(input.baselineQueries ?? []);
		if (chart.length > 0) out.push(...chart, '');
		out.push(table(input.baseline.columns, input.baseline.rows), '');
	}

	out.push(...timelineSection(input));

	const issues = issuesFrom(input);
	out.push('## Issues Encountered', '');
	if (issues.length === 0) out.push('None', '', 'Resolution: N/A', '');
	else {
		for (const issue of issues) out.push(`- ${issue.severity ? `[${issue.severity}] ` : ''}${issue.summary.replace(/\r?\n/g, ' ')}`);
		out.push('');
		const resolved = issues.filter((i) => i.resolution);
		if (resolved.length === 0) out.push('Resolution: none recorded', '');
		else {
			out.push('Resolution:', '');
			for (const issue of resolved) out.push(`- ${issue.summary.replace(/\r?\n/g, ' ')}: ${issue.resolution!.replace(/\r?\n/g, ' ')}`);
			out.push('');
		}
	}

	if (input.notes.length > 0) {
		out.push('## Operator Notes', '');
		for (const note of input.notes) out.push(`- ${formatInstant(note.at)}: ${note.text.replace(/\r?\n/g, ' ')}`);
		out.push('');
	}

	out.push('## Next Steps', '');
	const steps = input.nextSteps && input.nextSteps.length > 0 ? input.nextSteps : DEFAULT_NEXT_STEPS;
	steps.forEach((step, i) => out.push(`${i + 1}. ${step.replace(/\r?\n/g, ' ')}`));
	out.push('');

	const sign = input.signOff;
	out.push('## Sign-Off', '');
	out.push(`**Prepared By**: ${sign.preparedBy || BLANK}  `);
	out.push(`**Reviewed By**: ${sign.reviewedBy || BLANK}  `);
	out.push(`**Approved By**: ${sign.approvedBy || BLANK}  `);
	out.push(`**Execution Date**: ${sign.executionDate ? formatInstant(sign.executionDate) : BLANK}`, '');

	out.push('---', '');
	out.push(`Full details: ${input.planFile ?? 'DATABASE-MIGRATION-MASTER-PLAN.md'}  `);
	out.push(`Report generated ${formatInstant(input.generatedAt ?? new Date().toISOString())}`);
	return redact(`${out.join('\n')}\n`, secrets);
}
