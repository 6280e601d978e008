import {afterEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import {RecordingController, T_START, at, gateWaiting, passed, runState} from '../helpers/ui-fixtures.js';
import {keys, type, waitForText, frame} from '../helpers/ink.js';

afterEach(() => cleanup());

const now = () => T_START + 27 * 60_000;

function atGate() {
	return runState({currentItem: 'gate.go', waiting: gateWaiting, items: {'pre.backup': passed(0, 600_000), 'pre.railway': passed(10, 1000), 'pre.connect': passed(11, 300), 'gate.go': {status: 'waiting', attempts: 1, startedAt: at(25)}}});
}

describe('GO gate prompt', () => {
	it('shows every GO and NO-GO condition with its evidence', async () => {
		const rendered = render(<App controller={new RecordingController(atGate())} columns={100} rows={30} now={now} />);
		const text = await waitForText(rendered, 'NO-GO ✓ Critical production incident in progress');
		expect(text).toContain('GO    ✓ Full database backup completed and verified');
		expect(text).toContain('holds: pre.backup passed: 1.2 MB, sha256 ab12');
		expect(text).toContain('GO    ✓ Window allows 1 hour of troubleshooting');
		expect(text).toContain('absent: the operator attests there is none');
		// A gate is never skipped, so the footer does not offer it.
		expect(text).toContain('Enter type GO');
		expect(text).not.toContain('s skip');
	});

	it('refuses "go" and "GOO", then confirms with exactly GO', async () => {
		const controller = new RecordingController(atGate());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'Enter type GO');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'Type GO and Enter to confirm gate.go: ');
		type(rendered, 'go');
		await waitForText(rendered, 'confirm gate.go: go');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'You typed "go"; type exactly GO (case matters).');
		type(rendered, 'GOO');
		await waitForText(rendered, 'confirm gate.go: GOO');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'You typed "GOO"; type exactly GO (case matters).');
		expect(controller.calls).toEqual([]);
		type(rendered, 'GO');
		await waitForText(rendered, 'confirm gate.go: GO');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'gate.go confirmed');
		expect(controller.calls).toEqual([{method: 'confirm', args: ['gate.go', 'GO']}]);
	});

	it('closes the prompt on Esc without confirming', async () => {
		const controller = new RecordingController(atGate());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'Enter type GO');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'Type GO and Enter');
		type(rendered, 'G');
		await waitForText(rendered, 'confirm gate.go: G');
		rendered.stdin.write(keys.escape);
		await waitForText(rendered, 'Cancelled.');
		expect(controller.calls).toEqual([]);
	});
});

describe('manual confirmation', () => {
	it('Enter confirms the waiting manual item', async () => {
		const state = runState({currentItem: 'pre.railway', waiting: {itemId: 'pre.railway', reason: 'confirm', prompt: 'Check Redis and MongoDB, then press Enter'}, items: {'pre.backup': passed(0, 1000), 'pre.railway': {status: 'waiting', attempts: 1, startedAt: at(1)}}});
		const controller = new RecordingController(state);
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'Enter confirm');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'pre.railway confirmed');
		expect(controller.calls).toEqual([{method: 'confirm', args: ['pre.railway']}]);
	});

	it('Enter on another selected item only brings the waiting item into view', async () => {
		const state = runState({currentItem: 'pre.railway', waiting: {itemId: 'pre.railway', reason: 'confirm', prompt: 'Check Redis and MongoDB, then press Enter'}, items: {'pre.backup': passed(0, 1000), 'pre.railway': {status: 'waiting', attempts: 1, startedAt: at(1)}}});
		const controller = new RecordingController(state);
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, '›⏸ Railway');
		rendered.stdin.write(keys.down);
		await waitForText(rendered, '›○ Connection stable');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'pre.railway is waiting: it is shown now');
		expect(frame(rendered)).toContain('›⏸ Railway');
		expect(controller.calls).toEqual([]);
	});
});

describe('skip and note prompts', () => {
	function failedConnect() {
		return runState({currentItem: 'pre.connect', waiting: {itemId: 'pre.connect', reason: 'failed', prompt: 'pre.connect failed'}, items: {'pre.connect': {status: 'failed', attempts: 1, error: 'timeout', startedAt: at(1)}}});
	}

	it('s sends the typed reason to controller.skip', async () => {
		const controller = new RecordingController(failedConnect());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 's skip');
		rendered.stdin.write('s');
		await waitForText(rendered, 'Reason for skipping pre.connect: ');
		type(rendered, 'checked by hand');
		await waitForText(rendered, 'pre.connect: checked by hand');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'pre.connect skipped');
		expect(controller.calls).toEqual([{method: 'skip', args: ['pre.connect', 'checked by hand']}]);
	});

	it('shows the controller refusing to skip the gate', async () => {
		const controller = new RecordingController(atGate());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'Enter type GO');
		rendered.stdin.write('s');
		await waitForText(rendered, 'Reason for skipping gate.go: ');
		type(rendered, 'no time');
		await waitForText(rendered, 'gate.go: no time');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'gate.go cannot be skipped: gates and migrations are never skipped.');
	});

	it('r retries the failed item', async () => {
		const controller = new RecordingController(failedConnect());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'r retry');
		rendered.stdin.write('r');
		await waitForText(rendered, 'pre.connect runs again');
		expect(controller.calls).toEqual([{method: 'retry', args: ['pre.connect']}]);
	});

	it('n sends the typed note to controller.note', async () => {
		const controller = new RecordingController(atGate());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'n note');
		rendered.stdin.write('n');
		await waitForText(rendered, 'Note for the journal: ');
		type(rendered, 'Rafael on the bridge');
		await waitForText(rendered, 'journal: Rafael on the bridge');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'note added');
		expect(controller.calls).toEqual([{method: 'note', args: ['Rafael on the bridge']}]);
	});
});

describe('typing faster than renders', () => {
	it('takes the word and Enter arriving in one chunk as typing then submitting', async () => {
		const controller = new RecordingController(runState({currentItem: 'gate.go', waiting: gateWaiting, items: {'gate.go': {status: 'waiting', attempts: 1, startedAt: at(25)}}}));
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'Enter type GO');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'Type GO and Enter');
		rendered.stdin.write('GO\r');
		await waitForText(rendered, 'gate.go confirmed');
		expect(controller.calls).toEqual([{method: 'confirm', args: ['gate.go', 'GO']}]);
	});
});
