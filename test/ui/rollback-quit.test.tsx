import {afterEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import {RecordingController, T_START, at, runState} from '../helpers/ui-fixtures.js';
import {frame, keys, type, waitForText} from '../helpers/ink.js';

afterEach(() => cleanup());

const now = () => T_START + 31 * 60_000;

function failedMigration() {
	return runState({
		currentItem: 'step1.apply',
		waiting: {itemId: 'step1.apply', reason: 'failed', prompt: 'step1.apply failed'},
		items: {'step1.apply': {status: 'failed', attempts: 1, startedAt: at(30), error: 'syntax error', matrixRow: 'syntax'}},
	});
}

describe('rollback menu', () => {
	it('highlights the decision-matrix row of the failure and lists the three levels', async () => {
		const rendered = render(<App controller={new RecordingController(failedMigration())} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'b rollback');
		rendered.stdin.write('b');
		const text = await waitForText(rendered, 'Decision matrix (suggested row › syntax):');
		const lines = text.split('\n');
		expect(lines).toContain('›[CRITICAL] Migration syntax error → rollback level 2: Drop the databases table');
		expect(lines).toContain(' [CRITICAL] RLS blocks queries → rollback level 1: Disable RLS');
		expect(lines).toContain(' 1. Disable RLS (type "yes" to start)');
		expect(lines).toContain('›2. Drop the databases table (type "prod" to start)');
		expect(lines).toContain(' 3. Restore from backup (type "prod" to start)');
	});

	it('level 2 refuses "yes" and starts only when the database name is typed', async () => {
		const controller = new RecordingController(failedMigration());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'b rollback');
		rendered.stdin.write('b');
		await waitForText(rendered, 'Rollback levels');
		rendered.stdin.write('2');
		await waitForText(rendered, 'Reason for rollback level 2: ');
		type(rendered, 'syntax error in 006');
		await waitForText(rendered, 'level 2: syntax error in 006');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'Type prod and Enter to start rollback level 2: ');
		type(rendered, 'yes');
		await waitForText(rendered, 'level 2: yes');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'You typed "yes"; type exactly prod to start rollback level 2.');
		expect(controller.calls).toEqual([]);
		type(rendered, 'prod');
		await waitForText(rendered, 'level 2: prod');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'rollback level 2 started');
		expect(controller.calls).toEqual([{method: 'rollback', args: [2, 'syntax error in 006', 'prod']}]);
	});

	it('level 1 needs yes typed', async () => {
		const controller = new RecordingController(failedMigration());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'b rollback');
		rendered.stdin.write('b');
		await waitForText(rendered, 'Rollback levels');
		rendered.stdin.write('1');
		await waitForText(rendered, 'Reason for rollback level 1: ');
		type(rendered, 'rls');
		await waitForText(rendered, 'level 1: rls');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'Type yes and Enter to start rollback level 1: ');
		type(rendered, 'yes');
		await waitForText(rendered, 'level 1: yes');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, 'rollback level 1 started');
		expect(controller.calls).toEqual([{method: 'rollback', args: [1, 'rls', 'yes']}]);
	});
});

describe('quit', () => {
	it('q asks first and any key but y stays', async () => {
		const controller = new RecordingController(failedMigration());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'q quit');
		rendered.stdin.write('q');
		await waitForText(rendered, 'Quit now? The state is kept and `runbook --resume` continues.');
		rendered.stdin.write('n');
		await waitForText(rendered, 'Not quitting.');
		expect(controller.calls).toEqual([]);
	});

	it('q then y calls controller.quit and the app exits when the run is done', async () => {
		const controller = new RecordingController(failedMigration());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'q quit');
		rendered.stdin.write('q');
		await waitForText(rendered, 'Quit now?');
		rendered.stdin.write('y');
		await controller.done;
		await waitForText(rendered, 'Stopping after the current step');
		expect(controller.calls).toEqual([{method: 'quit', args: []}]);
	});

	it('Ctrl-C asks like q', async () => {
		const controller = new RecordingController(failedMigration());
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'q quit');
		rendered.stdin.write(keys.ctrlC);
		await waitForText(rendered, 'Quit now?');
		expect(controller.calls).toEqual([]);
		expect(frame(rendered)).toContain('y = quit');
	});
});
