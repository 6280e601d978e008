/**
 * Status marks and the few symbols the panes use, in Unicode and in an ASCII
 * fallback. The marks differ by shape, not only by colour, so they read the
 * same with NO_COLOR and in a monochrome tmux capture.
 */
import type {ItemStatus} from '../state/types.js';

export type Glyphs = {
	readonly ascii: boolean;
	readonly mark: Readonly<Record<ItemStatus, string>>;
	/** Marks the selected checklist line. */
	readonly pointer: string;
	readonly more: {readonly up: string; readonly down: string};
	readonly separator: string;
	readonly ellipsis: string;
	readonly rule: string;
	readonly vertical: string;
	readonly arrow: string;
	readonly blockedBy: string;
	readonly cursor: string;
};

const unicode: Glyphs = {
	ascii: false,
	mark: {passed: '✓', failed: '✗', running: '▶', waiting: '⏸', pending: '○', skipped: '↷'},
	pointer: '›',
	more: {up: '↑', down: '↓'},
	separator: ' · ',
	ellipsis: '…',
	rule: '─',
	vertical: '│',
	arrow: '→',
	blockedBy: '└ blocked by',
	cursor: '█',
};

const ascii: Glyphs = {
	ascii: true,
	mark: {passed: '[x]', failed: '[!]', running: '[>]', waiting: '[?]', pending: '[ ]', skipped: '[-]'},
	pointer: '>',
	more: {up: '^', down: 'v'},
	separator: ' | ',
	ellipsis: '...',
	rule: '-',
	vertical: '|',
	arrow: '->',
	blockedBy: '`- blocked by',
	cursor: '_',
};

export function glyphsFor(useAscii: boolean): Glyphs {
	return useAscii ? ascii : unicode;
}

/**
 * ASCII when the locale is not UTF-8: the first of LC_ALL, LC_CTYPE, LANG that
 * is set decides (POSIX order); no locale at all means the C locale, ASCII.
 */
export function detectAscii(env: Readonly<Record<string, string | undefined>>): boolean {
	if (env['RUNBOOK_ASCII'] === '1') return true;
	const locale = [env['LC_ALL'], env['LC_CTYPE'], env['LANG']].find((value) => value !== undefined && value !== '');
	if (locale === undefined) return true;
	return !/utf-?8/i.test(locale);
}

/** Colour unless NO_COLOR is set to a non-empty value (https://no-color.org). */
export function detectColor(env: Readonly<Record<string, string | undefined>>): boolean {
	const value = env['NO_COLOR'];
	return value === undefined || value === '';
}
