/**
 * A real redis-server for the health tests, on a free loopback port, without
 * persistence. Started with a password (and optionally extra ACL users);
 * resolves once it logs that it accepts connections.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {createInterface} from 'node:readline';
import {freePort} from '../../source/sandbox/server.js';

export type RedisServer = {
	readonly port: number;
	readonly stop: () => Promise<void>;
};

export type RedisOptions = {
	readonly password: string;
	readonly users?: ReadonlyArray<{name: string; password: string}>;
	/** Serve TLS only (no plain port), with this certificate and key (PEM files). */
	readonly tls?: {readonly certFile: string; readonly keyFile: string};
};

export async function startRedis(options: RedisOptions): Promise<RedisServer> {
	const port = await freePort();
	const listen = options.tls
		? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile, '--tls-auth-clients', 'no']
		: ['--port', String(port)];
	const args = [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', options.password, '--logfile', ''];
	for (const user of options.users ?? []) args.push('--user', user.name, 'on', `>${user.password}`, '~*', '&*', '+@all');
	const child: ChildProcess = spawn('redis-server', args, {stdio: ['ignore', 'pipe', 'pipe']});
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	await new Promise<void>((resolve, reject) => {
		const lines = createInterface({input: child.stdout!});
		const log: string[] = [];
		lines.on('line', (line) => {
			log.push(line);
			if (line.includes('Ready to accept connections')) resolve();
		});
		child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${log.slice(-5).join('\n')}`)));
		child.once('error', reject);
	});
	let stopped = false;
	return {
		port,
		stop: async () => {
			if (stopped) return;
			stopped = true;
			child.kill('SIGTERM');
			await exited;
		},
	};
}
