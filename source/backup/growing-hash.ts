/**
 * The sha256 of a file another process is still writing, taken as it grows:
 * `catchUp()` hashes what was appended since the last call (one reused 1 MiB
 * buffer, so no garbage per chunk), and `finish()`, once the writer has
 * exited, hashes the rest. The hash is then ready when the writer ends,
 * instead of a second pass over the whole file after it.
 *
 * That holds only for bytes written once. A pg_dump custom archive on a
 * seekable file is written once except its head (see archive-head.ts): the
 * table of contents is written again at the end, with the data offsets set.
 * So for an archive the head is kept as first read, and `finish()` makes the
 * file match what was hashed: if pg_dump rewrote the head, and the copy we
 * hashed is the first version (every offset "not set") and differs from the
 * final one in nothing but the offsets, the first version is written back;
 * the archive is then exactly what pg_dump writes into a pipe, which
 * pg_restore reads by scanning forward. In every other case (an archive
 * version this does not know, a head read while it was being rewritten) the
 * finished file is hashed again from its first byte: slower, never wrong.
 */
import {read, write} from 'node:fs';
import {createHash, type Hash} from 'node:crypto';
import type {FileHandle} from 'node:fs/promises';
import {MORE, UNSUPPORTED, offsetsUnset, readArchiveHead, sameButOffsets, type ArchiveHead} from './archive-head.js';
import {sha256Handle} from './sha256-file.js';

/** An archive whose table of contents is larger than this is hashed after the dump. */
const MAX_HEAD_BYTES = 64 * 1024 * 1024;

export type GrowingHashResult = {
	readonly sha256: string;
	readonly bytes: number;
	/** How the hash was made: as the file grew; with pg_dump's first head written back; or a second pass after the writer ended. */
	readonly how: 'streamed' | 'head-restored' | 'rehashed';
};

const readAt = (fd: number, buffer: Buffer, length: number, position: number) =>
	new Promise<number>((resolve, reject) => read(fd, buffer, 0, length, position, (error, n) => (error ? reject(error) : resolve(n))));

const writeAt = (fd: number, buffer: Buffer, position: number) =>
	new Promise<void>((resolve, reject) => {
		const next = (done: number) =>
			write(fd, buffer, done, buffer.length - done, position + done, (error, n) => {
				if (error) return reject(error);
				if (done + n >= buffer.length) return resolve();
				next(done + n);
			});
		next(0);
	});

export class GrowingFileHash {
	private readonly hash: Hash = createHash('sha256');
	private readonly buffer: Buffer;
	private hashed = 0;
	private running: Promise<void> | undefined;
	/** The archive's head as read, until its layout is known, then exactly its bytes. */
	private headChunks: Buffer[] = [];
	private headBytes = 0;
	private head: ArchiveHead | undefined;
	private headCopy: Buffer | undefined;
	/** Hashing as the file grows was given up (unknown archive version, huge head): finish() hashes the file again. */
	private abandoned = false;

	/**
	 * @param handle open for reading, and for writing when `archive` (the first head may be written back).
	 * @param archive the file is a pg_dump custom archive (its head is rewritten at the end); false for a file written strictly once, front to back.
	 */
	constructor(
		private readonly handle: FileHandle,
		private readonly archive: boolean,
		bufferBytes = 1024 * 1024,
	) {
		this.buffer = Buffer.allocUnsafe(bufferBytes);
	}

	/** Hashes the bytes appended since the last call; calls while one runs share it. */
	catchUp(size: number): Promise<void> {
		this.running ??= this.pump(size).finally(() => (this.running = undefined));
		return this.running;
	}

	/** Resolves when no read is in flight (errors are the caller's of catchUp). */
	async idle(): Promise<void> {
		await this.running?.catch(() => undefined);
	}

	private async pump(size: number): Promise<void> {
		while (!this.abandoned && this.hashed < size) {
			const n = await readAt(this.handle.fd, this.buffer, Math.min(this.buffer.length, size - this.hashed), this.hashed);
			if (n === 0) return;
			const chunk = this.buffer.subarray(0, n);
			if (this.archive && !this.head) this.keepHead(chunk);
			this.hash.update(chunk);
			this.hashed += n;
		}
	}

	private keepHead(chunk: Buffer): void {
		// Usually the first read holds the whole head: parse it in place and copy only the head.
		const first = this.headChunks.length === 0;
		const bytes = first ? chunk : Buffer.concat([...this.headChunks, chunk], this.headBytes + chunk.length);
		this.headBytes += chunk.length;
		const head = readArchiveHead(bytes);
		if (head === MORE) {
			// The read buffer is reused: what is kept is a copy.
			this.headChunks = [first ? Buffer.from(bytes) : bytes];
			if (this.headBytes > MAX_HEAD_BYTES) this.abandon();
			return;
		}
		if (head === UNSUPPORTED) return this.abandon();
		this.head = head;
		this.headCopy = Buffer.from(bytes.subarray(0, head.end));
		this.headChunks = [];
	}

	private abandon(): void {
		this.abandoned = true;
		this.headChunks = [];
	}

	/**
	 * Once the writer has exited and the file is `size` bytes: hashes the rest,
	 * and makes sure the file on disk is what was hashed (see the module comment).
	 */
	async finish(size: number): Promise<GrowingHashResult> {
		await this.running;
		await this.catchUp(size);
		if (!this.abandoned && this.hashed === size) {
			if (!this.archive) return {sha256: this.hash.digest('hex'), bytes: size, how: 'streamed'};
			const restored = await this.settleHead();
			if (restored !== undefined) return {sha256: this.hash.digest('hex'), bytes: size, how: restored ? 'head-restored' : 'streamed'};
		}
		const again = await sha256Handle(this.handle);
		return {...again, how: 'rehashed'};
	}

	/** false: the head on disk is the one hashed; true: it was, after writing it back; undefined: neither. */
	private async settleHead(): Promise<boolean | undefined> {
		const head = this.head;
		const copy = this.headCopy;
		if (!head || !copy) return undefined;
		const final = Buffer.allocUnsafe(head.end);
		let got = 0;
		while (got < head.end) {
			const n = await readAt(this.handle.fd, final.subarray(got), head.end - got, got);
			if (n === 0) return undefined;
			got += n;
		}
		if (final.equals(copy)) return false;
		const finalHead = readArchiveHead(final);
		if (finalHead === MORE || finalHead === UNSUPPORTED || finalHead.end !== head.end || finalHead.offsets.length !== head.offsets.length) return undefined;
		if (!finalHead.offsets.every((f, i) => f.at === head.offsets[i]!.at && f.length === head.offsets[i]!.length)) return undefined;
		if (!offsetsUnset(copy, head) || !sameButOffsets(copy, final, head)) return undefined;
		await writeAt(this.handle.fd, copy, 0);
		return true;
	}
}
