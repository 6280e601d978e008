import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {createHash} from 'node:crypto';
import {afterAll, describe, expect, it} from 'vitest';
import {makeFifo, readFifo} from '../../source/proc/fifo.js';
import {runChild} from '../../source/proc/child.js';

const dir = mkdtempSync(path.join(tmpdir(), 'runbook-fifo-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe('a named pipe read into one reused buffer', () => {
	it('hands over every byte a child writes, in order, in chunks no larger than the buffer', async () => {
		const fifo = path.join(dir, 'data.pipe');
		await makeFifo(fifo);
		const hash = createHash('sha256');
		let bytes = 0;
		let largest = 0;
		const reader = readFifo(fifo, (chunk) => {
			hash.update(chunk);
			bytes += chunk.length;
			largest = Math.max(largest, chunk.length);
		}, 4096);
		// 2.7 MB of numbered lines, so order matters to the checksum.
		const child = await runChild({file: 'sh', args: ['-c', `seq 1 400000 > "$0"`, fifo]});
		await reader.release();
		await reader.done;
		const expected = await runChild({file: 'sh', args: ['-c', 'seq 1 400000 | sha256sum; seq 1 400000 | wc -c']});
		expect(child.exitCode).toBe(0);
		expect(bytes).toBe(Number(expected.tail[1]!.line.trim()));
		expect(largest).toBeLessThanOrEqual(4096);
		expect(hash.digest('hex')).toBe(expected.tail[0]!.line.split(' ')[0]);
	});

	it('ends, with nothing read, when the writer exits without ever opening the pipe', async () => {
		const fifo = path.join(dir, 'never.pipe');
		await makeFifo(fifo);
		let bytes = 0;
		const reader = readFifo(fifo, (chunk) => (bytes += chunk.length));
		const child = await runChild({file: 'sh', args: ['-c', 'exit 3']});
		await reader.release();
		await reader.done;
		expect(child.exitCode).toBe(3);
		expect(bytes).toBe(0);
	});
});
