/**
 * The first frame before the run exists: the App draws the state on disk
 * through a deferred controller, refuses every action until the run is
 * attached (nothing is recorded before the journal is open), then shows and
 * drives the real run; a start that fails closes the screen with its error.
 */
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import {createDeferredController} from '../../source/ui/deferred-controller.js';
import {RecordingController, T_START, at, passed, runState, testPlan} from '../helpers/ui-fixtures.js';
import {keys, waitForDrawn, waitForText} from '../helpers/ink.js';

afterEach(() => cleanup());

const now = () => T_START + 27 * 60_000;
const waiting = {itemId: 'pre.railway', reason: 'confirm' as const, prompt: 'Check Redis and MongoDB, then press Enter'};

describe('the first frame before the run is attached', () => {
	it('shows the state on disk, refuses actions, then draws and forwards to the real run', async () => {
		const plan = testPlan();
		const onDisk = runState({items: {'pre.backup': passed(0, 600_000)}});
		const deferred = createDeferredController({plan, target: 'app@db.example:5432/prod', stateDir: '/tmp/x', state: onDisk});
		const rendered = render(<App controller={deferred.controller} columns={100} rows={30} now={now} />);
		await waitForText(rendered, 'app@db.example:5432/prod');
		expect(deferred.controller.state()).toBe(onDisk);
		expect(deferred.controller.confirm('pre.railway')).toEqual({ok: false, message: expect.stringContaining('Still connecting')});
		expect(deferred.controller.note('x').ok).toBe(false);

		const real = new RecordingController(runState({currentItem: 'pre.railway', waiting, items: {'pre.backup': passed(0, 600_000), 'pre.railway': {status: 'waiting', attempts: 1, startedAt: at(11)}}}), {plan, target: 'app@db.example:5432/prod'});
		deferred.attach(real);
		// The real run's state reaches the screen without a new event, and keys now act on it.
		await waitForText(rendered, 'Check Redis and MongoDB, then press Enter');
		// The frame can show before React has bound the key handler of that render: press until the run sees it, never twice.
		for (let i = 0; i < 50 && real.calls.length === 0; i++) {
			rendered.stdin.write(keys.enter);
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		expect(real.calls).toEqual([{method: 'confirm', args: ['pre.railway']}]);
		expect(deferred.controller.note('after').ok).toBe(true);
	});

	it('a start that fails ends the screen with its error; done rejects with it', async () => {
		const deferred = createDeferredController({plan: testPlan(), target: 'app@db.example:5432/prod', stateDir: '/tmp/x', state: runState()});
		const rendered = render(<App controller={deferred.controller} columns={100} rows={30} now={now} />);
		await waitForText(rendered, 'app@db.example:5432/prod');
		deferred.fail(new Error('could not connect: the server refused it'));
		await expect(deferred.controller.done).rejects.toThrow('could not connect');
		// The App exits right after drawing the error: the frame it drew last before exiting shows it.
		await waitForDrawn(rendered, 'The run stopped with an error: could not connect');
	});
});
