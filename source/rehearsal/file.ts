/**
 * rehearsal.json: what a dress rehearsal measured, parsed with zod wherever
 * it is read back (`runbook --rehearsal FILE`, or `rehearsal.json` in the
 * state directory). Holds no secret: the throwaway server's password and the
 * backup's contents never reach it, only names, counts, sizes and timings.
 */
import {readFileSync} from 'node:fs';
import {z} from 'zod';
import {UserError} from '../errors.js';

/** The schemas whose catalog is fingerprinted: what the plan changes. */
export const FINGERPRINT_SCHEMAS: readonly string[] = ['platform'];

/** A rehearsal older than this does not count at the GO gate (the evening before the window, with a day's slack). */
export const REHEARSAL_MAX_AGE_HOURS = 48;

const lock = z.object({relation: z.string(), relkind: z.string(), mode: z.string(), heldMs: z.number(), waitedMs: z.number(), statement: z.number()});
const statement = z.object({n: z.number(), text: z.string(), durationMs: z.number(), offsetMs: z.number(), locks: z.array(z.object({relation: z.string(), mode: z.string()}))});

export const rehearsalSchema = z.object({
	kind: z.literal('runbook-rehearsal'),
	version: z.literal(1),
	createdAt: z.string(),
	planId: z.string(),
	planSha256: z.string(),
	status: z.string(),
	statusMessage: z.string().optional(),
	backup: z.object({
		file: z.string(),
		format: z.string(),
		bytes: z.number(),
		sourceVersion: z.string(),
		sourceMajor: z.string(),
		database: z.string(),
	}),
	server: z.object({version: z.string(), build: z.string()}),
	roles: z.object({created: z.array(z.string()), mapped: z.array(z.object({role: z.string(), to: z.string()}))}),
	restore: z.object({durationMs: z.number(), objects: z.number()}),
	fingerprint: z.object({schemas: z.array(z.string()), sha256: z.string(), entries: z.array(z.string())}),
	tables: z.array(z.object({table: z.string(), rows: z.number(), bytes: z.number()})),
	items: z.array(z.object({id: z.string(), title: z.string(), kind: z.string(), status: z.string(), durationMs: z.number(), automatic: z.boolean(), note: z.string().optional()})),
	migrations: z.array(
		z.object({
			itemId: z.string(),
			file: z.string(),
			durationMs: z.number(),
			statementsMs: z.number(),
			commitMs: z.number().optional(),
			sampleIntervalMs: z.number(),
			statements: z.array(statement),
			locks: z.array(lock),
		}),
	),
	timeline: z.array(
		z.object({
			id: z.string(),
			at: z.string(),
			activity: z.string(),
			plannedMs: z.number(),
			measuredMs: z.number(),
			predictedMs: z.number(),
			predictedAtMs: z.number(),
			basis: z.enum(['measured', 'plan', 'none']),
		}),
	),
	window: z.object({plannedMs: z.number(), predictedMs: z.number(), machineMs: z.number()}),
	manualItems: z.array(z.object({id: z.string(), title: z.string(), why: z.string()})),
	signoff: z.object({missing: z.array(z.string())}),
});

export type Rehearsal = z.infer<typeof rehearsalSchema>;

export function loadRehearsal(file: string): Rehearsal {
	let raw: unknown;
	try {
		raw = JSON.parse(readFileSync(file, 'utf8'));
	} catch (error) {
		throw new UserError(`The rehearsal file ${file} cannot be read as JSON (${(error as Error).message}). Give the rehearsal.json that \`runbook rehearse\` wrote.`, {cause: error});
	}
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
