/**
 * Part 3: the TUI while a child process prints 200 MB. A plan with one shell
 * item (`yes … | head -c 200000000`) runs in the interactive TUI under tmux
 * (120×40). Measured: the node process's RSS (sampled, and its VmHWM), frames
 * written to the terminal per second (pty-tap), and the delay between a key
 * press (`?` opens the help, `?` closes it) and the screen showing it.
 */
import type {BenchContext} from './context.js';
import {CLI} from './context.js';
import {writeShellPlan} from './bench-plan.js';
import {startTmux, waitFor} from './tmux.js';
import {sampleMemory} from './proc-memory.js';
import {HELP_MARK, latencies, pressHelp} from './key-latency.js';
import {bound, info, type Figure} from './results.js';
import {median, round} from './stats.js';

const FLOOD_BYTES = 200_000_000;

export async function benchTui(ctx: BenchContext, presses = 5): Promise<Figure[]> {
	const dir = ctx.tempDir('tui');
	const plan = writeShellPlan(dir, 'sh', ['-c', `yes 0123456789012345678901234567890123456789 | head -c ${FLOOD_BYTES}`]);
	const db = await ctx.cloneDatabase('tui');
	const session = await startTmux({name: 'tui', dir, command: [process.execPath, CLI, '--plan', plan, '--state-dir', `${dir}/state`], env: {DATABASE_URL: db.url}, mark: HELP_MARK});
	const memory = sampleMemory(session.pid, 25);
	// Wait until the flood is on screen: the shell item's live tail shows the line. The line alone is not
	// enough: the detail pane's command line has it too, and the text first frame drawn before the TUI is
	// loaded shows that, so the first press would time the TUI's start-up instead of a key during the flood.
	await waitFor(async () => {
		const screen = await session.capture();
		return screen.includes('Output (live):') && screen.includes('0123456789012345678901234567890123456789') ? true : undefined;
	}, 30_000, 'the flood to reach the screen', 20);
	const floodSeenAt = Date.now();
	const presses_ = await pressHelp(session, presses, () => session.alive());
	const pressesDoneAt = Date.now();
	const stillFlooding = session.alive();
	const tap = await session.finish(600_000);
	const mem = await memory.stop();
	const measured = latencies(presses_.sent, tap).filter((v) => Number.isFinite(v));
	const missed = presses_.sent.length - measured.length + presses_.unanswered;
	const runMs = Date.now() - session.startedAt;
	const frames = tap.frames.filter((t) => t >= session.startedAt);
	const span = (frames.at(-1) ?? session.startedAt) - (tap.firstFrameAt ?? session.startedAt);
	const perSecond = new Map<number, number>();
	for (const t of frames) perSecond.set(Math.floor((t - (tap.firstFrameAt ?? 0)) / 1000), (perSecond.get(Math.floor((t - (tap.firstFrameAt ?? 0)) / 1000)) ?? 0) + 1);
	const maxPerSecond = Math.max(0, ...perSecond.values());
	const rssAt = (fraction: number) => {
		const sample = mem.samples[Math.min(mem.samples.length - 1, Math.floor(mem.samples.length * fraction))];
		return sample ? `${round(sample.rssKb / 1024, 0)}` : '?';
	};
	const figures: Figure[] = [
		bound({id: 'tui.peak-rss', section: '3 TUI under a 200 MB flood', name: 'node process peak RSS (VmHWM)', value: round(mem.peakKb / 1024, 1), unit: 'MiB', max: 150, detail: `largest sampled VmRSS ${round(mem.maxRssKb / 1024, 1)} MiB over ${mem.samples.length} samples; RSS at 10/25/50/75/100% of the run: ${[0.1, 0.25, 0.5, 0.75, 1].map(rssAt).join(' / ')} MiB; the run took ${round(runMs / 1000, 1)} s for ${FLOOD_BYTES / 1e6} MB (${round(FLOOD_BYTES / 41 / 1e6, 2)} M lines)`}),
		bound({id: 'tui.max-frames-per-second', section: '3 TUI under a 200 MB flood', name: 'frames written to the terminal in the busiest second', value: maxPerSecond, unit: 'frames/s', max: 15, detail: `${frames.length + 1} frames in ${round(span / 1000, 1)} s (mean ${round((frames.length + 1) / Math.max(1, span / 1000), 1)}/s), ${round(tap.bytes / 1e6, 2)} MB written to the terminal; output frames paced by the App (80 ms apart, at most 15 in any second), a key's frame at once`}),
		bound({id: 'tui.key-latency-max', section: '3 TUI under a 200 MB flood', name: 'key press → screen shows it (worst of the presses)', value: measured.length > 0 ? Math.max(...measured) : Number.NaN, unit: 'ms', max: 100, detail: `${measured.length} presses of \`?\` during the flood (each followed by \`?\` to close the help), median ${measured.length > 0 ? median(measured) : 'n/a'} ms, each: ${measured.join(', ')} ms${missed > 0 ? `; ${missed} not answered` : ''}; from before spawning tmux send-keys to the help text reaching the pty (pty-tap)${stillFlooding ? '' : '; WARNING: the flood ended before the presses finished'}`}),
		info({id: 'tui.flood-seconds', section: '3 TUI under a 200 MB flood', name: 'time to run the 200 MB item in the TUI', value: round(runMs / 1000, 1), unit: 's', detail: `presses between ${round((floodSeenAt - session.startedAt) / 1000, 1)} s and ${round((pressesDoneAt - session.startedAt) / 1000, 1)} s`}),
	];
	return figures;
}
