/**
 * Runs `node dist/cli.js …` as a child (through proc/child.ts), with the
 * database URL in the environment only, and measures its wall time and the
 * node process's peak memory.
 */
import {runChild, type ChildResult} from '../source/proc/child.js';
import {sampleMemory, type MemoryReport} from './proc-memory.js';
import {CLI} from './context.js';

export type CliRun = {readonly result: ChildResult; readonly wallMs: number; readonly memory: MemoryReport};

export async function runCli(args: readonly string[], databaseUrl: string, extraEnv: Readonly<Record<string, string>> = {}): Promise<CliRun> {
	let sampler: ReturnType<typeof sampleMemory> | undefined;
	const started = performance.now();
	const result = await runChild({
		file: process.execPath,
		args: [CLI, ...args],
		env: {DATABASE_URL: databaseUrl, ...extraEnv},
		tailLines: 60,
		onSpawn: (pid) => {
			sampler = sampleMemory(pid);
		},
	});
	const wallMs = performance.now() - started;
	const memory = sampler ? await sampler.stop() : {peakKb: 0, maxRssKb: 0, samples: []};
	return {result, wallMs, memory};
}

export function assertExit(run: CliRun | ChildResult, what: string): void {
	const result = 'result' in run ? run.result : run;
	if (result.exitCode !== 0) {
		throw new Error(`${what} exited with ${result.exitCode}:\n${result.tail.map((l) => l.line).join('\n')}`);
	}
}
