/**
 * A TUI under a real pseudo-terminal: one tmux server per session (its own
 * socket, fixed 120×40), the environment (DATABASE_URL) handed to the server
 * when it starts, so it is on no command line. The pane's program waits for a
 * go file, writes its pid and start time (ns) and execs the command; its output
 * is piped to pty-tap.js.
 */
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {runChild} from '../source/proc/child.js';
import type {TapReport} from './pty-tap.js';
import {projectRoot} from '../source/paths.js';

const TAP = path.join(projectRoot, 'dist-bench', 'pty-tap.js');

export const COLUMNS = 120;
export const ROWS = 40;

function quote(arg: string): string {
	return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 5): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, intervalMs));
	}
}

export type TmuxSession = {
	readonly pid: number;
	/** Epoch ms at which the pane's shell exec'd the command. */
	readonly startedAt: number;
	readonly capture: () => Promise<string>;
	readonly sendKeys: (...keys: string[]) => Promise<void>;
	readonly alive: () => boolean;
	/** Waits for the program to exit (up to timeoutMs) and returns what the tap saw. */
	readonly finish: (timeoutMs: number) => Promise<TapReport>;
	/** Kills the server (SIGHUP to the program) and waits for the tap. */
	readonly kill: () => Promise<TapReport>;
};

export async function startTmux(input: {name: string; dir: string; command: readonly string[]; env: Readonly<Record<string, string>>; cwd?: string; mark?: string}): Promise<TmuxSession> {
	const socket = `runbook-bench-${process.pid}-${input.name}`;
	const socketFile = path.join(process.env['TMUX_TMPDIR'] ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket);
	const killServer = async () => {
		await runChild({file: 'tmux', args: ['-L', socket, 'kill-server'], env: {...input.env}});
		rmSync(socketFile, {force: true});
	};
	const goFile = path.join(input.dir, 'go');
	const pidFile = path.join(input.dir, 'pid');
	const t0File = path.join(input.dir, 't0');
	const tapFile = path.join(input.dir, 'tap.json');
	const tmux = async (...args: string[]) => {
		const result = await runChild({file: 'tmux', args: ['-L', socket, ...args], env: {...input.env}, tailLines: 200});
		if (result.exitCode !== 0) throw new Error(`tmux ${args[0]} failed: ${result.tail.map((l) => l.line).join('\n')}`);
		return result.tail.map((l) => l.line).join('\n');
	};
	const script = [
		`while [ ! -e ${quote(goFile)} ]; do sleep 0.01; done`,
		`echo $$ > ${quote(pidFile)}`,
		`date +%s%N > ${quote(t0File)}`,
		`exec env -u CI -u NO_COLOR TERM=xterm-256color ${input.command.map(quote).join(' ')}`,
	].join('; ');
	const cd = input.cwd ? `cd ${quote(input.cwd)} && ` : '';
	await tmux('-f', '/dev/null', 'new-session', '-d', '-s', input.name, '-x', String(COLUMNS), '-y', String(ROWS), `sh -c ${quote(cd + script)}`);
	await tmux('pipe-pane', '-t', input.name, '-o', `exec ${quote(process.execPath)} ${quote(TAP)} ${quote(tapFile)}${input.mark ? ` ${quote(input.mark)}` : ''}`);
	writeFileSync(goFile, '');
	const pid = await waitFor(() => (existsSync(t0File) && readFileSync(t0File, 'utf8').trim() ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined), 10_000, 'the pane to start');
	const startedAt = Number(BigInt(readFileSync(t0File, 'utf8').trim()) / 1_000_000n);
	const alive = () => existsSync(`/proc/${pid}`);
	const readTap = () => waitFor(() => (existsSync(tapFile) ? (JSON.parse(readFileSync(tapFile, 'utf8')) as TapReport) : undefined), 10_000, 'the pty tap report', 20);
	return {
		pid,
		startedAt,
		alive,
		capture: () => tmux('capture-pane', '-p', '-t', input.name),
		sendKeys: async (...keys) => {
			await tmux('send-keys', '-t', input.name, ...keys);
		},
		finish: async (timeoutMs) => {
			await waitFor(() => (alive() ? undefined : true), timeoutMs, 'the program to exit', 50);
			await killServer();
			return readTap();
		},
		kill: async () => {
			await killServer();
			await waitFor(() => (alive() ? undefined : true), 15_000, 'the program to exit after SIGHUP', 20);
			return readTap();
		},
	};
}

/** The floor of the key-latency method: send-keys to a pane running `cat` until capture-pane shows the text. */
export async function methodFloorMs(dir: string, presses = 5): Promise<number[]> {
	const session = await startTmux({name: 'floor', dir, command: ['cat'], env: {}});
	const out: number[] = [];
	try {
		for (let i = 0; i < presses; i++) {
			const text = `k${i}x`;
			const sent = Date.now();
			await session.sendKeys(text);
			await waitFor(async () => ((await session.capture()).includes(text) ? true : undefined), 5_000, 'cat to echo', 2);
			out.push(Date.now() - sent);
		}
	} finally {
		await session.kill();
	}
	return out;
}
