/**
 * text.ts measures most lines without string-width (it costs at start-up and
 * on every frame): a code point that is a grapheme of its own counts its East
 * Asian width. Here the fast path is held to string-width itself, on every
 * BMP code point it admits, alone and between letters (so that none of them
 * joins a neighbour into one grapheme), and on the strings it leaves to
 * string-width.
 */
import {describe, expect, it} from 'vitest';
import stringWidth from 'string-width';
import {simpleWidth, textWidth, truncate} from '../../source/text.js';

const segmenter = new Intl.Segmenter();

describe('the fast width path agrees with string-width', () => {
	it('on every BMP code point it admits, alone and between letters', () => {
		const wrong: string[] = [];
		let admitted = 0;
		for (let cp = 0x20; cp < 0x10000; cp++) {
			const width = simpleWidth(cp);
			if (width === undefined) continue;
			admitted += 1;
			const ch = String.fromCodePoint(cp);
			const apart = Array.from(segmenter.segment(`a${ch}b${ch}${ch}`), (s) => s.segment).length === 5;
			if (width !== stringWidth(ch) || !apart || textWidth(`a${ch}b`) !== stringWidth(`a${ch}b`)) wrong.push(`U+${cp.toString(16).toUpperCase()}`);
		}
		expect(wrong).toEqual([]);
		// It is the path of most text: Latin, Greek, Cyrillic, CJK, punctuation, box drawing, the marks the panes use.
		expect(admitted).toBeGreaterThan(40_000);
		for (const ch of '✓✗▶⏸○↷›↑↓·…─│→└█—–×≥§é日本') expect(simpleWidth(ch.codePointAt(0)!), ch).toBeDefined();
	});

	it('leaves what combines to string-width, and gets the same widths', () => {
		const samples = ['e\u0301', '👍🏽', '👨‍👩‍👧', '🇫🇷', '1\uFE0F\u20E3', '1\u20E3', '☀\uFE0F', '한글', '\u1100\u1161\u11A8', 'ｶﾞ', 'กำ', 'a\u200Bb', 'x\u0007y', '\u001B[31mred\u001B[0m', '日本語のテキスト', '🚀 go'];
		for (const text of samples) {
			expect(textWidth(text), JSON.stringify(text)).toBe(stringWidth(text));
		}
		expect(simpleWidth(0x0301)).toBeUndefined();
		expect(simpleWidth(0x200d)).toBeUndefined();
		expect(simpleWidth(0xfe0f)).toBeUndefined();
		expect(simpleWidth(0x1f680)).toBeUndefined();
		expect(truncate('ok 👨‍👩‍👧 done', 6)).toBe('ok 👨‍👩‍👧…');
	});
});
