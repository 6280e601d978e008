import {read} from 'node:fs';
import {open, type FileHandle} from 'node:fs/promises';
import {createHash} from 'node:crypto';

/**
 * sha256 of an open file from its first byte to its end, read into one
 * reused 1 MiB buffer: constant memory and no garbage per chunk (a read
 * stream hands over a new buffer each time), about 2 GB/s here (0.15 s for a
 * 300 MB dump). Hashing the finished file rather than the bytes in flight
 * also proves what is on disk.
 */
export async function sha256Handle(handle: FileHandle, bufferBytes = 1024 * 1024): Promise<{sha256: string; bytes: number}> {
	const hash = createHash('sha256');
	const buffer = Buffer.allocUnsafe(bufferBytes);
	let bytes = 0;
	// The callback form: no promise and result object per read.
	await new Promise<void>((resolve, reject) => {
		const next = () =>
			read(handle.fd, buffer, 0, buffer.length, bytes, (error, n) => {
				if (error) return reject(error);
				if (n === 0) return resolve();
				hash.update(buffer.subarray(0, n));
				bytes += n;
				next();
			});
		next();
	});
	return {sha256: hash.digest('hex'), bytes};
}

export async function sha256File(file: string): Promise<string> {
	const handle = await open(file, 'r');
	try {
		return (await sha256Handle(handle)).sha256;
	} finally {
		await handle.close();
	}
}
