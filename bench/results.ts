/**
 * One measured figure of the benchmark and its verdict against the goal.
 * Every figure is a ratio or a bound measured in one run on this machine.
 */
export type Verdict = 'PASS' | 'FAIL' | 'INFO';

export type Figure = {
	/** Stable key for results.json, e.g. `migrations.ratio`. */
	readonly id: string;
	/** Which part of the benchmark (1–5). */
	readonly section: string;
	readonly name: string;
	readonly value: number;
	readonly unit: string;
	/** The goal in words ("≤ 1.30×"); empty for context figures. */
	readonly goal: string;
	readonly verdict: Verdict;
	/** How it was measured, the raw numbers behind a ratio. */
	readonly detail?: string;
};

export function bound(input: Omit<Figure, 'verdict' | 'goal'> & {readonly max?: number; readonly min?: number}): Figure {
	const {max, min, ...rest} = input;
	const ok = (max === undefined || input.value <= max) && (min === undefined || input.value >= min);
	const goal = max !== undefined ? `≤ ${max}${unitSuffix(input.unit)}` : min !== undefined ? `≥ ${min}${unitSuffix(input.unit)}` : '';
	return {...rest, goal, verdict: goal ? (ok ? 'PASS' : 'FAIL') : 'INFO'};
}

export function info(input: Omit<Figure, 'verdict' | 'goal'>): Figure {
	return {...input, goal: '', verdict: 'INFO'};
}

function unitSuffix(unit: string): string {
	return unit === '×' ? '×' : ` ${unit}`;
}
