/**
 * A before/after table of a comparison as plain text lines, for the TUI, the
 * plain renderer, `status` and the report. No colour, no ANSI: callers style.
 */
import {formatPct, type Comparison, type Verdict} from './compare.js';
import {truncate, wrapIndented} from '../text.js';

export type TableOptions = {
	/** Total width in columns (default 80, at least 60). */
	readonly width?: number;
	/** Only ASCII characters (for logs and terminals without UTF-8). */
	readonly ascii?: boolean;
};

export function formatMs(ms: number): string {
	const abs = Math.abs(ms);
	if (abs < 10) return ms.toFixed(3);
	if (abs < 1000) return ms.toFixed(1);
	return ms.toFixed(0);
}

function signed(ms: number): string {
	return `${ms > 0 ? '+' : ''}${formatMs(ms)}`;
}

function fit(text: string, width: number, ascii: boolean): string {
	return truncate(text, width, ascii ? '~' : '…');
}

function asciiOnly(text: string): string {
	return text.replace(/→/g, '->').replace(/…/g, '...').replace(/Δ/g, 'd').replace(/±/g, '+/-').replace(/⋈/g, 'join').replace(/[^\x20-\x7e]/g, '?');
}

/** Δ% for a 7-character column. */
function tablePct(fraction: number | null): string {
	if (fraction !== null && Math.abs(fraction) >= 10) return fraction > 0 ? '>+999%' : '<-999%';
	return formatPct(fraction);
}

const VERDICT_LABEL: Record<Verdict, string> = {
	ok: 'ok',
	regression: 'REGRESSION',
	improvement: 'improved',
	noise: 'noise',
};

export function formatComparisonTable(comparison: Comparison, options: TableOptions = {}): string[] {
	const width = Math.max(60, options.width ?? 80);
	const ascii = options.ascii ?? false;
	const cols = [9, 9, 9, 7, 8, 13] as const;
	const fixed = cols.reduce((sum, w) => sum + w + 1, 0);
	const nameWidth = width - fixed;
	const row = (cells: readonly string[]) =>
		[cells[0]!.padEnd(nameWidth), ...cells.slice(1).map((cell, i) => (i === cols.length - 1 ? ` ${cell}`.padEnd(cols[i]!) : cell.padStart(cols[i]!)))].join(' ').trimEnd();
	const lines: string[] = [];
	lines.push(row(['Query', 'Before ms', 'After ms', 'Δ ms', 'Δ %', 'Noise ms', 'Verdict']));
	lines.push((ascii ? '-' : '─').repeat(width));
	for (const q of comparison.queries) {
		const flag = q.planDowngrade ? ' !' : '';
		lines.push(
			row([
				fit(q.id, nameWidth, ascii),
				formatMs(q.beforeMedian),
				formatMs(q.afterMedian),
				signed(q.delta),
				tablePct(q.deltaPct),
				formatMs(q.noise),
				`${VERDICT_LABEL[q.verdict]}${flag}`,
			]),
		);
		if (q.planChanged) {
			const label = q.planDowngrade ? 'plan downgrade' : 'plan changed';
			lines.push(...wrapIndented(`${label}: ${q.planChange}`, width, `  ${ascii ? '`-' : '└'} `, '    '));
		}
		if (q.rowsBefore !== q.rowsAfter) {
			lines.push(...wrapIndented(`rows: ${q.rowsBefore} → ${q.rowsAfter}`, width, `  ${ascii ? '`-' : '└'} `, '    '));
		}
	}
	for (const id of comparison.missingAfter) lines.push(row([fit(id, nameWidth, ascii), '', '—', '', '', '', 'MISSING']));
	lines.push((ascii ? '-' : '─').repeat(width));
	const limit = `within ${Math.round(comparison.threshold * 100)}% (changes under the noise or ${comparison.minAbsMs} ms ignored)`;
	lines.push(...wrapIndented(`${comparison.ok ? 'PASS' : 'FAIL'}: ${comparison.summary}; ${limit}`, width));
	for (const warning of comparison.warnings) lines.push(...wrapIndented(`${ascii ? '!' : '⚠'} ${warning}`, width));
	return ascii ? lines.map(asciiOnly) : lines;
}
