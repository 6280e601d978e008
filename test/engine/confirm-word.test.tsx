/**
 * One rule for the word that starts a rollback level (plan/rules.ts): the
 * plan's `confirm`, else `yes` for level 1 and the database name for levels 2
 * and 3. The TUI's menu, the engine's Controller, and `runbook rollback N`
 * (scripted and interactive) all ask for the same word, on a plan whose
 * level 2 omits `confirm` — which used to deadlock the menu (the menu asked
 * for the name, the Controller wanted `yes`). On a real database, in process.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import {rollbackConfirmWord} from '../../source/plan/rules.js';
import {interactiveDecider} from '../../source/engine/decide-interactive.js';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {runCli, tempDir} from '../helpers/cli.js';
import {startEngine, until, waitingAt, writePlan} from '../helpers/engine.js';
import {keys, type, waitForText} from '../helpers/ink.js';

const check = (id: string) => ({id, title: `check ${id}`, kind: 'query', sql: 'SELECT 1 AS one', expect: [{op: 'equals', column: 'one', value: 1}]});

/** A manual item, then the gate; rollback level 1 and 2 without `confirm`, level 3 with `confirm: yes`. */
const PLAN = {
	id: 'confirm-word',
	title: 'Confirm words',
	version: 1,
	timeline: [{id: 't', at: '+0m', activity: 'Everything'}],
	phases: [
		{id: 'pre', title: 'Before', items: [{id: 'pre.by-hand', title: 'Checked by hand', kind: 'manual', prompt: 'Check the dashboard'}]},
		{id: 'gate', title: 'GO / NO-GO', items: [{id: 'gate.go', title: 'GO', kind: 'gate', go: [{id: 'go.operator', text: 'The operator decides', attest: true}]}]},
	],
	decisionMatrix: [{id: 'any', issue: 'Anything', severity: 'LOW', rollback: true, level: 2, procedure: 'Roll back'}],
	rollback: [
		{level: 1, title: 'Level one', items: [check('rb1.check')]},
		{level: 2, title: 'Level two, no confirm', items: [check('rb2.check')]},
		{level: 3, title: 'Level three, confirm yes', confirm: 'yes', items: [check('rb3.check')]},
	],
};

let db: TestDatabase;
let plan: ReturnType<typeof writePlan>;

beforeAll(async () => {
	db = await freshDatabase('confirm_word', {empty: true});
	plan = writePlan(PLAN);
});

afterAll(async () => {
	cleanup();
	await db?.drop();
});

describe('the rollback confirm word', () => {
	it('is the plan\'s confirm, else yes for level 1 and the database name for 2 and 3', () => {
		const [one, two, three] = plan.loaded.plan.rollback;
		expect(rollbackConfirmWord(one!, db.name)).toBe('yes');
		expect(rollbackConfirmWord(two!, db.name)).toBe(db.name);
		expect(rollbackConfirmWord(three!, db.name)).toBe('yes');
	});

	it('is what the TUI menu shows and what the real Controller accepts, for a level 2 without confirm', async () => {
		const controller = await startEngine(db, plan.loaded, {decider: interactiveDecider()});
		await waitingAt(controller, 'pre.by-hand');
		// The Controller itself refuses another word, and a skip of the gate.
		expect(controller.rollback(2, 'wrong word', 'yes')).toEqual({ok: false, message: `Rollback level 2 needs the database name (${db.name}) typed.`});
		expect(controller.skip('gate.go', 'no time').ok).toBe(false);
		const rendered = render(<App controller={controller} columns={100} rows={30} />);
		await waitForText(rendered, 'Check the dashboard');
		rendered.stdin.write('b');
		await waitForText(rendered, `2. Level two, no confirm (type "${db.name}" to start)`);
		await waitForText(rendered, '1. Level one (type "yes" to start)');
		await waitForText(rendered, '3. Level three, confirm yes (type "yes" to start)');
		rendered.stdin.write('2');
		await waitForText(rendered, 'Reason for rollback level 2: ');
		type(rendered, 'rehearsing');
		await waitForText(rendered, 'level 2: rehearsing');
		rendered.stdin.write(keys.enter);
		await waitForText(rendered, `Type ${db.name} and Enter to start rollback level 2: `);
		type(rendered, db.name);
		await waitForText(rendered, `level 2: ${db.name}`);
		rendered.stdin.write(keys.enter);
		const final = await controller.done;
		expect(final.status).toBe('rolled-back');
		expect(final.rollbacks).toEqual([expect.objectContaining({level: 2, reason: 'rehearsing'})]);
		expect(final.items['rb2.check']?.status).toBe('passed');
		rendered.unmount();
	});

	it('is what interactive `runbook rollback 2` asks for before anything runs', async () => {
		const controller = await startEngine(db, plan.loaded, {decider: interactiveDecider(), rollbackOnly: {level: 2, reason: 'asked'}});
		const waiting = await waitingAt(controller, 'rb2.check');
		expect(waiting).toMatchObject({reason: 'typed-confirm', expectText: db.name});
		expect(controller.confirm('rb2.check', 'yes').ok).toBe(false);
		expect(controller.state().items['rb2.check']?.status).toBe('waiting');
		expect(controller.confirm('rb2.check', db.name).ok).toBe(true);
		const final = await until(controller, (s) => s.status !== 'running', 'the rollback to finish');
		expect(final.status).toBe('rolled-back');
		expect(final.items['rb2.check']?.status).toBe('passed');
	});

	it('is what `runbook rollback 2 --yes` needs as --confirm-database, and level 3 takes its plan\'s yes', async () => {
		const args = ['--database-url', db.url, '--plan', plan.file];
		const refused = await runCli(['rollback', '2', '--yes', '--state-dir', tempDir('rollback-2'), ...args]);
		expect(refused.exitCode).toBe(3);
		expect(refused.stdout).toContain(`needs the database name: pass --confirm-database ${db.name}. Nothing was changed.`);
		const started = await runCli(['rollback', '2', '--yes', '--confirm-database', db.name, '--state-dir', tempDir('rollback-2'), ...args]);
		expect(started.stdout).toMatch(/■ rolled-back: Rollback level 2/);
		expect(started.exitCode).toBe(0);
		const three = await runCli(['rollback', '3', '--yes', '--state-dir', tempDir('rollback-3'), ...args]);
		expect(three.stdout).toMatch(/■ rolled-back: Rollback level 3/);
	});
});

describe('the Controller\'s refusals at the gate', () => {
	it('refuses a skip and a wrong word, and passes GO on the right one', async () => {
		const controller = await startEngine(db, plan.loaded, {decider: interactiveDecider()});
		await waitingAt(controller, 'pre.by-hand');
		expect(controller.confirm('pre.by-hand')).toEqual({ok: true, message: 'confirmed'});
		const gate = await waitingAt(controller, 'gate.go');
		expect(gate).toMatchObject({reason: 'gate', expectText: 'GO'});
		expect(controller.skip('gate.go', 'in a hurry')).toEqual({ok: false, message: 'gate.go cannot be skipped: gates and migrations are never skipped. Retry it, or roll back.'});
		expect(controller.confirm('gate.go', 'go')).toEqual({ok: false, message: 'Type exactly GO to confirm; "go" does not match.'});
		expect(controller.state().items['gate.go']?.status).toBe('waiting');
		expect(controller.confirm('gate.go', 'GO').ok).toBe(true);
		const final = await controller.done;
		expect(final.status).toBe('completed');
		expect(final.items['gate.go']?.evidence?.actual).toMatch(/^GO typed by the operator; \d+ conditions checked$/);
		expect(final.items['pre.by-hand']?.evidence?.actual).toBe('confirmed by the operator (Enter)');
	});
});
