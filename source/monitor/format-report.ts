/**
 * The monitor result as plain text lines (no ANSI), for `runbook monitor`, the
 * TUI and the report.
 */
import {formatMs} from '../baseline/format-comparison.js';
import type {CheckStatus} from './checks.js';
import type {MonitorResult} from './run-monitor.js';
import {truncate, wrapIndented} from '../text.js';

export type MonitorReportOptions = {
	readonly width?: number;
	readonly ascii?: boolean;
};

const MARK: Record<CheckStatus, {unicode: string; ascii: string}> = {
	pass: {unicode: '✓', ascii: 'PASS'},
	fail: {unicode: '✗', ascii: 'FAIL'},
	warn: {unicode: '!', ascii: 'WARN'},
	skipped: {unicode: '–', ascii: 'SKIP'},
};

function fit(text: string, width: number, ascii: boolean): string {
	return truncate(text, width, ascii ? '~' : '…');
}

export function formatMonitorReport(result: MonitorResult, options: MonitorReportOptions = {}): string[] {
	const width = Math.max(60, options.width ?? 80);
	const ascii = options.ascii ?? false;
	const mark = (status: CheckStatus) => (ascii ? MARK[status].ascii : MARK[status].unicode);
	const lines: string[] = [];
	const para = (text: string, indent = '') => lines.push(...wrapIndented(text, width, indent, `${indent}  `));
	lines.push(`Monitor ${result.database} (PostgreSQL ${result.serverVersion}) at ${result.checkedAt}: ${result.ok ? 'OK' : 'ATTENTION'}`);
	lines.push('');
	lines.push('Stability checks');
	for (const check of result.checks) {
		para(`${mark(check.status)} ${check.title}: ${check.detail}`, '  ');
	}
	lines.push('');
	lines.push(`Slow statements (mean > ${result.statements.minMeanMs} ms${result.statements.column ? `, ${result.statements.column}` : ''})`);
	para(result.statements.message, '  ');
	for (const s of result.statements.slow) {
		const base = s.baselineId === undefined ? '' : ` [baseline ${s.baselineId}: ${formatMs(s.baselineMedianMs ?? 0)} ms]`;
		lines.push(fit(`  ${formatMs(s.meanMs).padStart(9)} ms × ${String(s.calls).padEnd(6)} ${s.query}${base}`, width, ascii));
	}
	if (result.statements.restrictedText) para('Some query texts are hidden (<insufficient privilege>): grant the monitoring role pg_read_all_stats.', '  ');
	if (result.statements.baseline.length > 0) {
		lines.push('  Baseline queries as the application runs them:');
		for (const b of result.statements.baseline) {
			const now = b.meanMs === null ? 'not called since the statistics reset' : `mean ${formatMs(b.meanMs)} ms over ${b.calls} call(s), ${b.ratio ?? 'n/a'}× baseline`;
			lines.push(fit(`    ${b.id}: baseline median ${formatMs(b.baselineMedianMs)} ms; ${now}`, width, ascii));
		}
	}
	para(result.statements.note, '  ');
	lines.push('');
	lines.push('Permission errors');
	para(result.permissionErrors.message, '  ');
	for (const entry of result.permissionErrors.byObject) lines.push(fit(`    ${String(entry.count).padStart(6)}  ${entry.object}`, width, ascii));
	for (const sample of result.permissionErrors.samples) lines.push(fit(`    ${sample}`, width, ascii));
	const a = result.activity;
	para(
		`Since ${a.statsReset ?? 'the statistics were last reset'}: ${a.xactRollback} rollback(s) of ${a.xactCommit + a.xactRollback} transaction(s) (${(a.rollbackRatio * 100).toFixed(2)}%), ${a.deadlocks} deadlock(s), ${a.conflicts} recovery conflict(s).`,
		'  ',
	);
	if (result.alerts.length > 0) {
		lines.push('');
		lines.push('Alerts');
		for (const alert of result.alerts) para(`${ascii ? '-' : '•'} ${alert}`, '  ');
	}
	return ascii ? lines.map((l) => l.replace(/×/g, 'x').replace(/…/g, '...').replace(/[^\x20-\x7e]/g, '?')) : lines;
}
