/**
 * Part 2: the backup through the runbook (a plan with only the backup item,
 * `run --yes`) against raw `pg_dump` with the same format, compression and
 * flags, on a generated database of about 1 GB; and the runbook process's
 * peak memory at two database sizes.
 */
import {readdirSync, rmSync, statSync} from 'node:fs';
import path from 'node:path';
import {readJournal} from '../source/state/store.js';
import {runChild} from '../source/proc/child.js';
import {pgDumpArgs, DEFAULT_COMPRESSION, DEFAULT_LOCK_WAIT_TIMEOUT_MS} from '../source/backup/dump.js';
import type {BenchContext, BenchDatabase} from './context.js';
import {writeBackupPlan} from './bench-plan.js';
import {runCli, assertExit} from './run-cli.js';
import {sampleMemory} from './proc-memory.js';
import {bound, info, type Figure} from './results.js';
import {median, round} from './stats.js';

type RunbookBackup = {wallMs: number; itemMs: number; peakKb: number; bytes: number};

async function runbookBackup(ctx: BenchContext, planFile: string, db: BenchDatabase): Promise<RunbookBackup> {
	const stateDir = ctx.tempDir('state');
	const backupDir = path.join(stateDir, 'backups');
	const run = await runCli(['run', '--yes', '--plan', planFile, '--state-dir', stateDir, '--backup-dir', backupDir], db.url, {XDG_CACHE_HOME: ctx.cacheDir});
	assertExit(run, 'runbook run --yes (backup only)');
	const passed = readJournal(stateDir).events.find((e) => e.type === 'item-passed' && e.itemId === 'backup.create');
	if (!passed || passed.type !== 'item-passed') throw new Error('bench: backup.create did not pass');
	const files = readdirSync(backupDir);
	const bytes = files.reduce((n, f) => n + statSync(path.join(backupDir, f)).size, 0);
	rmSync(stateDir, {recursive: true, force: true});
	return {wallMs: run.wallMs, itemMs: passed.evidence.durationMs, peakKb: run.memory.peakKb, bytes};
}

async function rawDump(ctx: BenchContext, db: BenchDatabase): Promise<{wallMs: number; bytes: number; peakKb: number}> {
	const dir = ctx.tempDir('rawdump');
	const file = path.join(dir, 'raw.dump');
	// The runbook's own flags, except --snapshot (it exports one from its own connection).
	const args = pgDumpArgs({format: 'custom', compression: DEFAULT_COMPRESSION, lockWaitTimeoutMs: DEFAULT_LOCK_WAIT_TIMEOUT_MS, file});
	let sampler: ReturnType<typeof sampleMemory> | undefined;
	const started = performance.now();
	const result = await runChild({file: 'pg_dump', args, env: db.target.childEnv(), onSpawn: (pid) => (sampler = sampleMemory(pid))});
	const wallMs = performance.now() - started;
	const memory = await sampler?.stop();
	if (result.exitCode !== 0) throw new Error(`raw pg_dump failed:\n${result.tail.map((l) => l.line).join('\n')}`);
	const bytes = statSync(file).size;
	rmSync(dir, {recursive: true, force: true});
	return {wallMs, bytes, peakKb: memory?.peakKb ?? 0};
}

export async function benchBackup(ctx: BenchContext, large: BenchDatabase & {bytes: number}, small: BenchDatabase & {bytes: number}, rounds = 5): Promise<Figure[]> {
	const planFile = writeBackupPlan(ctx.tempDir('backup-plan'));
	const rb: RunbookBackup[] = [];
	const raw: Array<{wallMs: number; bytes: number; peakKb: number}> = [];
	// Warm the page cache once so neither side pays for the first read.
	await rawDump(ctx, large);
	// And the plan's validation cache: the first run of a plan validates it (~10 MiB more at its peak, 75.8 vs
	// 64.8 MiB measured), so whichever size ran first would be compared against warm runs, not against its size.
	await runbookBackup(ctx, planFile, small);
	// Each round is a pair, the order alternating (runbook first, then raw first): on this 2-core machine pg_dump's own
	// time drifts by ±5% within minutes, and a pair's two runs see the same machine. The figures are the median of the
	// rounds' ratios.
	for (let r = 0; r < rounds; r++) {
		const runbookFirst = r % 2 === 0;
		ctx.log(`  round ${r + 1}/${rounds}: ${runbookFirst ? 'runbook backup, then raw pg_dump' : 'raw pg_dump, then runbook backup'} (${Math.round(large.bytes / 1e6)} MB)`);
		if (!runbookFirst) raw.push(await rawDump(ctx, large));
		rb.push(await runbookBackup(ctx, planFile, large));
		if (runbookFirst) raw.push(await rawDump(ctx, large));
	}
	ctx.log(`  runbook backup of the small database (${Math.round(small.bytes / 1e6)} MB)`);
	const smallRun = await runbookBackup(ctx, planFile, small);
	const wholeRatios = rb.map((run, i) => raw[i]!.wallMs / run.wallMs);
	const itemRatios = rb.map((run, i) => raw[i]!.wallMs / run.itemMs);
	const perRound = (ratios: number[]) => ratios.map((x) => round(x)).join(', ');
	const rbWall = median(rb.map((r) => r.wallMs));
	const rbItem = median(rb.map((r) => r.itemMs));
	const rawWall = median(raw.map((r) => r.wallMs));
	const mb = large.bytes / 1e6;
	const peakLarge = Math.max(...rb.map((r) => r.peakKb)) / 1024;
	const peakSmall = smallRun.peakKb / 1024;
	const flags = `pg_dump ${pgDumpArgs({format: 'custom', compression: DEFAULT_COMPRESSION, lockWaitTimeoutMs: DEFAULT_LOCK_WAIT_TIMEOUT_MS, file: 'F'}).join(' ')}`;
	return [
		bound({id: 'backup.throughput-ratio', section: '2 backup', name: 'runbook backup throughput vs raw pg_dump (whole runbook process)', value: round(median(wholeRatios)), unit: '×', min: 0.97, detail: `${round(mb, 0)} MB database; median of ${rounds} paired rounds, order alternating (ratios ${perRound(wholeRatios)}); medians: runbook ${round(mb / (rbWall / 1000), 1)} MB/s (${Math.round(rbWall)} ms: node start, free-space check, pg_dump writing the file, hashed as it grows, exact row counts in the dump's snapshot, fsync) vs raw ${round(mb / (rawWall / 1000), 1)} MB/s (${Math.round(rawWall)} ms); same flags: ${flags}`}),
		bound({id: 'backup.item-throughput-ratio', section: '2 backup', name: 'runbook backup item (journal duration) vs raw pg_dump', value: round(median(itemRatios)), unit: '×', min: 0.98, detail: `median of the same ${rounds} rounds (ratios ${perRound(itemRatios)}); medians: item ${Math.round(rbItem)} ms vs raw ${Math.round(rawWall)} ms`}),
		bound({id: 'backup.peak-rss-large', section: '2 backup', name: `runbook process peak RSS, ${round(mb, 0)} MB database`, value: round(peakLarge, 1), unit: 'MiB', max: 150, detail: `VmHWM of the node process (pg_dump is a separate process: ${round(Math.max(...raw.map((r) => r.peakKb)) / 1024, 1)} MiB)`}),
		bound({id: 'backup.peak-rss-small', section: '2 backup', name: `runbook process peak RSS, ${round(small.bytes / 1e6, 0)} MB database`, value: round(peakSmall, 1), unit: 'MiB', max: 150}),
		bound({id: 'backup.rss-size-ratio', section: '2 backup', name: `peak RSS at ${round(mb, 0)} MB ÷ peak RSS at ${round(small.bytes / 1e6, 0)} MB (size-independent)`, value: round(peakLarge / peakSmall), unit: '×', max: 1.05, detail: `database ${round(large.bytes / small.bytes, 1)}× larger; RSS ${round(peakLarge, 1)} vs ${round(peakSmall, 1)} MiB (largest of ${rounds} runs vs one; every run after a warm-up run, so none validates the plan)`}),
		info({id: 'backup.dump-bytes', section: '2 backup', name: 'dump size (custom, -Z1)', value: round(median(rb.map((r) => r.bytes)) / 1e6, 1), unit: 'MB', detail: `raw pg_dump: ${round(median(raw.map((r) => r.bytes)) / 1e6, 1)} MB`}),
	];
}
