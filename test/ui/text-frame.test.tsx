/**
 * The first frame `runbook` writes before Ink is loaded must be the frame the
 * App then draws in its place: same lines, same cuts, same blanks, at every
 * layout, in Unicode and ASCII. Ink renders the real App here; text-frame.ts
 * writes the blocks of frame.ts; the two are compared line by line.
 */
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import {buildFrame, firstFrameInput} from '../../source/ui/frame.js';
import {eraseLines, textFrame} from '../../source/ui/text-frame.js';
import {glyphsFor} from '../../source/ui/glyphs.js';
import {emptyState} from '../../source/state/reduce.js';
import type {RunState} from '../../source/state/types.js';
import {RecordingController, T_START, at, gateWaiting, passed, runState, testPlan} from '../helpers/ui-fixtures.js';
import {waitForText} from '../helpers/ink.js';

afterEach(() => cleanup());

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]/g;
const plain = (lines: readonly string[]) => lines.map((l) => l.replace(ANSI, '').trimEnd());

const now = () => T_START + 31 * 60_000;
const long = 'x'.repeat(300);
const TARGET = 'app@db.internal:5432/blackwhale';

const states: Array<[string, RunState]> = [
	['a new run', {...emptyState(), target: TARGET}],
	['at the gate', runState({currentItem: 'gate.go', waiting: gateWaiting, items: {'pre.backup': passed(0, 600_000), 'gate.go': {status: 'waiting', attempts: 1, startedAt: at(25)}}})],
	['a running item with long output', runState({currentItem: 'step1.apply', items: {'step1.apply': {status: 'running', attempts: 1, startedAt: at(30), liveTail: Array.from({length: 12}, (_, i) => `${i} ${long}`), progress: long}}})],
	['a failed item with a long error', runState({currentItem: 'step1.apply', waiting: {itemId: 'step1.apply', reason: 'failed', prompt: long}, items: {'step1.apply': {status: 'failed', attempts: 2, error: long, matrixRow: 'syntax', startedAt: at(30)}}})],
];
const sizes: Array<[number, number]> = [
	[80, 24],
	[150, 45],
	[60, 30],
];

describe('the text first frame is the App’s first frame', () => {
	for (const [name, state] of states) {
		for (const [columns, rows] of sizes) {
			for (const ascii of [false, true]) {
				it(`${name} at ${columns}×${rows}${ascii ? ' in ASCII' : ''}`, async () => {
					const plan = testPlan();
					const controller = new RecordingController(state);
					const rendered = render(<App controller={controller} columns={columns} rows={rows} now={now} ascii={ascii} />);
					const ink = (await waitForText(rendered, 'progress')).split('\n');
					const text = textFrame(buildFrame(firstFrameInput({plan, state, target: controller.target, now: now(), columns, rows, glyphs: glyphsFor(ascii)})), true);
					expect(plain(text)).toEqual(plain(ink));
					expect(text.length).toBe(rows - 1);
					// Colour codes are in the text, and only there: without them the lines are the same.
					expect(text.join('\n')).toMatch(ANSI);
					expect(plain(textFrame(buildFrame(firstFrameInput({plan, state, target: controller.target, now: now(), columns, rows, glyphs: glyphsFor(ascii)})), false))).toEqual(plain(text));
				});
			}
		}
	}

	it('would fail on a frame that differs: another selection shows another detail pane', () => {
		const plan = testPlan();
		const state = states[1]![1];
		const input = firstFrameInput({plan, state, target: TARGET, now: now(), columns: 150, rows: 45, glyphs: glyphsFor(false)});
		const other = buildFrame({...input, selectedId: 'pre.backup', selectedStatus: 'passed'});
		expect(plain(textFrame(other, false))).not.toEqual(plain(textFrame(buildFrame(input), false)));
	});

	it('erases exactly the lines it drew, the way Ink erases a frame', () => {
		expect(eraseLines(0)).toBe('');
		expect(eraseLines(3)).toBe('\u001B[2K\u001B[1A\u001B[2K\u001B[1A\u001B[2K\u001B[G');
	});
});
