/**
 * Child processes as every item runs them (proc/child.ts), with real
 * children: lines of both streams in order, the exit code, a missing binary,
 * cancellation and timeouts (SIGTERM, then SIGKILL for a child that ignores
 * it), the environment, stdout into a file, and the process resource.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {runChild, type ChildLine} from '../../source/proc/child.js';
import type {ResourceSpec, ResourceTracker} from '../../source/proc/resource.js';
import {isUserError} from '../../source/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'runbook-child-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

/** A tracker that keeps what it is told, in order. */
function recordingTracker(): {tracker: ResourceTracker; log: string[]} {
	const log: string[] = [];
	return {
		log,
		tracker: {
			runTag: 'test',
			register: (spec: ResourceSpec) => {
				log.push(`register ${spec.kind} ${spec.name} ${spec.applicationName ?? ''}`);
				return {id: 'r1', name: spec.name, update: (patch) => log.push(`update pid ${patch.pid === undefined ? '?' : 'known'}`), release: (how) => log.push(`release ${how}`)};
			},
		},
	};
}

describe('runChild', () => {
	it('hands over each line of stdout and stderr as it arrives, keeps a bounded tail and returns the exit code', async () => {
		const lines: ChildLine[] = [];
		const result = await runChild({file: 'sh', args: ['-c', 'for i in 1 2 3 4 5; do echo out$i; done; echo err1 >&2; printf last; exit 3'], onLine: (l) => lines.push(l), tailLines: 3});
		expect(result.exitCode).toBe(3);
		expect(result.signal).toBeUndefined();
		expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['out1', 'out2', 'out3', 'out4', 'out5', 'last']);
		expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(['err1']);
		expect(result.tail).toHaveLength(3);
		expect(Date.parse(result.endedAt) - Date.parse(result.startedAt)).toBeGreaterThanOrEqual(0);
	});

	it('reads a flooding child one chunk at a time: the event loop gets a turn between any two 64 KB of its output', async () => {
		// Without the pause libuv reads a full pipe up to 32 times in a row (~50 000 lines here) before stdin or a timer is looked at.
		const perChunk = Math.ceil(65_536 / 41);
		let sinceTurn = 0;
		let most = 0;
		let lines = 0;
		let running = true;
		const turn = () => {
			most = Math.max(most, sinceTurn);
			sinceTurn = 0;
			if (running) setImmediate(turn);
		};
		setImmediate(turn);
		const result = await runChild({file: 'sh', args: ['-c', 'yes 0123456789012345678901234567890123456789 | head -c 20000000'], onLine: () => {
			sinceTurn += 1;
			lines += 1;
		}});
		running = false;
		expect(result.exitCode).toBe(0);
		expect(lines).toBe(Math.ceil(20_000_000 / 41));
		expect(most).toBeLessThanOrEqual(2 * perChunk);
	});

	it('names a binary that is not on PATH with the install hint, as an error the operator can fix', async () => {
		const {tracker, log} = recordingTracker();
		const error = await runChild({file: 'runbook-no-such-binary', args: [], installHint: 'Install the frobnicator.', track: {resources: tracker, purpose: 'test'}}).catch((e: unknown) => e);
		expect(isUserError(error)).toBe(true);
		expect((error as Error).message).toBe('`runbook-no-such-binary` was not found on PATH. Install the frobnicator.');
		// Registered before it was started, released although it never ran.
		expect(log[0]).toMatch(/^register process runbook-no-such-binary runbook$/);
		expect(log.at(-1)).toMatch(/^release /);
	});

	it('journals the child before it starts, its pid once known, and its end', async () => {
		const {tracker, log} = recordingTracker();
		const result = await runChild({file: 'true', args: [], env: {PGAPPNAME: 'runbook:test:1'}, track: {resources: tracker, purpose: 'test'}});
		expect(result.exitCode).toBe(0);
		expect(log).toEqual(['register process true runbook:test:1', 'update pid known', 'release exited with code 0']);
	});

	it('inherits the environment, adds the caller\'s, removes what it sets to undefined, and runs with C messages and PGAPPNAME', async () => {
		process.env['RUNBOOK_CHILD_TEST_KEEP'] = 'kept';
		process.env['RUNBOOK_CHILD_TEST_DROP'] = 'dropped';
		try {
			const result = await runChild({file: 'sh', args: ['-c', 'echo "$RUNBOOK_CHILD_TEST_KEEP/${RUNBOOK_CHILD_TEST_DROP-unset}/$RUNBOOK_CHILD_TEST_ADD/$LC_MESSAGES/$PGAPPNAME"'], env: {RUNBOOK_CHILD_TEST_DROP: undefined, RUNBOOK_CHILD_TEST_ADD: 'added'}});
			expect(result.tail.map((l) => l.line)).toEqual(['kept/unset/added/C/runbook']);
		} finally {
			delete process.env['RUNBOOK_CHILD_TEST_KEEP'];
			delete process.env['RUNBOOK_CHILD_TEST_DROP'];
		}
	});

	it('writes stdout into a file when asked (replacing what was there) and still reads stderr line by line', async () => {
		const file = path.join(dir, 'out.txt');
		const first = await runChild({file: 'sh', args: ['-c', 'echo one; echo two; echo note >&2'], stdoutFile: file});
		expect(first.exitCode).toBe(0);
		expect(first.tail).toEqual([{stream: 'stderr', line: 'note'}]);
		await runChild({file: 'sh', args: ['-c', 'echo three'], stdoutFile: file, cwd: dir});
		expect(readFileSync(file, 'utf8')).toBe('three\n');
	});

	it('ends a cancelled child with SIGTERM', async () => {
		const abort = new AbortController();
		const started = Date.now();
		const run = runChild({file: 'sleep', args: ['30'], signal: abort.signal, onSpawn: () => setTimeout(() => abort.abort(), 50)});
		const result = await run;
		expect(result.signal).toBe('SIGTERM');
		expect(result.exitCode).toBe(128);
		expect(Date.now() - started).toBeLessThan(5000);
	});

	it('does not start a cancelled child\'s work: already aborted, it is ended at once', async () => {
		const abort = new AbortController();
		abort.abort();
		const result = await runChild({file: 'sleep', args: ['30'], signal: abort.signal});
		expect(result.signal).toBe('SIGTERM');
	});

	it('ends a child at its timeout, and kills one that ignores SIGTERM 2 s later', async () => {
		const timedOut = await runChild({file: 'sleep', args: ['30'], timeoutMs: 100});
		expect(timedOut.signal).toBe('SIGTERM');
		const started = Date.now();
		const stubborn = await runChild({file: 'sh', args: ['-c', "trap '' TERM; exec sleep 30"], timeoutMs: 100});
		expect(stubborn.signal).toBe('SIGKILL');
		const took = Date.now() - started;
		expect(took).toBeGreaterThanOrEqual(2000);
		expect(took).toBeLessThan(10_000);
	});
});
