/**
 * rehearsal.json: what a dress rehearsal measured, parsed with zod wherever
 * it is read back (`runbook --rehearsal FILE`, or `rehearsal.json` in the
 * state directory). Holds no secret: the throwaway server's password and the
 * backup's contents never reach it, only names, counts, sizes and timings.
 * Its schema (schema.ts, and with it zod) loads only when a file is read.
 */
import {readFileSync} from 'node:fs';
import type {z} from 'zod';
import type {rehearsalSchema} from './schema.js';
import {UserError} from '../errors.js';

/** The schemas whose catalog is fingerprinted: what the plan changes. */
export const FINGERPRINT_SCHEMAS: readonly string[] = ['platform'];

/** A rehearsal older than this does not count at the GO gate (the evening before the window, with a day's slack). */
export const REHEARSAL_MAX_AGE_HOURS = 48;

export type Rehearsal = z.infer<typeof rehearsalSchema>;

export async function loadRehearsal(file: string): Promise<Rehearsal> {
	let raw: unknown;
	try {
		raw = JSON.parse(readFileSync(file, 'utf8'));
	} catch (error) {
		throw new UserError(`The rehearsal file ${file} cannot be read as JSON (${(error as Error).message}). Give the rehearsal.json that \`runbook rehearse\` wrote.`, {cause: error});
	}
	const {rehearsalSchema} = await import('./schema.js');
	const parsed = rehearsalSchema.safeParse(raw);
	if (!parsed.success) {
		const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
		throw new UserError(`${file} is not a rehearsal.json of this runbook (${problems}). Rehearse again with \`runbook rehearse --from-backup FILE\`.`);
	}
	return parsed.data;
}

/** What a run carries of a rehearsal (into the state as data `rehearsal`): small, and enough for the timeline and the gate. */
export type RehearsalSummary = {
	readonly file: string;
	readonly createdAt: string;
	readonly planSha256: string;
	readonly backupFile: string;
	readonly sourceVersion: string;
	/** Timeline row id → predicted duration (ms). */
	readonly durations: Readonly<Record<string, number>>;
	readonly basis: Readonly<Record<string, 'measured' | 'plan' | 'none'>>;
	readonly predictedWindowMs: number;
};

export function summarize(rehearsal: Rehearsal, file: string): RehearsalSummary {
	return {
		file,
		createdAt: rehearsal.createdAt,
		planSha256: rehearsal.planSha256,
		backupFile: rehearsal.backup.file,
		sourceVersion: rehearsal.backup.sourceVersion,
		durations: Object.fromEntries(rehearsal.timeline.map((r) => [r.id, r.predictedMs])),
		basis: Object.fromEntries(rehearsal.timeline.map((r) => [r.id, r.basis])),
		predictedWindowMs: rehearsal.window.predictedMs,
	};
}
