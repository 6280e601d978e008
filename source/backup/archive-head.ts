/**
 * The head of a pg_dump custom-format archive: the header and the table of
 * contents, up to the first data block. pg_dump writes it first, then the
 * data, and on a seekable file it seeks back at the very end and writes the
 * table of contents a second time, byte for byte the same except for each
 * entry's data offset (a flag byte and `offSize` bytes: "not set" and 0 the
 * first time, "set" and the position of its data the second). Nothing after
 * the head is ever written twice.
 *
 * This reads the layout only (where the head ends, where its offset fields
 * are), for the archive versions pg_dump 11 to 18 write (1.12 to 1.16); any
 * other version is "unsupported" and the caller falls back to hashing the
 * finished file.
 */

export type OffsetField = {readonly at: number; readonly length: number};

export type ArchiveHead = {
	/** Bytes from the start of the file to the end of the table of contents. */
	readonly end: number;
	/** Each entry's data offset field (flag byte and offset), in file order. */
	readonly offsets: readonly OffsetField[];
};

/** Not enough bytes yet to reach the end of the table of contents. */
export const MORE = 'more';
/** Not a custom-format archive, or a version this does not know. */
export const UNSUPPORTED = 'unsupported';

const MAGIC = 'PGDMP';
const CUSTOM_FORMAT = 1;
/** The data offset flags of pg_backup_archiver.h. */
const OFFSET_NOT_SET = 1;
const OFFSET_NO_DATA = 3;

class Short extends Error {}

/** Where the head of the custom archive starting `bytes` ends, and its offset fields. */
export function readArchiveHead(bytes: Buffer): ArchiveHead | typeof MORE | typeof UNSUPPORTED {
	if (bytes.length < 11) return bytes.subarray(0, MAGIC.length).toString('latin1') === MAGIC.slice(0, Math.min(bytes.length, MAGIC.length)) ? MORE : UNSUPPORTED;
	if (bytes.subarray(0, 5).toString('latin1') !== MAGIC) return UNSUPPORTED;
	const [major, minor, intSize, offSize, format] = [bytes[5]!, bytes[6]!, bytes[8]!, bytes[9]!, bytes[10]!];
	if (major !== 1 || minor < 12 || minor > 16 || format !== CUSTOM_FORMAT || intSize < 1 || intSize > 6 || offSize < 1 || offSize > 8) return UNSUPPORTED;
	let pos = 11;
	const need = (n: number) => {
		if (pos + n > bytes.length) throw new Short();
	};
	const int = (): number => {
		need(1 + intSize);
		const negative = bytes[pos] !== 0;
		let value = 0;
		for (let i = intSize; i >= 1; i--) value = value * 256 + bytes[pos + i]!;
		pos += 1 + intSize;
		return negative ? -value : value;
	};
	const str = (): boolean => {
		const length = int();
		if (length < 0) return false;
		need(length);
		pos += length;
		return true;
	};
	try {
		// Compression: one byte from 1.15 (the algorithm), an int before.
		if (minor >= 15) {
			need(1);
			pos += 1;
		} else int();
		for (let i = 0; i < 7; i++) int(); // creation time
		for (let i = 0; i < 3; i++) str(); // database name, server version, pg_dump version
		const count = int();
		if (count < 0 || count > 100_000_000) return UNSUPPORTED;
		const offsets: OffsetField[] = [];
		for (let e = 0; e < count; e++) {
			if (int() <= 0) return UNSUPPORTED; // dump id
			int(); // had a data dumper
			for (let i = 0; i < 4; i++) str(); // table oid, oid, tag, description
			int(); // section
			// Definition, drop and copy statements, namespace, tablespace, and from 1.14 the table access method.
			for (let i = minor >= 14 ? 6 : 5; i > 0; i--) str();
			if (minor >= 16) int(); // relkind
			str(); // owner
			str(); // "false" (with oids)
			while (str()); // dependencies, ended by a null string
			need(1 + offSize);
			offsets.push({at: pos, length: 1 + offSize});
			pos += 1 + offSize;
		}
		return {end: pos, offsets};
	} catch (error) {
		if (error instanceof Short) return MORE;
		throw error;
	}
}

/** True when every data offset of the head is as pg_dump first writes it: not set (or no data), position 0. */
export function offsetsUnset(bytes: Buffer, head: ArchiveHead): boolean {
	return head.offsets.every(({at, length}) => {
		const flag = bytes[at];
		if (flag !== OFFSET_NOT_SET && flag !== OFFSET_NO_DATA) return false;
		for (let i = at + 1; i < at + length; i++) if (bytes[i] !== 0) return false;
		return true;
	});
}

/** True when `a` and `b`, both with the layout `head`, differ in nothing but their offset fields. */
export function sameButOffsets(a: Buffer, b: Buffer, head: ArchiveHead): boolean {
	let from = 0;
	for (const {at, length} of head.offsets) {
		if (!a.subarray(from, at).equals(b.subarray(from, at))) return false;
		from = at + length;
	}
	return a.subarray(from, head.end).equals(b.subarray(from, head.end));
}
