/**
 * What a key does: all of the TUI's key handling, as a pure function of the
 * mode, the key and what the screen shows. It calls nothing: it returns the
 * actions, in order, and App performs them (the Controller's calls, the mode,
 * the flash line, the selection). So every rule here is a unit test
 * (test/ui/keymap.test.ts), like text-input.ts for a prompt's editing.
 */
import type {Key} from 'ink';
import type {ItemStatus, Waiting} from '../state/types.js';
import type {Tone} from './pane-line.js';
import {editText} from './text-input.js';
import type {PromptSpec, UiMode} from './ui-mode.js';

/** What the screen shows when the key arrives. */
export type KeyView = {
	/** Read-only `runbook watch`: moving, help and q only. */
	readonly watch: boolean;
	/** The run has stopped: q exits at once. */
	readonly finished: boolean;
	readonly waiting: Pick<Waiting, 'itemId' | 'reason' | 'expectText'> | undefined;
	readonly selectedId: string | undefined;
	readonly selectedStatus: ItemStatus | undefined;
	readonly statusOf: (itemId: string) => ItemStatus | undefined;
	/** The plan's rollback level numbers, in order. */
	readonly rollbackLevels: readonly number[];
	/** The level the rollback menu opens on (the failed item's decision-matrix row, else the first). */
	readonly suggestedLevel: number;
	/** What must be typed to start a rollback level. */
	readonly confirmWord: (level: number) => string;
	/** The prompt's text so far. */
	readonly promptValue: string;
};

export type KeyAction =
	| {readonly do: 'mode'; readonly mode: UiMode}
	/** Opens a text prompt, empty. */
	| {readonly do: 'open-prompt'; readonly prompt: PromptSpec}
	| {readonly do: 'prompt-text'; readonly value: string; readonly error?: string}
	| {readonly do: 'flash'; readonly text: string; readonly tone: Tone}
	/** Esc: follow the running item again, and clear the flash line. */
	| {readonly do: 'follow'}
	| {readonly do: 'pin'; readonly itemId: string | undefined}
	| {readonly do: 'move'; readonly delta: number}
	| {readonly do: 'exit'}
	/** Stop after the current step, the state kept. */
	| {readonly do: 'quit'}
	| {readonly do: 'confirm'; readonly itemId: string; readonly typed?: string}
	| {readonly do: 'skip'; readonly itemId: string; readonly reason: string}
	| {readonly do: 'retry'; readonly itemId: string}
	| {readonly do: 'note'; readonly text: string}
	| {readonly do: 'rollback'; readonly level: number; readonly reason: string; readonly typed: string};

export type KeyPress = Pick<Key, 'escape' | 'return' | 'backspace' | 'delete' | 'ctrl' | 'meta' | 'upArrow' | 'downArrow' | 'leftArrow' | 'rightArrow' | 'tab'>;

const flash = (text: string, tone: Tone): KeyAction => ({do: 'flash', text, tone});
const MAIN: KeyAction = {do: 'mode', mode: {kind: 'main'}};

export function keyActions(mode: UiMode, input: string, key: KeyPress, view: KeyView): KeyAction[] {
	switch (mode.kind) {
		case 'prompt':
			return promptKey(mode.prompt, view.promptValue, input, key, view).actions;
		case 'help':
			return [MAIN];
		case 'quit-confirm':
			if (input === 'y' || input === 'Y' || (key.ctrl && input === 'c')) return [{do: 'quit'}];
			return [MAIN, flash('Not quitting.', 'muted')];
		case 'rollback-menu':
			return rollbackMenuKey(mode.selectedLevel, input, key, view);
		case 'quitting':
			return [];
		case 'main':
			return mainKey(input, key, view);
	}
}

function mainKey(input: string, key: KeyPress, view: KeyView): KeyAction[] {
	if (key.upArrow || input === 'k') return [{do: 'move', delta: -1}];
	if (key.downArrow || input === 'j') return [{do: 'move', delta: 1}];
	if (key.escape) return [{do: 'follow'}];
	if (input === '?') return [{do: 'mode', mode: {kind: 'help'}}];
	if (input === 'q' || (key.ctrl && input === 'c')) return view.watch || view.finished ? [{do: 'exit'}] : [{do: 'mode', mode: {kind: 'quit-confirm'}}];
	if (view.watch) return [];
	if (key.return) return enter(view);
	if (input === 's') {
		const id = actionableId(view);
		if (!id) return [flash('Nothing to skip: only the waiting or a failed item can be skipped.', 'muted')];
		return [{do: 'open-prompt', prompt: {purpose: 'skip', itemId: id}}];
	}
	if (input === 'r') {
		const id = actionableId(view);
		if (!id || view.statusOf(id) !== 'failed') return [flash('Nothing to retry: r runs a failed item again.', 'muted')];
		return [{do: 'retry', itemId: id}];
	}
	if (input === 'n') return [{do: 'open-prompt', prompt: {purpose: 'note'}}];
	if (input === 'b') return [{do: 'mode', mode: {kind: 'rollback-menu', selectedLevel: view.suggestedLevel}}];
	return [];
}

/** The item s and r act on: the selected item when it waits or failed, else the waiting one. */
export function actionableId(view: Pick<KeyView, 'selectedId' | 'selectedStatus' | 'waiting'>): string | undefined {
	if (view.selectedId && (view.selectedStatus === 'waiting' || view.selectedStatus === 'failed')) return view.selectedId;
	return view.waiting?.itemId;
}

function enter(view: KeyView): KeyAction[] {
	const {waiting, selectedId} = view;
	if (!waiting) {
		return [...(selectedId ? [{do: 'pin', itemId: selectedId} as const] : []), flash(`Showing ${selectedId ?? 'nothing'}; nothing is waiting for you. Esc follows the running item.`, 'muted')];
	}
	if (selectedId !== waiting.itemId) return [{do: 'pin', itemId: undefined}, flash(`${waiting.itemId} is waiting: it is shown now; press Enter again to act on it.`, 'attention')];
	if (waiting.reason === 'confirm') return [{do: 'confirm', itemId: waiting.itemId}];
	if (waiting.reason === 'gate' || waiting.reason === 'typed-confirm') return [{do: 'open-prompt', prompt: {purpose: 'typed-confirm', itemId: waiting.itemId, expect: waiting.expectText ?? 'yes'}}];
	return [flash(`${waiting.itemId} failed: r retries, s skips with a reason, b opens the rollback menu, q quits with the state kept.`, 'attention')];
}

function rollbackMenuKey(selectedLevel: number, input: string, key: KeyPress, view: KeyView): KeyAction[] {
	const levels = view.rollbackLevels;
	const choose = (level: number): KeyAction[] =>
		levels.includes(level) ? [{do: 'open-prompt', prompt: {purpose: 'rollback-reason', level}}] : [flash(`The plan has no rollback level ${level}.`, 'bad')];
	if (key.escape || input === 'q' || input === 'b') return [MAIN];
	if (input === '1' || input === '2' || input === '3') return choose(Number(input));
	if (key.upArrow || input === 'k' || key.downArrow || input === 'j') {
		const index = levels.indexOf(selectedLevel);
		const next = levels[Math.min(levels.length - 1, Math.max(0, index + (key.upArrow || input === 'k' ? -1 : 1)))];
		return next === undefined ? [] : [{do: 'mode', mode: {kind: 'rollback-menu', selectedLevel: next}}];
	}
	if (key.return) return choose(selectedLevel);
	return [];
}

function promptKey(prompt: PromptSpec, value: string, input: string, key: KeyPress, view: KeyView): {actions: KeyAction[]; value: string} {
	// Typed text and Enter can arrive in one chunk (a paste, tmux send-keys): split at the line end.
	const lineEnd = key.return ? -1 : input.search(/[\r\n]/);
	if (lineEnd >= 0) {
		const typed = lineEnd > 0 ? promptKey(prompt, value, input.slice(0, lineEnd), {...key, return: false}, view) : {actions: [], value};
		const submitted = promptKey(prompt, typed.value, '', {...key, return: true}, view);
		return {actions: [...typed.actions, ...submitted.actions], value: submitted.value};
	}
	const action = editText(value, input, key);
	switch (action.kind) {
		case 'cancel':
			return {actions: [MAIN, flash('Cancelled.', 'muted')], value};
		case 'edit':
			return {actions: [{do: 'prompt-text', value: action.value}], value: action.value};
		case 'submit':
			return {actions: submitPrompt(prompt, action.value, view), value: ''};
		case 'ignore':
			return {actions: [], value};
	}
}

/** Enter in a prompt: the action it asks for, or the prompt again, emptied, with why it was refused. */
function submitPrompt(prompt: PromptSpec, value: string, view: KeyView): KeyAction[] {
	const refuse = (error: string): KeyAction[] => [{do: 'prompt-text', value: '', error}];
	const text = value.trim();
	switch (prompt.purpose) {
		case 'skip':
			if (!text) return refuse('Type a reason: it goes to the journal and the report.');
			return [{do: 'skip', itemId: prompt.itemId, reason: text}, MAIN];
		case 'note':
			if (!text) return refuse('Type the note, or Esc.');
			return [{do: 'note', text}, MAIN];
		case 'typed-confirm':
			if (value !== prompt.expect) return refuse(`You typed ${JSON.stringify(value)}; type exactly ${prompt.expect} (case matters).`);
			return [{do: 'confirm', itemId: prompt.itemId, typed: value}, MAIN];
		case 'rollback-reason':
			if (!text) return refuse('Type why you roll back: it goes to the journal and the report.');
			return [{do: 'open-prompt', prompt: {purpose: 'rollback-confirm', level: prompt.level, reason: text, expect: view.confirmWord(prompt.level)}}];
		case 'rollback-confirm':
			if (value !== prompt.expect) return refuse(`You typed ${JSON.stringify(value)}; type exactly ${prompt.expect} to start rollback level ${prompt.level}.`);
			return [{do: 'rollback', level: prompt.level, reason: prompt.reason, typed: value}, MAIN];
	}
}
