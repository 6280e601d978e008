/**
 * Reads a file line by line in constant memory: 1 MiB chunks, decoded as
 * UTF-8 across chunk boundaries; a line longer than 64 KiB is handed over cut
 * to its first KiB (enough to recognise a statement; data lines are skipped).
 */
import {createReadStream} from 'node:fs';
import {StringDecoder} from 'node:string_decoder';

const MAX_LINE = 64 * 1024;
const KEEP_OF_LONG_LINE = 1024;

export async function forEachLine(file: string, onLine: (line: string) => void, onChunk?: (chunk: Buffer) => void): Promise<void> {
	const decoder = new StringDecoder('utf8');
	let carry = '';
	let overflow = false;
	for await (const chunk of createReadStream(file, {highWaterMark: 1024 * 1024})) {
		const buffer = chunk as Buffer;
		onChunk?.(buffer);
		const text = decoder.write(buffer);
		let start = 0;
		for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', start)) {
			onLine(overflow ? carry : carry + text.slice(start, index));
			carry = '';
			overflow = false;
			start = index + 1;
		}
		if (!overflow) {
			carry += text.slice(start);
			if (carry.length > MAX_LINE) {
				carry = carry.slice(0, KEEP_OF_LONG_LINE);
				overflow = true;
			}
		}
	}
	if (!overflow) carry += decoder.end();
	if (carry) onLine(carry);
}
