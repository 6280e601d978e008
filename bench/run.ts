/**
 * `npm run bench`: the performance baselines, each figure against its goal,
 * measured in one run on this machine with one embedded PostgreSQL server.
 *   1 migrations through the runbook vs raw psql
 *   2 backup through the runbook vs raw pg_dump (~1 GB), peak RSS at two sizes
 *   3 the TUI while a child prints 200 MB (RSS, frames/s, key latency)
 *   4 zero downtime: pgbench latencies before/during, with and without a blocker
 *   5 cold start and --resume (100 000 events) to the first frame
 * Writes bench/results.md and bench/results.json.
 *
 * RUNBOOK_BENCH_PARTS=1,3 runs only some parts, and writes its results to
 * bench/tmp/parts-1,3/ so that a part's rerun never overwrites the full run's
 * (RUNBOOK_BENCH_OUT=DIR writes them elsewhere); RUNBOOK_BENCH_SCALE sets the
 * large database's seed scale (default 12, about 1 GB).
 */
import os from 'node:os';
import path from 'node:path';
import {startServer, createDatabase, adminQuery} from '../source/sandbox/server.js';
import {preparePrerequisites, projectRoot} from '../source/sandbox/prepare.js';
import {maskUrl, redact} from '../source/db/target.js';
import {errorMessage} from '../source/errors.js';
import {createContext, BASE_DATABASE, type BenchDatabase} from './context.js';
import {describeMachine} from './machine.js';
import {benchMigrations} from './bench-migrations.js';
import {benchBackup} from './bench-backup.js';
import {benchTui} from './bench-tui.js';
import {benchDowntime} from './bench-downtime.js';
import {benchStartup} from './bench-startup.js';
import {writeReport} from './report.js';
import type {Figure} from './results.js';

const LARGE_DATABASE = 'bench_large';
const ALL_PARTS = ['1', '2', '3', '4', '5'];

async function databaseBytes(admin: Parameters<typeof adminQuery>[0], name: string): Promise<number> {
	const {rows} = await adminQuery(admin, 'SELECT pg_database_size($1)::bigint AS bytes', [name]);
	return Number((rows[0] as {bytes: string}).bytes);
}

async function main(): Promise<number> {
	const started = Date.now();
	const parts = (process.env['RUNBOOK_BENCH_PARTS'] ?? ALL_PARTS.join(',')).split(',').map((p) => p.trim());
	const full = ALL_PARTS.every((p) => parts.includes(p));
	const scale = Number(process.env['RUNBOOK_BENCH_SCALE'] ?? 12);
	const log = (line: string) => process.stderr.write(`${line}\n`);
	const stamp = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`;
	log(`${stamp()} starting the embedded PostgreSQL server`);
	const server = await startServer();
	const ctx = createContext(server, log);
	const secrets = [...server.admin.secrets];
	const figures: Figure[] = [];
	const errors: string[] = [];
	const data: Record<string, string> = {};
	try {
		const machine = await describeMachine(server.admin);
		log(`${stamp()} seeding ${BASE_DATABASE} (001–005, scale 1)`);
		const base = await createDatabase(server.admin, BASE_DATABASE);
		await preparePrerequisites(base, {scale: 1});
		await adminQuery(server.admin, 'CHECKPOINT');
		const baseBytes = await databaseBytes(server.admin, BASE_DATABASE);
		data['scenario database (scale 1)'] = `${(baseBytes / 1e6).toFixed(1)} MB (pg_database_size), cloned per scenario with CREATE DATABASE … TEMPLATE`;
		const run = async (part: string, title: string, fn: () => Promise<Figure[]>) => {
			if (!parts.includes(part)) return;
			log(`${stamp()} part ${part}: ${title}`);
			try {
				figures.push(...(await fn()));
			} catch (error) {
				const message = redact(maskUrl(errorMessage(error)), secrets);
				errors.push(`part ${part} (${title}): ${message}`);
				log(`${stamp()} part ${part} failed: ${message}`);
			}
		};
		await run('5', 'cold start and resume to the first frame', () => benchStartup(ctx));
		await run('1', 'migrations: runbook vs raw psql', () => benchMigrations(ctx));
		await run('4', 'zero downtime under a pgbench workload', () => benchDowntime(ctx));
		await run('3', 'TUI under a 200 MB flood', () => benchTui(ctx));
		await run('2', `backup: runbook vs raw pg_dump (seeding scale ${scale} first)`, async () => {
			const t0 = Date.now();
			const large = await createDatabase(server.admin, LARGE_DATABASE);
			await preparePrerequisites(large, {scale});
			await adminQuery(server.admin, 'CHECKPOINT');
			const largeBytes = await databaseBytes(server.admin, LARGE_DATABASE);
			data[`backup database (scale ${scale})`] = `${(largeBytes / 1e6).toFixed(1)} MB (pg_database_size), seeded in ${((Date.now() - t0) / 1000).toFixed(0)} s`;
			log(`${stamp()}   ${LARGE_DATABASE}: ${(largeBytes / 1e6).toFixed(0)} MB`);
			const asDb = (name: string, bytes: number): BenchDatabase & {bytes: number} => ({name, target: server.admin.withDatabase(name), url: ctx.urlFor(name), bytes});
			return benchBackup(ctx, asDb(LARGE_DATABASE, largeBytes), asDb(BASE_DATABASE, baseBytes));
		});
		const report = {
			startedAt: new Date(started).toISOString(),
			durationS: Math.round((Date.now() - started) / 1000),
			machine,
			loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
			data,
			figures,
			errors,
			parts,
		};
		const out = process.env['RUNBOOK_BENCH_OUT'] ?? (full ? path.join(projectRoot, 'bench') : path.join(projectRoot, 'bench', 'tmp', `parts-${parts.join(',')}`));
		writeReport(out, report);
		log(`${stamp()} wrote ${path.join(out, 'results.md')} and results.json`);
		for (const f of figures) log(`  ${f.verdict.padEnd(4)} ${f.id}: ${f.value} ${f.unit}${f.goal ? ` (goal ${f.goal})` : ''}`);
		for (const e of errors) log(`  ERROR ${e}`);
	} finally {
		await server.stop();
		ctx.cleanup();
	}
	return errors.length > 0 ? 1 : 0;
}

main().then(
	(code) => process.exit(code),
	(error: unknown) => {
		process.stderr.write(`bench: ${maskUrl(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
		process.exit(1);
	},
);
