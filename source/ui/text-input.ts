/**
 * Editing a one-line prompt by keys: printable keys type, Backspace deletes,
 * Enter submits, Esc cancels. Pure, so the App can route every key through one
 * input handler (a prompt's own useInput would subscribe only after React's
 * passive effects run, and keys typed quickly, as tmux send-keys does, would
 * be lost).
 */
import type {Key} from 'ink';

export type TextInputAction =
	| {readonly kind: 'edit'; readonly value: string}
	| {readonly kind: 'submit'; readonly value: string}
	| {readonly kind: 'cancel'}
	| {readonly kind: 'ignore'};

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F]/g;

export const MAX_PROMPT_LENGTH = 500;

export function editText(value: string, input: string, key: Pick<Key, 'escape' | 'return' | 'backspace' | 'delete' | 'ctrl' | 'meta' | 'upArrow' | 'downArrow' | 'leftArrow' | 'rightArrow' | 'tab'>): TextInputAction {
	if (key.escape) return {kind: 'cancel'};
	if (key.return) return {kind: 'submit', value};
	if (key.backspace || key.delete) return {kind: 'edit', value: [...value].slice(0, -1).join('')};
	if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.tab) return {kind: 'ignore'};
	const typed = input.replace(CONTROL, '');
	if (!typed) return {kind: 'ignore'};
	return {kind: 'edit', value: (value + typed).slice(0, MAX_PROMPT_LENGTH)};
}
