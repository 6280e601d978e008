/**
 * A flag given again with another value on an interactive --resume, in a
 * real terminal (tmux) against a real server: the difference is shown with
 * the value the run started with and must be confirmed with `yes`. Anything
 * else stops with nothing changed; `yes` records the change (settings.json
 * and a note in the journal) and the TUI starts.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {parse, stringify} from 'yaml';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {CLI, ROOT, journalEvents, runCli, subsetPlan, tempDir} from '../helpers/cli.js';
import {terminal} from '../helpers/tmux.js';

const term = terminal('settings');
const {tmux, until} = term;
let db: TestDatabase;
let stateDir: string;
let args: string[];

function launch(extra: string[]): void {
	const quoted = [CLI, 'run', '--resume', ...args, ...extra].map((a) => `'${a}'`).join(' ');
	const command = `cd ${ROOT} && env -u CI node ${quoted}; echo RUNBOOK-EXITED $?; sleep 3600`;
	term.start(command);
}

beforeAll(async () => {
	db = await freshDatabase('settings_confirm', {empty: true});
	const file = subsetPlan(['pre-readiness', 'step1']);
	const plan = parse(readFileSync(file, 'utf8')) as {phases: Array<{id: string; items: Array<{id: string}>}>};
	plan.phases = plan.phases.map((p) => (p.id === 'pre-readiness' ? {...p, items: p.items.filter((i) => i.id === 'ready.no-incident')} : p));
	const planFile = path.join(path.dirname(file), 'settings-confirm.yaml');
	writeFileSync(planFile, stringify(plan));
	stateDir = tempDir('settings-confirm');
	args = ['--database-url', db.url, '--state-dir', stateDir, '--plan', planFile];
	const first = await runCli(['run', '--yes', ...args, '--lock-timeout', '7s', '--reviewed-by', 'Ana']);
	expect(first.exitCode, first.stderr).toBe(3);
}, 180_000);

afterAll(async () => {
	term.close();
	await db?.drop();
});

describe('a changed setting on an interactive resume', () => {
	it('is shown and, unless confirmed, stops with nothing changed', async () => {
		const settingsBefore = readFileSync(path.join(stateDir, 'settings.json'), 'utf8');
		const journalBefore = journalEvents(stateDir).length;
		launch(['--lock-timeout', '9s']);
		const shown = await until('the question', (s) => s.includes('Type yes'));
		expect(shown).toContain('--lock-timeout 9s (the run started with 7s)');
		expect(shown).not.toContain('--reviewed-by');
		tmux('send-keys', '-t', 'rb:main', '-l', 'no');
		tmux('send-keys', '-t', 'rb:main', 'Enter');
		const after = await until('the exit', (s) => s.includes('RUNBOOK-EXITED'));
		expect(after).toContain('RUNBOOK-EXITED 2');
		expect(after).toContain('The settings were not changed and nothing was started');
		expect(readFileSync(path.join(stateDir, 'settings.json'), 'utf8')).toBe(settingsBefore);
		expect(journalEvents(stateDir).length).toBe(journalBefore);
	});

	it('confirmed with yes, is recorded in settings.json and the journal, and the run goes on', async () => {
		launch(['--lock-timeout', '9s']);
		await until('the question', (s) => s.includes('Type yes'));
		tmux('send-keys', '-t', 'rb:main', '-l', 'yes');
		tmux('send-keys', '-t', 'rb:main', 'Enter');
		// The TUI starts and waits at the manual item the first run stopped at.
		await until('the TUI at ready.no-incident', (s) => s.includes('ready.no-incident') && s.includes('Enter confirm'));
		tmux('send-keys', '-t', 'rb:main', 'q');
		await until('the quit question', (s) => s.includes('Quit now?'));
		tmux('send-keys', '-t', 'rb:main', 'y');
		await until('the exit', (s) => s.includes('RUNBOOK-EXITED'));
		const settings = JSON.parse(readFileSync(path.join(stateDir, 'settings.json'), 'utf8')) as {settings: Record<string, unknown>; changes: Array<Record<string, unknown>>};
		expect(settings.settings['lock-timeout']).toBe('9s');
		expect(settings.settings['reviewed-by']).toBe('Ana');
		expect(settings.changes).toEqual([expect.objectContaining({name: 'lock-timeout', from: '7s', to: '9s'})]);
		const notes = journalEvents(stateDir).filter((e) => e['type'] === 'note').map((e) => e['text']);
		expect(notes).toContain('settings changed on resume, confirmed by the operator: --lock-timeout 9s (the run started with 7s)');
	});
});
