/** The shape of rehearsal.json (file.ts reads and summarises it), in zod: loaded only when a rehearsal is read back. */
import {z} from 'zod';

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

