/**
 * The sha256 of a file another process is still writing, taken as it grows:
 * `follow()` hashes what is appended every few milliseconds, `catchUp()` up
 * to a given size (one reused 1 MiB buffer, so no garbage per chunk), and
 * `finish()`, once the writer has exited, hashes the rest. The hash is then ready when the writer ends,
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
 *
 * The reading and hashing run on a worker thread at the lowest CPU priority
 * (Linux, where a thread's nice value is its own): on a machine whose cores
 * pg_dump and its server keep busy, the hash takes only the time they leave,
 * and never wakes up in front of them. The worker reads the file through
 * the same descriptor, sends back the bytes of the archive's head it hashed
 * (so the head kept here is exactly the hashed one), and hands over the
 * digest once it has read up to the size `finish()` gives.
 */
import {read, write} from 'node:fs';
import {Worker} from 'node:worker_threads';
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

/**
 * The worker, as source text (it needs only node's own modules, so it runs the
 * same from the bundle and from the sources under test). Messages in:
 * `to` (hash up to a size, answer `at`), `follow` (poll the file's size
 * itself), `head-done`, `digest`. Out: `at`, `head` (a copy of hashed bytes
 * while the head is wanted), `digest`, `error`.
 */
const WORKER = `
const {parentPort, workerData} = require('node:worker_threads');
const {readSync, fstatSync} = require('node:fs');
const {createHash} = require('node:crypto');
const {fd, bufferBytes, wantHead, maxHeadBytes, lowPriority} = workerData;
if (lowPriority && process.platform === 'linux') {
	try { require('node:os').setPriority(0, 19); } catch {}
}
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(bufferBytes);
let hashed = 0;
let headWanted = wantHead;
let failed;
function upTo(size) {
	while (!failed && hashed < size) {
		let n;
		try { n = readSync(fd, buffer, 0, Math.min(buffer.length, size - hashed), hashed); }
		catch (error) { failed = error; parentPort.postMessage({type: 'error', message: error.message, code: error.code}); return; }
		if (n === 0) return;
		const chunk = buffer.subarray(0, n);
		if (headWanted) {
			parentPort.postMessage({type: 'head', chunk: Buffer.from(chunk)});
			if (hashed + n >= maxHeadBytes) headWanted = false;
		}
		hash.update(chunk);
		hashed += n;
	}
}
let timer;
parentPort.on('message', (m) => {
	if (m.type === 'head-done') headWanted = false;
	else if (m.type === 'follow') {
		timer = setInterval(() => {
			let size;
			try { size = fstatSync(fd).size; } catch { return; }
			upTo(size);
		}, m.intervalMs);
	} else if (m.type === 'to') {
		upTo(m.size);
		parentPort.postMessage({type: 'at', id: m.id, hashed});
	} else if (m.type === 'digest') {
		clearInterval(timer);
		upTo(m.size);
		parentPort.postMessage({type: 'digest', id: m.id, hashed, sha256: failed ? undefined : hash.digest('hex')});
	}
});
`;

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

type FromWorker =
	| {readonly type: 'at'; readonly id: number; readonly hashed: number}
	| {readonly type: 'digest'; readonly id: number; readonly hashed: number; readonly sha256?: string}
	| {readonly type: 'head'; readonly chunk: Uint8Array}
	| {readonly type: 'error'; readonly message: string; readonly code?: string};

export class GrowingFileHash {
	private readonly worker: Worker;
	private nextId = 0;
	private readonly waiting = new Map<number, {resolve: (m: FromWorker) => void; reject: (error: Error) => void}>();
	private failure: Error | undefined;
	private stopped: Promise<void> | undefined;
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
		this.worker = new Worker(WORKER, {eval: true, workerData: {fd: handle.fd, bufferBytes, wantHead: archive, maxHeadBytes: MAX_HEAD_BYTES, lowPriority: true}});
		// The worker never keeps the process alive on its own: the dump's own awaits do.
		this.worker.unref();
		this.worker.on('message', (m: FromWorker) => this.onMessage(m));
		this.worker.on('error', (error) => this.fail(error));
		this.worker.on('exit', () => this.fail(new Error('the hashing thread stopped')));
	}

	private onMessage(m: FromWorker): void {
		if (m.type === 'head') {
			if (this.archive && !this.head && !this.abandoned) this.keepHead(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
			return;
		}
		if (m.type === 'error') return this.fail(Object.assign(new Error(`reading the backup file to hash it failed: ${m.message}`), {code: m.code}));
		const waiter = this.waiting.get(m.id);
		this.waiting.delete(m.id);
		waiter?.resolve(m);
	}

	private fail(error: Error): void {
		this.failure ??= error;
		for (const waiter of this.waiting.values()) waiter.reject(this.failure);
		this.waiting.clear();
	}

	private ask(message: {type: 'to' | 'digest'; size: number}): Promise<FromWorker> {
		if (this.failure) return Promise.reject(this.failure);
		const id = this.nextId++;
		return new Promise((resolve, reject) => {
			this.waiting.set(id, {resolve, reject});
			this.worker.postMessage({...message, id});
		});
	}

	/** The worker follows the file on its own, hashing what was appended every `intervalMs`: nothing on this thread wakes for it. */
	follow(intervalMs: number): void {
		this.worker.postMessage({type: 'follow', intervalMs});
	}

	/** Hashes the bytes up to `size` (the caller's view of the file). */
	async catchUp(size: number): Promise<void> {
		await this.ask({type: 'to', size});
	}

	/** Stops the worker: once this resolves, no read of the hash is on the descriptor any more (call it before closing the file on a failure). */
	async stop(): Promise<void> {
		this.stopped ??= this.worker.terminate().then(() => undefined);
		await this.stopped;
	}

	private keepHead(chunk: Buffer): void {
		// Usually the first read holds the whole head: parse it in place and copy only the head.
		const first = this.headChunks.length === 0;
		const bytes = first ? chunk : Buffer.concat([...this.headChunks, chunk], this.headBytes + chunk.length);
		this.headBytes += chunk.length;
		const head = readArchiveHead(bytes);
		if (head === MORE) {
			// Each chunk is the worker's own copy (its read buffer is reused there): kept as it came.
			this.headChunks = [bytes];
			if (this.headBytes > MAX_HEAD_BYTES) this.abandon();
			return;
		}
		if (head === UNSUPPORTED) return this.abandon();
		this.head = head;
		this.headCopy = Buffer.from(bytes.subarray(0, head.end));
		this.headChunks = [];
		this.worker.postMessage({type: 'head-done'});
	}

	private abandon(): void {
		this.abandoned = true;
		this.headChunks = [];
		this.worker.postMessage({type: 'head-done'});
	}

	/**
	 * Once the writer has exited and the file is `size` bytes: hashes the rest,
	 * and makes sure the file on disk is what was hashed (see the module comment).
	 */
	async finish(size: number): Promise<GrowingHashResult> {
		const done = await this.ask({type: 'digest', size}).finally(() => this.stop());
		if (done.type !== 'digest') throw new Error('the hashing thread answered out of turn');
		if (!this.abandoned && done.sha256 !== undefined && done.hashed === size) {
			if (!this.archive) return {sha256: done.sha256, bytes: size, how: 'streamed'};
			const restored = await this.settleHead();
			if (restored !== undefined) return {sha256: done.sha256, bytes: size, how: restored ? 'head-restored' : 'streamed'};
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
