/**
 * Part 5: cold start to the first frame of the interactive TUI (the real plan,
 * a fresh state directory, connecting to the database), and `--resume` with a
 * 100 000-event journal to its first frame; `watch` on the same journal too.
 * Each under tmux; the first frame is timed by pty-tap from the exec of node.
 */
import {existsSync, readFileSync, rmSync} from 'node:fs';
import {JOURNAL} from '../source/state/store.js';
import path from 'node:path';
import {loadPlan} from '../source/plan/load.js';
import type {BenchContext} from './context.js';
import {CLI} from './context.js';
import {PLAN_FILE} from './bench-plan.js';
import {startTmux, waitFor, methodFloorMs, type TmuxSession} from './tmux.js';
import type {TapReport} from './pty-tap.js';
import {HELP_MARK, latencies, pressHelp} from './key-latency.js';
import {writeSyntheticJournal} from './synthetic-journal.js';
import {summarizeProfile} from './cpu-profile.js';
import {bound, info, type Figure} from './results.js';
import {median, round} from './stats.js';

const MARK = 'Migration 006';
let sessions = 0;

async function firstFrameMs(ctx: BenchContext, args: readonly string[], url: string, nodeFlags: readonly string[] = [], onScreen?: (session: TmuxSession) => Promise<void>): Promise<number> {
	return (await firstFrame(ctx, args, url, nodeFlags, onScreen)).ms;
}

async function firstFrame(ctx: BenchContext, args: readonly string[], url: string, nodeFlags: readonly string[] = [], onScreen?: (session: TmuxSession) => Promise<void>): Promise<{ms: number; tap: TapReport}> {
	sessions += 1;
	const dir = ctx.tempDir(`start${sessions}`);
	const session = await startTmux({name: `start${sessions}`, dir, command: [process.execPath, ...nodeFlags, CLI, ...args], env: {DATABASE_URL: url}, mark: HELP_MARK});
	await waitFor(async () => ((await session.capture()).includes(MARK) ? true : undefined), 20_000, 'the first frame', 10);
	await onScreen?.(session);
	const tap = await session.kill();
	if (tap.firstFrameAt === undefined) throw new Error('bench: the tap saw no frame');
	return {ms: tap.firstFrameAt - session.startedAt, tap};
}

export async function benchStartup(ctx: BenchContext, runs = 5): Promise<Figure[]> {
	const section = '5 start-up';
	const db = await ctx.cloneDatabase('startup');
	const cold: number[] = [];
	for (let i = 0; i < runs; i++) cold.push(await firstFrameMs(ctx, ['--state-dir', ctx.tempDir('cold-state')], db.url));
	let sent: number[] = [];
	const idleState = ctx.tempDir('idle-state');
	const idleRun = await firstFrame(ctx, ['--state-dir', idleState], db.url, [], async (session) => {
		// Let the run settle at its first manual prompt (a waiting event in the journal) before pressing keys.
		await waitFor(() => (existsSync(path.join(idleState, JOURNAL)) && readFileSync(path.join(idleState, JOURNAL), 'utf8').includes('"type":"waiting"') ? true : undefined), 20_000, 'the first manual prompt', 20);
		sent = (await pressHelp(session, 4)).sent;
	});
	const idle = latencies(sent, idleRun.tap).filter((v) => Number.isFinite(v));
	const floor = await methodFloorMs(ctx.tempDir('floor'));
	const profDir = ctx.tempDir('cpuprof');
	const profiled = await firstFrameMs(ctx, ['--state-dir', ctx.tempDir('cold-state')], db.url, ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
	const where = summarizeProfile(profDir, profiled);

	const plan = loadPlan(PLAN_FILE);
	const stateDir = path.join(ctx.tempDir('resume'), 'state');
	const resume: number[] = [];
	const watch: number[] = [];
	let events = 0;
	for (let i = 0; i < 3; i++) {
		rmSync(stateDir, {recursive: true, force: true});
		events = writeSyntheticJournal(stateDir, plan, db.target.display);
		resume.push(await firstFrameMs(ctx, ['--resume', '--state-dir', stateDir], db.url));
		rmSync(stateDir, {recursive: true, force: true});
		writeSyntheticJournal(stateDir, plan, db.target.display);
		watch.push(await firstFrameMs(ctx, ['watch', '--state-dir', stateDir], db.url));
	}
	rmSync(stateDir, {recursive: true, force: true});
	writeSyntheticJournal(stateDir, plan, db.target.display);
	const resumeProfDir = ctx.tempDir('cpuprof-resume');
	const resumeProfiled = await firstFrameMs(ctx, ['--resume', '--state-dir', stateDir], db.url, ['--cpu-prof', `--cpu-prof-dir=${resumeProfDir}`]);
	const resumeWhere = summarizeProfile(resumeProfDir, resumeProfiled);
	return [
		bound({id: 'startup.cold-first-frame', section, name: 'cold start → first frame (interactive, real plan, connects to the database)', value: Math.round(median(cold)), unit: 'ms', max: 400, detail: `median of ${runs}: ${cold.map(Math.round).join(', ')} ms (from the exec of node to the first frame on the pty); CPU profile of one more start (${Math.round(profiled)} ms with --cpu-prof), self time by module before the first frame: ${where.map((w) => `${w.name} ${w.ms} ms`).join(', ')}`}),
		bound({id: 'startup.resume-first-frame', section, name: `--resume with a ${events.toLocaleString('en')}-event journal → first frame`, value: Math.round(median(resume)), unit: 'ms', max: 1000, detail: `median of 3: ${resume.map(Math.round).join(', ')} ms; the journal holds every item before the GO gate with retries (400 output lines per attempt), the resumed run stops at the gate; CPU profile of one more resume (${Math.round(resumeProfiled)} ms with --cpu-prof), self time by module before the first frame: ${resumeWhere.map((w) => `${w.name} ${w.ms} ms`).join(', ')}`}),
		bound({id: 'startup.watch-first-frame', section, name: `watch on the same ${events.toLocaleString('en')}-event journal → first frame`, value: Math.round(median(watch)), unit: 'ms', max: 1000, detail: `median of 3: ${watch.map(Math.round).join(', ')} ms`}),
		bound({id: 'startup.idle-key-latency', section, name: 'key press → screen on an idle TUI (waiting at its first manual item)', value: Math.max(...idle), unit: 'ms', max: 100, detail: `worst of ${idle.length}, same method as part 3; each: ${idle.join(', ')} ms`}),
		info({id: 'startup.method-floor', section, name: 'the method\'s own floor: tmux send-keys to a `cat` pane until capture-pane shows it', value: Math.max(...floor), unit: 'ms', detail: `each: ${floor.join(', ')} ms; part 3 and the idle figure time to the pty (pty-tap), which is below this`}),
		info({id: 'startup.cold-max', section, name: 'cold start, slowest of the runs', value: Math.round(Math.max(...cold)), unit: 'ms'}),
	];
}
