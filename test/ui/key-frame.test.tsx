/**
 * A key's frame is drawn before the event loop handles anything else, also
 * right after an output frame: Ink's throttle is off (render.ts) and what a
 * key changes renders in React's sync lane (use-urgent-state.ts). Output
 * frames stay paced by the App. Through runTui with a TTY-like stdout, not
 * ink-testing-library, whose debug mode has no throttle to begin with.
 */
import {EventEmitter} from 'node:events';
import {describe, expect, it} from 'vitest';
import {RecordingController, T_START, at, runState} from '../helpers/ui-fixtures.js';
import type {RunState} from '../../source/state/types.js';

// Ink writes nothing until it exits when it believes it runs in CI; this test reads its frames.
delete process.env['CI'];
delete process.env['CONTINUOUS_INTEGRATION'];
const {runTui} = await import('../../source/ui/render.js');

const HELP = 'No single key does anything irreversible';

class Terminal extends EventEmitter {
	readonly isTTY = true;
	readonly columns = 120;
	readonly rows = 40;
	text = '';
	/** Epoch ms of each synchronized-update frame Ink writes. */
	readonly frames: number[] = [];
	private waiting: {readonly text: string; readonly from: number; readonly resolve: () => void} | undefined;
	write(chunk: string | Uint8Array): boolean {
		const text = String(chunk);
		if (text === '\u001B[?2026h') this.frames.push(Date.now());
		this.text += text;
		const waiting = this.waiting;
		if (waiting && this.text.includes(waiting.text, waiting.from)) {
			this.waiting = undefined;
			waiting.resolve();
		}
		return true;
	}
	/** Resolves as soon as `text` is written after offset `from` (in the write's own turn). */
	written(text: string, from = 0): Promise<void> {
		if (this.text.includes(text, from)) return Promise.resolve();
		return new Promise((resolve) => {
			this.waiting = {text, from, resolve};
		});
	}
}

class Keyboard extends EventEmitter {
	readonly isTTY = true;
	private pending: string[] = [];
	setRawMode(): void {}
	setEncoding(): void {}
	ref(): void {}
	unref(): void {}
	resume(): void {}
	pause(): void {}
	read(): string | null {
		return this.pending.shift() ?? null;
	}
	press(key: string): void {
		this.pending.push(key);
		this.emit('readable');
	}
}

const running = (tick: number): RunState =>
	runState({currentItem: 'step1.apply', items: {'step1.apply': {status: 'running', attempts: 1, startedAt: at(30), liveTail: [`tick-${tick}`]}}});

const microtask = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe('a key during output', () => {
	it('draws its frame at once, right after an output frame, while output frames stay paced', async () => {
		const controller = new RecordingController(running(0));
		const terminal = new Terminal();
		const keyboard = new Keyboard();
		const done = runTui({controller, stdout: terminal as unknown as NodeJS.WriteStream, stdin: keyboard as unknown as NodeJS.ReadStream, now: () => T_START + 31 * 60_000, ascii: true, color: false});
		await terminal.written('tick-0');

		// Output as fast as the engine can make it, for 500 ms.
		let tick = 0;
		const started = Date.now();
		const framesBefore = terminal.frames.length;
		while (Date.now() - started < 500) {
			controller.setState(running(++tick));
			await new Promise((resolve) => setImmediate(resolve));
		}
		// At least 80 ms apart (the App's default), however many updates came.
		const outputFrames = terminal.frames.slice(framesBefore);
		expect(tick).toBeGreaterThan(outputFrames.length * 10);
		expect(outputFrames.length).toBeGreaterThanOrEqual(1);
		expect(outputFrames.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 80) + 1);
		for (let i = 1; i < outputFrames.length; i++) expect(outputFrames[i]! - outputFrames[i - 1]!).toBeGreaterThanOrEqual(79);

		for (let press = 0; press < 3; press++) {
			// Just after an output frame: Ink's old 15 fps throttle held the key's frame back up to 67 ms.
			const from = terminal.text.length;
			controller.setState(running(++tick));
			await terminal.written(`tick-${tick}`, from);
			const before = terminal.text.length;
			keyboard.press('?');
			await microtask();
			expect(terminal.text.indexOf(HELP, before)).toBeGreaterThan(-1);
			const closing = terminal.text.length;
			keyboard.press('?');
			await microtask();
			expect(terminal.text.slice(closing)).toContain('tick-');
			expect(terminal.text.slice(closing)).not.toContain(HELP);
		}

		keyboard.press('q');
		await microtask();
		expect(terminal.text).toContain('Quit now?');
		keyboard.press('y');
		await done;
		expect(controller.calls.map((c) => c.method)).toEqual(['quit']);
	});
});
