import {describe, expect, it} from 'vitest';
import {FramePacer} from '../../source/ui/frame-pacer.js';

describe('FramePacer', () => {
	it('lets the first output frame go at once, then spaces output frames from the last frame', () => {
		const pacer = new FramePacer(80, 15);
		expect(pacer.delay(1000)).toBe(0);
		pacer.drawn(1000);
		expect(pacer.delay(1010)).toBe(70);
		expect(pacer.delay(1080)).toBe(0);
		// A key's frame in between: the next output frame counts from it.
		pacer.drawn(1050);
		expect(pacer.delay(1080)).toBe(50);
	});

	it('never lets output make more than maxPerSecond frames in a second, keys included', () => {
		const pacer = new FramePacer(10, 15);
		// 15 frames within 300 ms (keys typed quickly): output waits until the first is a second old.
		for (let i = 0; i < 15; i++) pacer.drawn(1000 + i * 20);
		expect(pacer.delay(1300)).toBe(700);
		expect(pacer.delay(2000)).toBe(0);
	});

	it('paces a continuous stream of output to at most 1000/minInterval frames a second', () => {
		const pacer = new FramePacer(80, 15);
		const frames: number[] = [];
		for (let t = 0; t < 3000; t++) {
			if (pacer.delay(t) === 0) {
				pacer.drawn(t);
				frames.push(t);
			}
		}
		expect(frames.length).toBe(38);
		expect(Math.min(...frames.slice(1).map((t, i) => t - frames[i]!))).toBe(80);
	});
});
