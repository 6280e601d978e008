/**
 * Two pictures for report.md, as Mermaid blocks that GitHub (and most
 * Markdown viewers) draw without any dependency of ours:
 *
 *   a `gantt` of the timeline: per plan row, the planned bar (T0 + offset,
 *   planned duration) above the actual one (first start to last end);
 *   an `xychart-beta` of the baselines: median ms per query, bars before and
 *   a line after.
 *
 * Mermaid's grammar is line-based; a task name may not hold `:` or `#`, a
 * section name not a newline, so names are cleaned, never escaped.
 */
import type {TimelineRow, BaselineQueryPoint} from './types.js';

function mermaidName(text: string): string {
	return text.replace(/[:#;\n\r]/g, ' ').replace(/\s+/g, ' ').trim() || '-';
}

function mermaidTime(iso: string): string {
	return new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
}

/** Whole seconds for Mermaid's duration syntax (at least 1 s, so a 2 s migration still shows). */
function seconds(ms: number): string {
	return `${Math.max(1, Math.round(ms / 1000))}s`;
}

export function timelineGantt(rows: readonly TimelineRow[]): string[] {
	const planned = rows.filter((r) => r.plannedStart);
	if (planned.length === 0 && !rows.some((r) => r.actualStart)) return [];
	const out = ['```mermaid', 'gantt', '    title Timeline, planned vs actual (UTC)', '    dateFormat YYYY-MM-DD HH:mm:ss', '    axisFormat %H:%M'];
	rows.forEach((row, i) => {
		// Mermaid refuses an empty section: a row neither planned (no T0) nor started is left out.
		if (!row.plannedStart && !row.actualStart) return;
		out.push(`    section ${mermaidName(`${row.at} ${row.activity}`)}`);
		if (row.plannedStart) {
			if (row.plannedMinutes > 0) out.push(`    planned :p${i}, ${mermaidTime(row.plannedStart)}, ${seconds(row.plannedMinutes * 60_000)}`);
			else out.push(`    planned :milestone, p${i}, ${mermaidTime(row.plannedStart)}, 1s`);
		}
		if (row.actualStart) {
			const state = row.status === 'failed' ? 'crit, ' : row.actualEnd ? 'done, ' : 'active, ';
			const end = row.actualEnd ? Date.parse(row.actualEnd) : Date.now();
			out.push(`    actual :${state}a${i}, ${mermaidTime(row.actualStart)}, ${seconds(end - Date.parse(row.actualStart))}`);
		}
	});
	out.push('```');
	return out;
}

function number(ms: number): string {
	return String(Math.round(ms * 1000) / 1000);
}

export function baselineChart(points: readonly BaselineQueryPoint[]): string[] {
	if (points.length === 0) return [];
	const top = Math.max(...points.flatMap((p) => [p.beforeMedianMs, p.afterMedianMs]));
	const axisTop = top > 0 ? Number((top * 1.2).toPrecision(2)) : 1;
	return [
		'```mermaid',
		'xychart-beta',
		'    title "Baseline: median ms per query (bars before, line after)"',
		`    x-axis [${points.map((p) => `"${p.id.replace(/"/g, "'")}"`).join(', ')}]`,
		`    y-axis "median (ms)" 0 --> ${axisTop}`,
		`    bar [${points.map((p) => number(p.beforeMedianMs)).join(', ')}]`,
		`    line [${points.map((p) => number(p.afterMedianMs)).join(', ')}]`,
		'```',
	];
}
