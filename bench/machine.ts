/** The machine the figures were measured on. */
import {readFileSync} from 'node:fs';
import os from 'node:os';
import {runChild} from '../source/proc/child.js';
import {adminQuery} from '../source/sandbox/server.js';
import type {Target} from '../source/db/target.js';

export type Machine = {
	readonly cpu: string;
	readonly cores: number;
	readonly ramGiB: number;
	readonly os: string;
	readonly node: string;
	readonly postgresServer: string;
	readonly pgDump: string;
	readonly pgbench: string;
	readonly tmux: string;
	readonly loadAverageAtStart: readonly number[];
};

async function versionOf(file: string, args: readonly string[]): Promise<string> {
	try {
		const result = await runChild({file, args});
		return result.tail.map((l) => l.line).join(' ').trim();
	} catch {
		return 'not found';
	}
}

export async function describeMachine(admin: Target): Promise<Machine> {
	const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
	const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
	const server = await adminQuery(admin, 'SELECT version() AS v');
	return {
		cpu: model.trim(),
		cores: os.cpus().length,
		ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
		os: `${os.type()} ${os.release()}`,
		node: process.version,
		postgresServer: String((server.rows[0] as {v: string}).v),
		pgDump: await versionOf('pg_dump', ['--version']),
		pgbench: await versionOf('pgbench', ['--version']),
		tmux: await versionOf('tmux', ['-V']),
		loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
	};
}
