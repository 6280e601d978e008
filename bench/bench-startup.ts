/**
 * Part 5: cold start to the first frame of the interactive TUI (the real plan,
 * a fresh state directory, connecting to the database), against `psql -c
 * 'select 1'` in the same run; `runbook status` as a whole process against the
 * same psql; `--resume` with journals of 10 000, 100 000 and 1 000 000 events
 * to its first frame (flat: the snapshot plus the tail after it is read, not
 * the journal), and `watch` on the 100 000-event one. Each TUI under tmux;
 * the first frame is timed by pty-tap from the exec of node.
 */
import {cpSync, existsSync, readFileSync, rmSync} from 'node:fs';
import {JOURNAL} from '../source/state/read.js';
import path from 'node:path';
import {runChild} from '../source/proc/child.js';
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
/** Journal lengths for --resume; the goal is on RESUME_SIZE, the others show it flat. */
const JOURNAL_SIZES = [10_000, 100_000, 1_000_000] as const;
const RESUME_SIZE = 100_000;
/** Events after the snapshot: what a resume folds beyond it. */
const SNAPSHOT_TAIL = 1000;

async function wallMs(input: Parameters<typeof runChild>[0]): Promise<number> {
	const started = performance.now();
	const result = await runChild(input);
	const ms = performance.now() - started;
	if (result.exitCode !== 0) throw new Error(`${input.file} ${input.args.join(' ')} exited with ${result.exitCode}: ${result.tail.map((l) => l.line).join('\n')}`);
	return ms;
}
let sessions = 0;

/**
 * A profiled start is ended once the run waits for the operator: node writes
 * its --cpu-prof file at exit, and a SIGHUP that lands while the run is still
 * opening ends the process before its signal handlers are set, with no file
 * (the profile details of earlier results were empty for that reason).
 */
async function untilWaiting(session: TmuxSession): Promise<void> {
	await waitFor(async () => ((await session.capture()).includes('· waiting') ? true : undefined), 15_000, 'the run to wait for the operator', 20).catch(() => undefined);
}

/** The profile's summary for a detail, or why there is none. */
function profileText(where: ReadonlyArray<{name: string; ms: number}>): string {
	return where.length > 0 ? where.map((w) => `${w.name} ${w.ms} ms`).join(', ') : '(no profile was written)';
}

async function firstFrameMs(ctx: BenchContext, args: readonly string[], url: string, nodeFlags: readonly string[] = [], onScreen?: (session: TmuxSession) => Promise<void>): Promise<number> {
	return (await firstFrame(ctx, args, url, nodeFlags, onScreen)).ms;
}

async function firstFrame(ctx: BenchContext, args: readonly string[], url: string, nodeFlags: readonly string[] = [], onScreen?: (session: TmuxSession) => Promise<void>): Promise<{ms: number; tap: TapReport}> {
	sessions += 1;
	const dir = ctx.tempDir(`start${sessions}`);
	const session = await startTmux({name: `start${sessions}`, dir, command: [process.execPath, ...nodeFlags, CLI, ...args], env: {DATABASE_URL: url, XDG_CACHE_HOME: ctx.cacheDir}, mark: HELP_MARK});
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
		// Let the run settle at its first manual prompt before pressing keys: the waiting event in the journal, and then the
		// prompt drawn on the screen. A key sent on the event alone could land while the TUI was still drawing its first
		// frames: the first press took 117 and 168 ms in two runs on a slow machine, the presses after it 39-86 ms.
		await waitFor(() => (existsSync(path.join(idleState, JOURNAL)) && readFileSync(path.join(idleState, JOURNAL), 'utf8').includes('"type":"waiting"') ? true : undefined), 20_000, 'the first manual prompt', 20);
		await waitFor(async () => ((await session.capture()).includes('· waiting') ? true : undefined), 20_000, 'the first manual prompt on the screen', 20);
		sent = (await pressHelp(session, 4)).sent;
	});
	const idle = latencies(sent, idleRun.tap).filter((v) => Number.isFinite(v));
	const floor = await methodFloorMs(ctx.tempDir('floor'));
	const profDir = ctx.tempDir('cpuprof');
	const profiled = await firstFrameMs(ctx, ['--state-dir', ctx.tempDir('cold-state')], db.url, ['--cpu-prof', `--cpu-prof-dir=${profDir}`], untilWaiting);
	const where = summarizeProfile(profDir, profiled);

	const plan = loadPlan(PLAN_FILE);
	const resumeRoot = ctx.tempDir('resume');
	const stateDir = path.join(resumeRoot, 'state');
	const fresh = (template: string) => {
		rmSync(stateDir, {recursive: true, force: true});
		cpSync(template, stateDir, {recursive: true});
	};
	const resumeAt = new Map<number, number[]>();
	const watch: number[] = [];
	const templates = new Map<number, string>();
	for (const size of JOURNAL_SIZES) {
		const template = path.join(resumeRoot, `journal-${size}`);
		writeSyntheticJournal(template, plan, db.target.display, size, SNAPSHOT_TAIL);
		templates.set(size, template);
		const runs: number[] = [];
		for (let i = 0; i < 3; i++) {
			fresh(template);
			runs.push(await firstFrameMs(ctx, ['--resume', '--state-dir', stateDir], db.url));
			if (size === RESUME_SIZE) {
				fresh(template);
				watch.push(await firstFrameMs(ctx, ['watch', '--state-dir', stateDir], db.url));
			}
		}
		resumeAt.set(size, runs);
		if (size !== RESUME_SIZE) rmSync(template, {recursive: true, force: true});
	}
	fresh(templates.get(RESUME_SIZE)!);
	const resumeProfDir = ctx.tempDir('cpuprof-resume');
	const resumeProfiled = await firstFrameMs(ctx, ['--resume', '--state-dir', stateDir], db.url, ['--cpu-prof', `--cpu-prof-dir=${resumeProfDir}`], untilWaiting);
	const resumeWhere = summarizeProfile(resumeProfDir, resumeProfiled);
	// Whole processes, alternated: psql -c 'select 1', then runbook status on the 100 000-event state.
	fresh(templates.get(RESUME_SIZE)!);
	const psql: number[] = [];
	const status: number[] = [];
	// node's own start, for the floor under every figure above: as this machine runs it, and without the CA bundle that
	// NODE_EXTRA_CA_CERTS names (node reads and parses it at every start when it is set).
	const extraCa = process.env['NODE_EXTRA_CA_CERTS'];
	const nodeBare: number[] = [];
	const nodeNoExtraCa: number[] = [];
	for (let i = 0; i < 7; i++) {
		psql.push(await wallMs({file: 'psql', args: ['-X', '-q', '-c', 'select 1'], env: db.target.childEnv()}));
		status.push(await wallMs({file: process.execPath, args: [CLI, 'status', '--state-dir', stateDir], env: {DATABASE_URL: db.url, XDG_CACHE_HOME: ctx.cacheDir}}));
		nodeBare.push(await wallMs({file: process.execPath, args: ['-e', '0']}));
		if (extraCa) nodeNoExtraCa.push(await wallMs({file: 'env', args: ['-u', 'NODE_EXTRA_CA_CERTS', process.execPath, '-e', '0']}));
	}
	const psqlMs = median(psql);
	const coldMs = median(cold);
	const resume = resumeAt.get(RESUME_SIZE)!;
	const resumeMs = median(resume);
	const smallest = median(resumeAt.get(JOURNAL_SIZES[0]!)!);
	const largest = median(resumeAt.get(JOURNAL_SIZES.at(-1)!)!);
	const events = RESUME_SIZE;
	return [
		bound({id: 'startup.cold-first-frame', section, name: 'cold start → first frame (interactive, real plan, connects to the database)', value: Math.round(coldMs), unit: 'ms', max: 400, detail: `median of ${runs}: ${cold.map(Math.round).join(', ')} ms (from the exec of node to the first frame on the pty; the first run validates the plan and keeps the result by content hash in an empty cache, the others read it); CPU profile of one more start (${Math.round(profiled)} ms with --cpu-prof), self time by module before the first frame: ${profileText(where)}`}),
		bound({id: 'startup.cold-vs-psql', section, name: "cold start → first frame ÷ `psql -c 'select 1'` (whole process), same run", value: round(coldMs / psqlMs, 2), unit: '×', max: 5, detail: `cold start ${Math.round(coldMs)} ms vs psql ${round(psqlMs, 0)} ms (median of ${psql.length}: ${psql.map((v) => Math.round(v)).join(', ')} ms)`}),
		bound({id: 'startup.status-vs-psql', section, name: "`runbook status` (whole process, 100,000-event state) ÷ `psql -c 'select 1'`", value: round(median(status) / psqlMs, 2), unit: '×', max: 3, detail: `median of ${status.length} alternated runs: status ${Math.round(median(status))} ms (${status.map((v) => Math.round(v)).join(', ')}) vs psql ${round(psqlMs, 0)} ms`}),
		bound({id: 'startup.resume-first-frame', section, name: `--resume with a ${events.toLocaleString('en')}-event journal → first frame`, value: Math.round(resumeMs), unit: 'ms', max: 1000, detail: `median of 3: ${resume.map(Math.round).join(', ')} ms; the journal holds every item before the GO gate with retries (400 output lines per attempt), the snapshot lags it by ${SNAPSHOT_TAIL} events, the resumed run stops at the gate; CPU profile of one more resume (${Math.round(resumeProfiled)} ms with --cpu-prof), self time by module before the first frame: ${profileText(resumeWhere)}`}),
		bound({id: 'startup.resume-vs-cold', section, name: `--resume (${events.toLocaleString('en')} events) → first frame ÷ cold start → first frame`, value: round(resumeMs / coldMs, 2), unit: '×', max: 1.5, detail: `${Math.round(resumeMs)} ms vs ${Math.round(coldMs)} ms`}),
		...JOURNAL_SIZES.map((size) => info({id: `startup.resume-first-frame-${size}`, section, name: `--resume with a ${size.toLocaleString('en')}-event journal → first frame`, value: Math.round(median(resumeAt.get(size)!)), unit: 'ms', detail: `median of 3: ${resumeAt.get(size)!.map(Math.round).join(', ')} ms; snapshot ${SNAPSHOT_TAIL} events behind the journal`})),
		bound({id: 'startup.resume-flat', section, name: `--resume first frame at ${JOURNAL_SIZES.at(-1)!.toLocaleString('en')} events ÷ at ${JOURNAL_SIZES[0]!.toLocaleString('en')} events (flat: the cost follows the snapshot and its tail, not the journal)`, value: round(largest / smallest, 2), unit: '×', max: 1.5, detail: `${Math.round(largest)} ms vs ${Math.round(smallest)} ms for a journal 100× longer`}),
		bound({id: 'startup.watch-first-frame', section, name: `watch on the same ${events.toLocaleString('en')}-event journal → first frame`, value: Math.round(median(watch)), unit: 'ms', max: 1000, detail: `median of 3: ${watch.map(Math.round).join(', ')} ms`}),
		bound({id: 'startup.idle-key-latency', section, name: 'key press → screen on an idle TUI (waiting at its first manual item)', value: Math.max(...idle), unit: 'ms', max: 100, detail: `worst of ${idle.length}, same method as part 3; each: ${idle.join(', ')} ms`}),
		info({id: 'startup.method-floor', section, name: 'the method\'s own floor: tmux send-keys to a `cat` pane until capture-pane shows it', value: Math.max(...floor), unit: 'ms', detail: `each: ${floor.join(', ')} ms; part 3 and the idle figure time to the pty (pty-tap), which is below this`}),
		info({id: 'startup.cold-max', section, name: 'cold start, slowest of the runs', value: Math.round(Math.max(...cold)), unit: 'ms'}),
		info({
			id: 'startup.node-floor',
			section,
			name: "node's own start: `node -e 0`, whole process",
			value: Math.round(median(nodeBare)),
			unit: 'ms',
			detail: `median of ${nodeBare.length}, alternated with the status runs: ${nodeBare.map(Math.round).join(', ')} ms; ${extraCa ? `NODE_EXTRA_CA_CERTS is set (${extraCa}), and without it (env -u) node starts in ${Math.round(median(nodeNoExtraCa))} ms (${nodeNoExtraCa.map(Math.round).join(', ')})` : 'NODE_EXTRA_CA_CERTS is not set'}`,
		}),
	];
}
