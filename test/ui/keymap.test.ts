import {describe, expect, it} from 'vitest';
import {keyActions, type KeyPress, type KeyView} from '../../source/ui/keymap.js';
import type {UiMode} from '../../source/ui/ui-mode.js';

const NO_KEY: KeyPress = {escape: false, return: false, backspace: false, delete: false, ctrl: false, meta: false, upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, tab: false};
const key = (extra: Partial<KeyPress> = {}): KeyPress => ({...NO_KEY, ...extra});

const view = (extra: Partial<KeyView> = {}): KeyView => ({
	watch: false,
	finished: false,
	waiting: undefined,
	selectedId: 'step1.apply',
	selectedStatus: 'pending',
	statusOf: () => 'pending',
	rollbackLevels: [1, 2, 3],
	suggestedLevel: 2,
	confirmWord: (level) => (level >= 2 ? 'app' : 'yes'),
	promptValue: '',
	...extra,
});

const MAIN: UiMode = {kind: 'main'};
const press = (input: string, extra: Partial<KeyPress> = {}, v: Partial<KeyView> = {}, mode: UiMode = MAIN) => keyActions(mode, input, key(extra), view(v));

describe('the main view', () => {
	it('moves with the arrows and j/k, follows the run again on Esc, opens help on ?', () => {
		expect(press('', {upArrow: true})).toEqual([{do: 'move', delta: -1}]);
		expect(press('k')).toEqual([{do: 'move', delta: -1}]);
		expect(press('j')).toEqual([{do: 'move', delta: 1}]);
		expect(press('', {escape: true})).toEqual([{do: 'follow'}]);
		expect(press('?')).toEqual([{do: 'mode', mode: {kind: 'help'}}]);
		expect(press('x')).toEqual([]);
	});

	it('asks before quitting a run, and exits at once when watching or finished', () => {
		expect(press('q')).toEqual([{do: 'mode', mode: {kind: 'quit-confirm'}}]);
		expect(press('c', {ctrl: true})).toEqual([{do: 'mode', mode: {kind: 'quit-confirm'}}]);
		expect(press('q', {}, {watch: true})).toEqual([{do: 'exit'}]);
		expect(press('q', {}, {finished: true})).toEqual([{do: 'exit'}]);
		expect(press('y', {}, {}, {kind: 'quit-confirm'})).toEqual([{do: 'quit'}]);
		expect(press('n', {}, {}, {kind: 'quit-confirm'})).toEqual([{do: 'mode', mode: MAIN}, {do: 'flash', text: 'Not quitting.', tone: 'muted'}]);
		expect(press('q', {}, {}, {kind: 'quitting'})).toEqual([]);
	});

	it('in watch, acts on nothing: Enter, s, r, n and b do nothing', () => {
		for (const input of ['s', 'r', 'n', 'b']) expect(press(input, {}, {watch: true})).toEqual([]);
		expect(press('', {return: true}, {watch: true, waiting: {itemId: 'a', reason: 'confirm'}, selectedId: 'a'})).toEqual([]);
	});

	it('Enter confirms a manual item, opens the typed prompt for a gate, and first shows a waiting item that is not selected', () => {
		const waiting = {itemId: 'gate.go', reason: 'gate', expectText: 'GO'} as const;
		expect(press('', {return: true}, {waiting: {itemId: 'm', reason: 'confirm'}, selectedId: 'm', selectedStatus: 'waiting'})).toEqual([{do: 'confirm', itemId: 'm'}]);
		expect(press('', {return: true}, {waiting, selectedId: 'gate.go'})).toEqual([{do: 'open-prompt', prompt: {purpose: 'typed-confirm', itemId: 'gate.go', expect: 'GO'}}]);
		expect(press('', {return: true}, {waiting: {itemId: 'x', reason: 'typed-confirm'}, selectedId: 'x'})).toEqual([{do: 'open-prompt', prompt: {purpose: 'typed-confirm', itemId: 'x', expect: 'yes'}}]);
		expect(press('', {return: true}, {waiting})).toEqual([{do: 'pin', itemId: undefined}, {do: 'flash', text: 'gate.go is waiting: it is shown now; press Enter again to act on it.', tone: 'attention'}]);
		expect(press('', {return: true})).toEqual([{do: 'pin', itemId: 'step1.apply'}, {do: 'flash', text: 'Showing step1.apply; nothing is waiting for you. Esc follows the running item.', tone: 'muted'}]);
		expect(press('', {return: true}, {selectedId: undefined})[0]).toEqual({do: 'flash', text: 'Showing nothing; nothing is waiting for you. Esc follows the running item.', tone: 'muted'});
		expect(press('', {return: true}, {waiting: {itemId: 'f', reason: 'failed'}, selectedId: 'f'})[0]).toMatchObject({do: 'flash', tone: 'attention', text: expect.stringMatching(/^f failed: r retries/)});
	});

	it('s and r act on the selected item when it waits or failed, else on the waiting one', () => {
		expect(press('s', {}, {selectedId: 'a', selectedStatus: 'failed'})).toEqual([{do: 'open-prompt', prompt: {purpose: 'skip', itemId: 'a'}}]);
		expect(press('s', {}, {waiting: {itemId: 'w', reason: 'confirm'}})).toEqual([{do: 'open-prompt', prompt: {purpose: 'skip', itemId: 'w'}}]);
		expect(press('s')).toEqual([{do: 'flash', text: 'Nothing to skip: only the waiting or a failed item can be skipped.', tone: 'muted'}]);
		expect(press('r', {}, {selectedId: 'a', selectedStatus: 'failed', statusOf: (id) => (id === 'a' ? 'failed' : 'pending')})).toEqual([{do: 'retry', itemId: 'a'}]);
		expect(press('r', {}, {waiting: {itemId: 'w', reason: 'confirm'}, statusOf: () => 'waiting'})).toEqual([{do: 'flash', text: 'Nothing to retry: r runs a failed item again.', tone: 'muted'}]);
		expect(press('n')).toEqual([{do: 'open-prompt', prompt: {purpose: 'note'}}]);
	});
});

describe('the rollback menu', () => {
	const menu = (selectedLevel: number): UiMode => ({kind: 'rollback-menu', selectedLevel});

	it('opens on the suggested level and moves within the plan\'s levels', () => {
		expect(press('b')).toEqual([{do: 'mode', mode: menu(2)}]);
		expect(press('j', {}, {}, menu(2))).toEqual([{do: 'mode', mode: menu(3)}]);
		expect(press('', {downArrow: true}, {}, menu(3))).toEqual([{do: 'mode', mode: menu(3)}]);
		expect(press('k', {}, {}, menu(1))).toEqual([{do: 'mode', mode: menu(1)}]);
		expect(press('j', {}, {rollbackLevels: []}, menu(1))).toEqual([]);
	});

	it('chooses a level by its digit or Enter, refuses one the plan lacks, closes on Esc, q or b', () => {
		expect(press('3', {}, {}, menu(1))).toEqual([{do: 'open-prompt', prompt: {purpose: 'rollback-reason', level: 3}}]);
		expect(press('', {return: true}, {}, menu(2))).toEqual([{do: 'open-prompt', prompt: {purpose: 'rollback-reason', level: 2}}]);
		expect(press('3', {}, {rollbackLevels: [1, 2]}, menu(1))).toEqual([{do: 'flash', text: 'The plan has no rollback level 3.', tone: 'bad'}]);
		for (const input of ['q', 'b']) expect(press(input, {}, {}, menu(1))).toEqual([{do: 'mode', mode: MAIN}]);
		expect(press('', {escape: true}, {}, menu(1))).toEqual([{do: 'mode', mode: MAIN}]);
	});
});

describe('a text prompt', () => {
	const prompt = (p: Extract<UiMode, {kind: 'prompt'}>['prompt']): UiMode => ({kind: 'prompt', prompt: p});

	it('types, deletes, cancels on Esc', () => {
		expect(press('ab', {}, {promptValue: 'x'}, prompt({purpose: 'note'}))).toEqual([{do: 'prompt-text', value: 'xab'}]);
		expect(press('', {backspace: true}, {promptValue: 'xy'}, prompt({purpose: 'note'}))).toEqual([{do: 'prompt-text', value: 'x'}]);
		expect(press('', {escape: true}, {promptValue: 'xy'}, prompt({purpose: 'note'}))).toEqual([{do: 'mode', mode: MAIN}, {do: 'flash', text: 'Cancelled.', tone: 'muted'}]);
	});

	it('takes text and Enter arriving in one chunk (a paste, tmux send-keys) as typing then Enter', () => {
		expect(press('no backup window\r', {}, {promptValue: 'disk: '}, prompt({purpose: 'skip', itemId: 'a'}))).toEqual([
			{do: 'prompt-text', value: 'disk: no backup window'},
			{do: 'skip', itemId: 'a', reason: 'disk: no backup window'},
			{do: 'mode', mode: MAIN},
		]);
		expect(press('\n', {}, {promptValue: 'hello'}, prompt({purpose: 'note'}))).toEqual([{do: 'note', text: 'hello'}, {do: 'mode', mode: MAIN}]);
	});

	it('refuses an empty reason and a wrong confirm word, emptying the prompt with why', () => {
		expect(press('', {return: true}, {promptValue: '  '}, prompt({purpose: 'skip', itemId: 'a'}))).toEqual([{do: 'prompt-text', value: '', error: 'Type a reason: it goes to the journal and the report.'}]);
		expect(press('', {return: true}, {promptValue: 'go'}, prompt({purpose: 'typed-confirm', itemId: 'gate', expect: 'GO'}))).toEqual([
			{do: 'prompt-text', value: '', error: 'You typed "go"; type exactly GO (case matters).'},
		]);
		expect(press('GO\r', {}, {}, prompt({purpose: 'typed-confirm', itemId: 'gate', expect: 'GO'}))).toEqual([
			{do: 'prompt-text', value: 'GO'},
			{do: 'confirm', itemId: 'gate', typed: 'GO'},
			{do: 'mode', mode: MAIN},
		]);
	});

	it('a rollback asks its reason, then the level\'s confirm word, then starts', () => {
		expect(press('', {return: true}, {promptValue: 'slow queries'}, prompt({purpose: 'rollback-reason', level: 2}))).toEqual([
			{do: 'open-prompt', prompt: {purpose: 'rollback-confirm', level: 2, reason: 'slow queries', expect: 'app'}},
		]);
		const confirm = prompt({purpose: 'rollback-confirm', level: 2, reason: 'slow queries', expect: 'app'});
		expect(press('', {return: true}, {promptValue: 'yes'}, confirm)).toEqual([{do: 'prompt-text', value: '', error: 'You typed "yes"; type exactly app to start rollback level 2.'}]);
		expect(press('', {return: true}, {promptValue: 'app'}, confirm)).toEqual([{do: 'rollback', level: 2, reason: 'slow queries', typed: 'app'}, {do: 'mode', mode: MAIN}]);
	});
});
