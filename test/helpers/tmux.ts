/**
 * A real terminal for TUI tests: a tmux server on its own socket, one session
 * `rb` with window `main`, read as a person would (capture-pane).
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';

export type Terminal = {
	readonly tmux: (...args: string[]) => string;
	/** The window's text now ('' when there is none). */
	readonly screen: () => string;
	/** Waits until the screen satisfies `probe`; throws with the screen after the time. */
	readonly until: (what: string, probe: (screen: string) => boolean, timeoutMs?: number) => Promise<string>;
	/** Starts `command` in a fresh session `rb` (an earlier one is ended). */
	readonly start: (command: string, size?: {readonly columns: number; readonly rows: number}) => void;
	/** Ends the tmux server and everything in it. */
	readonly close: () => void;
};

export function terminal(name: string): Terminal {
	const socket = `runbook-${name}-${randomBytes(4).toString('hex')}`;
	const tmux = (...a: string[]) => execFileSync('tmux', ['-L', socket, ...a], {encoding: 'utf8'});
	const screen = () => {
		const r = spawnSync('tmux', ['-L', socket, 'capture-pane', '-p', '-J', '-t', 'rb:main'], {encoding: 'utf8'});
		return r.status === 0 ? r.stdout : '';
	};
	return {
		tmux,
		screen,
		until: async (what, probe, timeoutMs = 60_000) => {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const s = screen();
				if (probe(s)) return s;
				if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; screen:\n${s}`);
				await new Promise((r) => setTimeout(r, 100));
			}
		},
		start: (command, size = {columns: 120, rows: 40}) => {
			spawnSync('tmux', ['-L', socket, 'kill-session', '-t', 'rb'], {encoding: 'utf8'});
			tmux('new-session', '-d', '-s', 'rb', '-n', 'main', '-x', String(size.columns), '-y', String(size.rows), command);
		},
		close: () => {
			spawnSync('tmux', ['-L', socket, 'kill-server']);
		},
	};
}
