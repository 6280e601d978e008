/**
 * Writes the TUI's first frame as text (text-frame.ts) on the operator's
 * terminal before Ink is loaded, and hands the screen over to Ink when it
 * starts (render.ts erases these lines and draws the same frame). Not drawn
 * where Ink would not draw frames either: no TTY, a CI environment (Ink then
 * prints only the last frame) or Ink's screen-reader mode.
 */
import {detectAscii, detectColor, glyphsFor} from './glyphs.js';
import {buildFrame, firstFrameInput, type FrameSubject} from './frame.js';
import {textFrame} from './text-frame.js';

/** Lines on the screen that the TUI replaces when it starts. */
export type DrawnFrame = {readonly lines: number};

const HIDE_CURSOR = '\u001B[?25l';
const SHOW_CURSOR = '\u001B[?25h';

/** Ink's rule (is-in-ci): CI or CONTINUOUS_INTEGRATION or any CI_* variable, unless CI is 0 or false. */
function inCi(env: Readonly<Record<string, string | undefined>>): boolean {
	if (env['CI'] === '0' || env['CI'] === 'false') return false;
	return 'CI' in env || 'CONTINUOUS_INTEGRATION' in env || Object.keys(env).some((key) => key.startsWith('CI_'));
}

let pending: DrawnFrame | undefined;

function restore(): void {
	if (!pending) return;
	pending = undefined;
	// The TUI never started (the run failed to open): the cursor comes back, the keys echo again.
	if (process.stdin.isTTY) process.stdin.setRawMode(false);
	process.stdout.write(SHOW_CURSOR);
}

export function drawFirstFrame(input: FrameSubject & {readonly ascii?: boolean | undefined; readonly env?: Readonly<Record<string, string | undefined>>}): DrawnFrame | undefined {
	const env = input.env ?? process.env;
	const stdout = process.stdout;
	if (!stdout.isTTY || inCi(env) || env['INK_SCREEN_READER'] === 'true') return undefined;
	const glyphs = glyphsFor(input.ascii === true || detectAscii(env));
	const frame = buildFrame(
		firstFrameInput({plan: input.plan, state: input.state, target: input.target, targetSource: input.targetSource, now: Date.now(), columns: stdout.columns || 80, rows: stdout.rows || 24, glyphs}),
	);
	const lines = textFrame(frame, detectColor(env));
	// Raw at once: a key typed before the TUI is up is neither echoed over the frame nor lost (it waits in the terminal).
	if (process.stdin.isTTY) process.stdin.setRawMode(true);
	stdout.write(`${HIDE_CURSOR}${lines.join('\n')}\n`);
	pending = {lines: lines.length};
	process.once('exit', restore);
	return pending;
}

/** The TUI takes the screen over: from here Ink restores the cursor and the terminal mode. */
export function frameTakenOver(): void {
	pending = undefined;
	process.off('exit', restore);
}
