/**
 * Where the start-up time goes: a `node --cpu-prof` profile summarised as self
 * time per package (node_modules/<name>), per dist/ directory, node's own
 * internals, and the rest (idle, GC, program), over its first `untilMs`.
 */
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';

type ProfileNode = {id: number; callFrame: {url: string; functionName: string}};
type Profile = {nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]};

function bucket(url: string, functionName: string): string {
	if (!url) return functionName.startsWith('(') ? functionName : '(native)';
	const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
	if (nm) return nm[1]!;
	const dist = /\/dist\/([^/]+)(?:\/|$)/.exec(url);
	if (dist) return `dist/${dist[1]!.replace(/\.js$/, '')}`;
	if (url.startsWith('node:')) return '(node internals)';
	return path.basename(url);
}

export function summarizeProfile(dir: string, untilMs: number, top = 8): Array<{name: string; ms: number}> {
	const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
	if (!file) return [];
	const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Profile;
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const totals = new Map<string, number>();
	let elapsedUs = 0;
	for (const [i, id] of profile.samples.entries()) {
		elapsedUs += profile.timeDeltas[i] ?? 0;
		if (elapsedUs > untilMs * 1000) break;
		const node = byId.get(id);
		const name = node ? bucket(node.callFrame.url, node.callFrame.functionName) : '(unknown)';
		totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
	}
	return [...totals].map(([name, ms]) => ({name, ms: Math.round(ms)})).sort((a, b) => b.ms - a.ms).slice(0, top);
}
