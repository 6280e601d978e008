/**
 * Memory of one process, sampled from /proc/<pid>/status: the largest VmRSS
 * seen and the kernel's own high-water mark VmHWM (the true peak, even between
 * samples). Sampling stops by itself when the process is gone.
 */
import {readFile} from 'node:fs/promises';

export type MemorySample = {readonly atMs: number; readonly rssKb: number};

export type MemoryReport = {
	/** The kernel's peak resident set (VmHWM) at the last successful read, KiB. */
	readonly peakKb: number;
	/** The largest VmRSS sampled, KiB. */
	readonly maxRssKb: number;
	readonly samples: readonly MemorySample[];
};

export type MemorySampler = {readonly stop: () => Promise<MemoryReport>};

async function readStatus(pid: number): Promise<{rssKb: number; hwmKb: number} | undefined> {
	try {
		const text = await readFile(`/proc/${pid}/status`, 'utf8');
		const rss = /^VmRSS:\s+(\d+) kB/m.exec(text);
		const hwm = /^VmHWM:\s+(\d+) kB/m.exec(text);
		if (!rss || !hwm) return undefined;
		return {rssKb: Number(rss[1]), hwmKb: Number(hwm[1])};
	} catch {
		return undefined;
	}
}

export function sampleMemory(pid: number, intervalMs = 50): MemorySampler {
	const started = Date.now();
	const samples: MemorySample[] = [];
	let peakKb = 0;
	let maxRssKb = 0;
	let running = true;
	const loop = (async () => {
		while (running) {
			const status = await readStatus(pid);
			if (!status) break;
			peakKb = Math.max(peakKb, status.hwmKb);
			maxRssKb = Math.max(maxRssKb, status.rssKb);
			samples.push({atMs: Date.now() - started, rssKb: status.rssKb});
			await new Promise((resolve) => setTimeout(resolve, intervalMs));
		}
	})();
	return {
		stop: async () => {
			running = false;
			await loop;
			return {peakKb, maxRssKb, samples};
		},
	};
}
