/**
 * Order statistics over a handful of timings. Percentiles use the
 * nearest-rank method on the sorted sample (no interpolation), so every figure
 * is a time that was actually measured: with 7 runs the p95 is the slowest run.
 */

export type Summary = {
	readonly median: number;
	readonly p95: number;
	readonly min: number;
	readonly max: number;
	/** Interquartile range (Q3 − Q1, nearest rank): the spread of the typical runs. */
	readonly iqr: number;
};

function sorted(values: readonly number[]): number[] {
	if (values.length === 0) throw new RangeError('no values to summarise');
	return [...values].sort((a, b) => a - b);
}

/** Nearest-rank percentile, p in (0, 1]. */
export function percentile(values: readonly number[], p: number): number {
	const list = sorted(values);
	const rank = Math.max(1, Math.ceil(p * list.length));
	return list[Math.min(rank, list.length) - 1]!;
}

/** The middle value (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
	const list = sorted(values);
	const mid = Math.floor(list.length / 2);
	return list.length % 2 === 1 ? list[mid]! : (list[mid - 1]! + list[mid]!) / 2;
}

export function summarise(values: readonly number[]): Summary {
	const list = sorted(values);
	return {
		median: round3(median(list)),
		p95: round3(percentile(list, 0.95)),
		min: round3(list[0]!),
		max: round3(list[list.length - 1]!),
		iqr: round3(percentile(list, 0.75) - percentile(list, 0.25)),
	};
}

/** Milliseconds to microsecond precision (what EXPLAIN reports), without float noise. */
export function round3(value: number): number {
	return Math.round(value * 1000) / 1000;
}
