/**
 * When the next output-driven frame may be drawn. Every frame is recorded,
 * whatever caused it (a key, the clock, output); a frame for output waits
 * until it is at least `minIntervalMs` after the last frame and would not be
 * the (maxPerSecond+1)th frame within a second. A key's frame never asks: it
 * is drawn at once and counted, so keys pressed during a flood take the
 * output's turns instead of adding to them.
 */
export class FramePacer {
	/** The times of the last `maxPerSecond` frames, oldest first. */
	private readonly recent: number[] = [];

	constructor(
		private readonly minIntervalMs: number,
		private readonly maxPerSecond: number,
	) {}

	/** A frame was drawn at `at` (epoch ms). */
	drawn(at: number): void {
		this.recent.push(at);
		if (this.recent.length > this.maxPerSecond) this.recent.shift();
	}

	/** How many ms from `at` an output frame must wait (0: it may be drawn now). */
	delay(at: number): number {
		const last = this.recent.at(-1);
		const spacing = last === undefined ? 0 : last + this.minIntervalMs - at;
		const oldest = this.recent[0];
		const budget = oldest !== undefined && this.recent.length >= this.maxPerSecond ? oldest + 1000 - at : 0;
		return Math.max(0, spacing, budget);
	}
}
