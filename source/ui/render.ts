/**
 * Starts the TUI: Ink at most 15 frames a second, Ctrl-C handled by the App
 * (like q: asks, then quits with the state kept), the console left alone.
 * ASCII marks when asked or when the locale is not UTF-8; no colour under
 * NO_COLOR. Resolves when the App exits (run done, quit confirmed, or q in watch mode).
 */
import {createElement} from 'react';
import {render} from 'ink';
import {App, type AppProps} from './App.js';
import {detectAscii, detectColor} from './glyphs.js';

export type TuiOptions = AppProps & {
	/** Frames per second at most (default 15). */
	readonly maxFps?: number;
	readonly stdout?: NodeJS.WriteStream;
	readonly stdin?: NodeJS.ReadStream;
	readonly stderr?: NodeJS.WriteStream;
};

export async function runTui(options: TuiOptions): Promise<void> {
	const {maxFps, stdout, stdin, stderr, ...props} = options;
	const app = createElement(App, {
		...props,
		ascii: props.ascii === true || detectAscii(process.env),
		color: props.color ?? detectColor(process.env),
	});
	const instance = render(app, {
		maxFps: maxFps ?? 15,
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
