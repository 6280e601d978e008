/**
 * `runbook` on a database draws its first frame as text before Ink is
 * loaded, and the TUI then takes the screen over with the same frame. Under
 * tmux, against a server that accepts and never answers (the run stays in its
 * "connecting" state): the terminal's bytes begin with the text frame, the
 * TUI erases exactly those lines once, the screen holds one frame (no second
 * header scrolled in), a key typed at once is not lost, and when the server
 * goes away the error is printed, the cursor comes back and the exit is 2.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {terminal, type Terminal} from '../helpers/tmux.js';
import {startSilentServer, type SilentServer} from '../helpers/silent-server.js';
import {loadPlan} from '../../source/plan/load.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const ROWS = 40;

let term: Terminal;
let server: SilentServer;
let dir: string;

beforeAll(async () => {
	server = await startSilentServer();
	dir = mkdtempSync(path.join(tmpdir(), 'runbook-first-frame-'));
	term = terminal('first-frame');
});

afterAll(async () => {
	term?.close();
	await server?.close();
	if (dir) rmSync(dir, {recursive: true, force: true, maxRetries: 5});
});

describe('the first frame before Ink', () => {
	it('is the TUI’s frame, replaced in place, keys kept, and the screen given back on an error', async () => {
		const title = loadPlan(path.join(root, 'runbook', 'migration-006.yaml')).plan.title;
		const raw = path.join(dir, 'pty.raw');
		const env = `env -u CI LANG=C.UTF-8 XDG_CACHE_HOME=${dir}/cache DATABASE_URL=postgres://app:s3cret-pw@127.0.0.1:${server.port}/blackwhale`;
		term.start(`sleep 0.3; ${env} node ${cli} --state-dir ${dir}/state; echo RUNBOOK-EXITED $?; sleep 3600`, {columns: 120, rows: ROWS});
		term.tmux('pipe-pane', '-t', 'rb:main', '-o', `cat > ${raw}`);
		await term.until('the first frame', (s) => s.includes('Database Migration 006'), 30_000);
		// At once, as an impatient operator would (the TUI may not be up yet): the key opens the help overlay, once.
		term.tmux('send-keys', '-t', 'rb:main', '?');
		await term.until('the help overlay', (s) => s.includes('Any key closes this help'), 30_000);
		term.tmux('send-keys', '-t', 'rb:main', '?');
		const screen = await term.until('the main view again', (s) => !s.includes('Any key closes this help') && s.includes('Database Migration 006'), 30_000);
		// One frame on the screen: the header once, and nothing above it.
		expect(screen.split('\n').filter((l) => l.startsWith('Database Migration 006')).length).toBe(1);
		expect(screen.split('\n')[0]).toMatch(/^Database Migration 006/);

		const bytes = readFileSync(raw, 'latin1');
		const text = Buffer.from(bytes, 'latin1').toString('utf8');
		// The text frame comes first: the cursor hidden, the header, and the rows − 1 lines of the frame, then the
		// TUI's first write: inside a synchronized update, it erases those lines and the cursor's line, as Ink erases its own.
		expect(text.startsWith('\u001B[?25l\u001B[1mDatabase Migration 006')).toBe(true);
		const takeOver = text.indexOf('\u001B[?2026h');
		expect(takeOver).toBeGreaterThan(0);
		const textFrame = text.slice(0, takeOver);
		expect(textFrame).toContain(title.slice(0, 20));
		expect(textFrame.split('\n').length - 1).toBe(ROWS - 1);
		expect(textFrame).not.toContain('\u001B[2K');
		expect(text.slice(takeOver).startsWith(`\u001B[?2026h${'\u001B[2K\u001B[1A'.repeat(ROWS - 1)}\u001B[2K\u001B[G`)).toBe(true);
		// No secret on the screen.
		expect(text).not.toContain('s3cret-pw');

		// The server goes away: the run cannot start, the error is printed under the screen, the cursor comes back.
		await server.close();
		const end = await term.until('the exit', (s) => s.includes('RUNBOOK-EXITED'), 60_000);
		expect(end).toMatch(/RUNBOOK-EXITED 2/);
		expect(readFileSync(raw, 'latin1').lastIndexOf('\u001B[?25h')).toBeGreaterThan(readFileSync(raw, 'latin1').lastIndexOf('\u001B[?25l'));
		expect(existsSync(path.join(dir, 'state'))).toBe(true);
	}, 120_000);
});
