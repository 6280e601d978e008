/**
 * Starts the TUI: at most 15 output frames a second (paced by the App's
 * snapshot feed, use-run-snapshot.ts), a key's frame drawn at once, Ctrl-C handled by the App
 * (like q: asks, then quits with the state kept), the console left alone.
 * ASCII marks when asked or when the locale is not UTF-8; no colour under
 * NO_COLOR. Resolves when the App exits (run done, quit confirmed, or q in watch mode).
 */
import {createElement} from 'react';
import {render} from 'ink';
import {App, type AppProps} from './App.js';
import {detectAscii, detectColor} from './glyphs.js';
import {eraseLines} from './text-frame.js';
import {frameTakenOver, type DrawnFrame} from './first-frame.js';

export type TuiOptions = AppProps & {
	/** Output frames per second at most (default 15); a key's frame is drawn at once. */
	readonly maxFps?: number;
	readonly stdout?: NodeJS.WriteStream;
	readonly stdin?: NodeJS.ReadStream;
	readonly stderr?: NodeJS.WriteStream;
	/** The text first frame on the screen (first-frame.ts): erased, and drawn again by Ink in its place. */
	readonly takeOver?: DrawnFrame | undefined;
};

export async function runTui(options: TuiOptions): Promise<void> {
	const {maxFps, stdout, stdin, stderr, takeOver, ...props} = options;
	const app = createElement(App, {
		...props,
		ascii: props.ascii === true || detectAscii(process.env),
		color: props.color ?? detectColor(process.env),
		...(maxFps === undefined ? {} : {maxFps}),
	});
	if (takeOver) {
		// As Ink erases its own last frame before the next: the lines drawn, and the line the cursor is on. Inside a
		// synchronized update (Ink ends it after its first frame, drawn in this tick), so the terminal never shows the blank.
		(stdout ?? process.stdout).write(`\u001B[?2026h${eraseLines(takeOver.lines + 1)}`);
		frameTakenOver();
	}
	const instance = render(app, {
		// Ink's own throttle off (Ink 6.8: maxFps 0 is a 0 ms throttle, each commit
		// drawn at once): with it, a key pressed just after an output frame waited up
		// to 1000/maxFps ms. The App paces output frames itself.
		maxFps: 0,
		exitOnCtrlC: false,
		patchConsole: false,
		...(stdout ? {stdout} : {}),
		...(stdin ? {stdin} : {}),
		...(stderr ? {stderr} : {}),
	});
	try {
		await instance.waitUntilExit();
	} finally {
		props.watch?.close();
		instance.cleanup();
	}
}
