/**
 * A named pipe a child writes into and we read with one reused buffer: the
 * bytes of a dump pass through us in constant memory, however large it is.
 * (A child's stdout pipe hands us a new buffer per read, and the garbage
 * grows with the dump until the collector runs.)
 *
 * Opening a FIFO for reading blocks until a writer opens it. A child that
 * exits without ever opening it (it could not connect) would leave that open
 * waiting for ever, so `release()` opens the write end once, without blocking,
 * and closes it: the reader then sees the end of the data.
 */
import {constants, read} from 'node:fs';
import {open} from 'node:fs/promises';
import {runChild} from './child.js';

export type FifoReader = {
	/** Resolves when the writer closed its end (or `release()` was called) and every byte was handed to `onChunk`. */
	readonly done: Promise<void>;
	/** Ends a read still waiting for a writer; harmless once the writer has been and gone. */
	readonly release: () => Promise<void>;
};

/** Creates the FIFO at `file` (mode 0600); `mkfifo` is POSIX, as are the client tools that write into it. */
export async function makeFifo(file: string): Promise<void> {
	const result = await runChild({file: 'mkfifo', args: ['-m', '600', file], tailLines: 5});
	if (result.exitCode !== 0) throw new Error(`mkfifo ${file} failed: ${result.tail.map((l) => l.line).join(' ')}`);
}

/**
 * Reads the FIFO until its writer closes it, calling `onChunk` with a view of
 * one reused buffer (valid only during the call: copy what you keep).
 */
export function readFifo(file: string, onChunk: (chunk: Buffer) => void, bufferBytes = 1024 * 1024): FifoReader {
	const buffer = Buffer.allocUnsafe(bufferBytes);
	const done = (async () => {
		const handle = await open(file, constants.O_RDONLY);
		try {
			// The callback form: no promise and result object per read, so a long dump leaves as little garbage as a short one.
			await new Promise<void>((resolve, reject) => {
				const next = () =>
					read(handle.fd, buffer, 0, buffer.length, null, (error, bytesRead) => {
						if (error) return reject(error);
						if (bytesRead === 0) return resolve();
						try {
							onChunk(buffer.subarray(0, bytesRead));
						} catch (thrown) {
							return reject(thrown as Error);
						}
						next();
					});
				next();
			});
		} finally {
			await handle.close();
		}
	})();
	let finished = false;
	void done.then(
		() => (finished = true),
		() => (finished = true),
	);
	const release = async () => {
		// Until the reader is done: its open may not have reached the kernel yet the first time.
		while (!finished) {
			try {
				const writer = await open(file, constants.O_WRONLY | constants.O_NONBLOCK);
				await writer.close();
			} catch {
				// ENXIO: no reader has the FIFO open (yet, or any more); ENOENT: gone
			}
			await Promise.race([done.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10))]);
		}
	};
	return {done, release};
}
