/**
 * `node dist-bench/pty-tap.js OUT.json`: the other end of `tmux pipe-pane`.
 * Reads what the TUI writes to its terminal and records, with wall-clock
 * times, the first byte, the first frame (Ink hides the cursor as it draws
 * its first frame), every later frame (Ink erases the previous frame,
 * `ESC[2K ESC[G`, or clears the screen, `ESC[2J`), and every occurrence of an
 * optional marker text (`pty-tap.js OUT.json MARK`). Writes OUT.json at EOF.
 */
import {writeFileSync, renameSync} from 'node:fs';

export type TapReport = {
	readonly firstByteAt: number | undefined;
	readonly firstFrameAt: number | undefined;
	/** Epoch ms of every frame after the first. */
	readonly frames: readonly number[];
	readonly bytes: number;
	/** Epoch ms of every occurrence of the marker text (argv[3]), when one was given. */
	readonly marks: readonly number[];
};

const FIRST = '\u001B[?25l';
const MARKERS = ['\u001B[2K\u001B[G', '\u001B[2J'];
const KEEP = 16;

function main(out: string, mark: string | undefined): void {
	const marks: number[] = [];
	let firstByteAt: number | undefined;
	let firstFrameAt: number | undefined;
	const frames: number[] = [];
	let bytes = 0;
	let carry = '';
	process.stdin.setEncoding('latin1');
	process.stdin.on('data', (chunk: string) => {
		const now = Date.now();
		firstByteAt ??= now;
		bytes += chunk.length;
		const text = carry + chunk;
		if (firstFrameAt === undefined && text.includes(FIRST)) firstFrameAt = now;
		for (const marker of MARKERS) {
			// Only occurrences that end in the new chunk: the carried tail was searched before.
			let at = text.indexOf(marker);
			while (at !== -1) {
				if (at + marker.length > carry.length) frames.push(now);
				at = text.indexOf(marker, at + 1);
			}
		}
		if (mark) {
			let at = text.indexOf(mark);
			while (at !== -1) {
				if (at + mark.length > carry.length) marks.push(now);
				at = text.indexOf(mark, at + 1);
			}
		}
		carry = text.slice(-Math.max(KEEP, mark?.length ?? 0));
	});
	process.stdin.on('end', () => {
		const report: TapReport = {firstByteAt, firstFrameAt, frames, bytes, marks};
		writeFileSync(`${out}.tmp`, JSON.stringify(report));
		renameSync(`${out}.tmp`, out);
	});
}

const out = process.argv[2];
if (out) main(out, process.argv[3]);
