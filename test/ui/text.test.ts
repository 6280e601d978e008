import {describe, expect, it} from 'vitest';
import {fit, formatDuration, formatElapsed, formatShortDuration, padEnd, padStart, textWidth, truncate, truncateStart, wrapIndented, wrapText} from '../../source/text.js';

describe('display width', () => {
	it('counts terminal columns: CJK and emoji take two, combining marks none', () => {
		expect(textWidth('abc')).toBe(3);
		expect(textWidth('日本語')).toBe(6);
		expect(textWidth('👍🏽')).toBe(2);
		expect(textWidth('👨‍👩‍👧')).toBe(2);
		expect(textWidth('é')).toBe(1);
	});

	it('cuts between graphemes, by columns, with the ellipsis', () => {
		expect(truncate('abcdef', 4)).toBe('abc…');
		expect(truncate('abc', 3)).toBe('abc');
		expect(truncate('日本語のテキスト', 7)).toBe('日本語…');
		expect(textWidth(truncate('日本語のテキスト', 7))).toBe(7);
		// An emoji family is one grapheme: never split into its members.
		expect(truncate('ok 👨‍👩‍👧 done', 5)).toBe('ok …');
		expect(truncate('ok 👨‍👩‍👧 done', 6)).toBe('ok 👨‍👩‍👧…');
		expect(truncate('abc', 0)).toBe('');
		expect(truncateStart('Reason: 日本語で理由', 10)).toBe('…語で理由');
		expect(textWidth(truncateStart('Reason: 日本語で理由', 10))).toBeLessThanOrEqual(10);
	});

	it('pads to columns so a CJK or emoji cell lines up with an ASCII one', () => {
		const rows = [fit('abc', 8), fit('日本', 8), fit('🚀 go', 8), fit('日本語のテキスト', 8)];
		expect(rows.map(textWidth)).toEqual([8, 8, 8, 8]);
		expect(rows[1]).toBe('日本    ');
		expect(rows[3]).toBe('日本語… ');
		expect(padEnd('日本', 6)).toBe('日本  ');
		expect(padStart('日本', 6)).toBe('  日本');
		expect(padStart('toolong', 3)).toBe('toolong');
	});
});

describe('word wrapping', () => {
	it('wraps by columns, keeps line breaks and empty lines, and marks what maxLines cut', () => {
		expect(wrapText('the quick brown fox', 10)).toEqual(['the quick', 'brown fox']);
		expect(wrapText('one\n\ntwo', 10)).toEqual(['one', '', 'two']);
		expect(wrapText('a b c d e f', 3, 2)).toEqual(['a b', 'c …']);
		expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
		expect(wrapText('x', 0)).toEqual([]);
	});

	it('wraps CJK and emoji by their width, never past the line', () => {
		const lines = wrapText('移行 は 日本語の長い説明文です 🚀🚀🚀', 8);
		expect(lines).toEqual(['移行 は', '日本語の', '長い説明', '文です', '🚀🚀🚀']);
		for (const l of lines) expect(textWidth(l)).toBeLessThanOrEqual(8);
		// A character wider than the line still goes on: the wrap always ends.
		expect(wrapText('日本', 1)).toEqual(['日', '本']);
	});

	it('indents the first and the other lines of a paragraph', () => {
		expect(wrapIndented('slow  queries\nin step one', 12, '- ', '  ')).toEqual(['- slow', '  queries in', '  step one']);
		expect(wrapIndented('   ', 12)).toEqual([]);
		expect(wrapIndented('abcdefghijkl', 8, '* ')).toEqual(['* abcdef', '  ghijkl']);
		expect(wrapIndented('索引 が 使われない', 8, '- ')).toEqual(['- 索引', '  が', '  使われ', '  ない']);
	});
});

describe('durations', () => {
	it('compact, clock and words', () => {
		expect([850, 12_000, 185_000, 3_720_000, -1].map(formatShortDuration)).toEqual(['850ms', '12s', '3m05s', '1h02m', '-']);
		expect([0, 65_000, 3_725_000].map(formatElapsed)).toEqual(['0:00', '1:05', '1:02:05']);
		expect([420, 2_100, 872_000, 3_720_000, Number.NaN].map(formatDuration)).toEqual(['420 ms', '2.1 s', '14 min 32 s', '1 h 02 min', 'unknown']);
	});
});
