/**
 * The sha256 of a backup taken while pg_dump writes it: the custom archive's
 * head (header and table of contents) as pg_dump writes it twice, and the
 * hash that must match the file on disk whatever happened to that head.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {createHash} from 'node:crypto';
import {mkdtemp, open, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {runChild} from '../../source/proc/child.js';
import {MORE, UNSUPPORTED, offsetsUnset, readArchiveHead, sameButOffsets, type ArchiveHead} from '../../source/backup/archive-head.js';
import {GrowingFileHash} from '../../source/backup/growing-hash.js';
import {niceOf, niceOfThreads} from '../helpers/nice.js';

let db: TestDatabase;
let dir: string;
/** Written by pg_dump into a regular file: its head rewritten at the end, with the data offsets. */
let seekable: Buffer;
/** Written by pg_dump into a pipe: its head written once, offsets not set. */
let piped: Buffer;
let head: ArchiveHead;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function asHead(value: ReturnType<typeof readArchiveHead>): ArchiveHead {
	if (value === MORE || value === UNSUPPORTED) throw new Error(`no head: ${value}`);
	return value;
}

/** The archive as pg_dump first writes it into a seekable file: every offset back to "not set" (1) and 0. */
function firstVersion(archive: Buffer, layout: ArchiveHead): Buffer {
	const copy = Buffer.from(archive);
	for (const {at, length} of layout.offsets) {
		if (copy[at] === 2) copy[at] = 1;
		copy.fill(0, at + 1, at + length);
	}
	return copy;
}

/**
 * Writes `bytes` into `file` in `pieces`, letting the hasher catch up after
 * each; then, like pg_dump's last act, writes `finalHead` over the start of
 * the file; then finish().
 */
async function growAndHash(file: string, bytes: Buffer, archive: boolean, finalHead?: Buffer, pieces = 7) {
	const writer = await open(file, 'w', 0o600);
	// Read and write, like the backup's own handle: the hasher may write the first head back.
	const reader = await open(file, 'r+');
	try {
		const hasher = new GrowingFileHash(reader, archive, 4096);
		const step = Math.ceil(bytes.length / pieces);
		for (let at = 0; at < bytes.length; at += step) {
			await writer.write(bytes, at, Math.min(step, bytes.length - at), at);
			await hasher.catchUp((await writer.stat()).size);
		}
		if (finalHead) await writer.write(finalHead, 0, finalHead.length, 0);
		return await hasher.finish((await writer.stat()).size);
	} finally {
		await writer.close();
		await reader.close();
	}
}

async function pgRestoreList(file: string) {
	return runChild({file: 'pg_restore', args: ['--list', file], tailLines: 400});
}

beforeAll(async () => {
	db = await freshDatabase('growing_hash', {empty: true});
	await db.query(`
		CREATE TABLE a (id int PRIMARY KEY, note text);
		CREATE TABLE b (id int PRIMARY KEY, payload jsonb);
		CREATE TABLE "Mixed Case" (id int);
		CREATE TABLE empty_one (id int);
		INSERT INTO a SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
		INSERT INTO b SELECT g, jsonb_build_object('g', g, 'h', md5(g::text)) FROM generate_series(1, 5000) g;
		INSERT INTO "Mixed Case" SELECT generate_series(1, 10);`);
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-growing-hash-'));
	const env = db.target.childEnv();
	const file = path.join(dir, 'seekable.dump');
	expect((await runChild({file: 'pg_dump', args: ['--format=custom', '--compress=1', `--file=${file}`], env})).exitCode).toBe(0);
	seekable = await readFile(file);
	const pipedFile = path.join(dir, 'piped.dump');
	expect((await runChild({file: 'sh', args: ['-c', 'pg_dump --format=custom --compress=1 | cat > "$0"', pipedFile], env})).exitCode).toBe(0);
	piped = await readFile(pipedFile);
	head = asHead(readArchiveHead(seekable));
}, 120_000);

afterAll(async () => {
	await db?.drop();
	if (dir) await rm(dir, {recursive: true, force: true});
});

describe('the head of a custom archive', () => {
	test('ends where the first data block starts, with one offset field per entry', () => {
		expect(seekable[head.end]).toBe(1); // BLK_DATA
		expect(head.offsets.length).toBeGreaterThanOrEqual(8);
		// Rewritten at the end: the entries with data have their offsets set (2), the others none (3).
		expect(head.offsets.map(({at}) => seekable[at]).filter((flag) => flag === 2)).toHaveLength(4);
		expect(head.offsets.every(({at}) => seekable[at] === 2 || seekable[at] === 3)).toBe(true);
		expect(offsetsUnset(seekable, head)).toBe(false);
	});

	test('written into a pipe, has the same layout with every offset unset', () => {
		const pipedHead = asHead(readArchiveHead(piped));
		expect(pipedHead.end).toBe(head.end);
		expect(pipedHead.offsets.map((f) => f.at)).toEqual(head.offsets.map((f) => f.at));
		expect(offsetsUnset(piped, pipedHead)).toBe(true);
		// From the first offset on (the header before it holds the creation time), the two differ in nothing but the offsets.
		const from = head.offsets[0]!.at;
		const tail = (archive: Buffer) => Buffer.from(archive.subarray(0, head.end)).fill(0, 0, from);
		expect(sameButOffsets(tail(piped), tail(seekable), head)).toBe(true);
		expect(tail(piped).equals(tail(seekable))).toBe(false);
	});

	test('needs more bytes when cut short, and is unsupported for anything else', () => {
		expect(readArchiveHead(seekable.subarray(0, 3))).toBe(MORE);
		expect(readArchiveHead(seekable.subarray(0, head.end - 1))).toBe(MORE);
		expect(readArchiveHead(Buffer.from('--\n-- PostgreSQL database dump\n--\n'))).toBe(UNSUPPORTED);
		const future = Buffer.from(seekable.subarray(0, head.end));
		future[6] = 99; // archive version 1.99
		expect(readArchiveHead(future)).toBe(UNSUPPORTED);
	});
});

describe('hashing a file while it is written', () => {
	test('a file written once, front to back, is hashed as it grows', async () => {
		const text = Buffer.from(Array.from({length: 30000}, (_, i) => `line ${i}\n`).join(''));
		const result = await growAndHash(path.join(dir, 'plain.sql'), text, false);
		expect(result).toEqual({sha256: sha256(text), bytes: text.length, how: 'streamed'});
	});

	test('an archive whose head pg_dump rewrites at the end gets its first head back, and the hash matches the file', async () => {
		const first = firstVersion(seekable, head);
		const file = path.join(dir, 'restored.dump');
		const result = await growAndHash(file, first, true, seekable.subarray(0, head.end));
		const onDisk = await readFile(file);
		expect(result).toEqual({sha256: sha256(onDisk), bytes: seekable.length, how: 'head-restored'});
		expect(onDisk.equals(first)).toBe(true);
		const list = await pgRestoreList(file);
		expect(list.exitCode).toBe(0);
		expect(list.tail.map((l) => l.line).join('\n')).toMatch(/TABLE DATA public Mixed Case /);
		expect((await runChild({file: 'pg_restore', args: ['--file=-', file], tailLines: 5})).exitCode).toBe(0);
	});

	test('a head first read after it was rewritten is already the one on disk', async () => {
		const file = path.join(dir, 'late.dump');
		await writeFile(file, seekable);
		const reader = await open(file, 'r+');
		const result = await new GrowingFileHash(reader, true).finish(seekable.length);
		await reader.close();
		expect(result).toEqual({sha256: sha256(seekable), bytes: seekable.length, how: 'streamed'});
	});

	test('a head rewritten in more than its offsets is hashed again from the first byte', async () => {
		const first = firstVersion(seekable, head);
		const file = path.join(dir, 'changed.dump');
		const changed = Buffer.from(seekable.subarray(0, head.end));
		const inside = head.offsets[2]!.at - 3; // a byte of an entry, not of its offset
		changed[inside] = changed[inside]! ^ 0xff;
		const result = await growAndHash(file, first, true, changed);
		const onDisk = await readFile(file);
		expect(result).toEqual({sha256: sha256(onDisk), bytes: onDisk.length, how: 'rehashed'});
	});

	test('an archive version it does not know is hashed again from the first byte', async () => {
		const future = firstVersion(seekable, head);
		future[6] = 99;
		const file = path.join(dir, 'future.dump');
		// Its head rewritten at the end (here: its version bytes again, and the rest as pg_dump would).
		const result = await growAndHash(file, future, true, Buffer.concat([future.subarray(0, 11), seekable.subarray(11, head.end)]));
		expect(result).toEqual({sha256: sha256(await readFile(file)), bytes: future.length, how: 'rehashed'});
	});

	test('pg_dump writing the file while it is hashed: the recorded hash is the file on disk, which pg_restore reads', async () => {
		const file = path.join(dir, 'live.dump');
		const handle = await open(file, 'wx+', 0o600);
		const hasher = new GrowingFileHash(handle, true, 4096);
		// As the backup does: the hashing thread follows the file on its own.
		hasher.follow(2);
		const dumped = await runChild({file: 'pg_dump', args: ['--format=custom', '--compress=1', '--no-sync', `--file=${file}`], env: db.target.childEnv()});
		expect(dumped.exitCode).toBe(0);
		const result = await hasher.finish((await handle.stat()).size);
		await handle.close();
		expect(result.sha256).toBe(sha256(await readFile(file)));
		expect((await pgRestoreList(file)).exitCode).toBe(0);
	});

	test.runIf(process.platform === 'linux')('the hashing runs on a thread of its own at the lowest CPU priority, and the calling thread keeps its own', async () => {
		const file = path.join(dir, 'priority.sql');
		await writeFile(file, 'select 1;\n');
		const handle = await open(file, 'r');
		const before = niceOfThreads().filter((n) => n === 19).length;
		const hasher = new GrowingFileHash(handle, false);
		await hasher.catchUp(1);
		const during = niceOfThreads();
		const result = await hasher.finish(10);
		await handle.close();
		expect(during.filter((n) => n === 19).length).toBe(before + 1);
		expect(niceOf('self')).toBe(0);
		expect(result).toEqual({sha256: sha256(Buffer.from('select 1;\n')), bytes: 10, how: 'streamed'});
		expect(niceOfThreads().filter((n) => n === 19).length).toBe(before);
	});
});
