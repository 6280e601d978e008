/**
 * The backup's own server session (the exported snapshot, the catalog sizes
 * and the exact row counts in it) at the lowest CPU priority, when the server
 * runs on this machine: the counts then take only the CPU that pg_dump and
 * the backend feeding it leave, instead of a share of it. On a remote server
 * nothing can be done, and nothing is tried.
 *
 * The backend's pid is the server's word for it, so it is used only once
 * this machine's process table agrees that the pid is that very session:
 * a connection over loopback TCP whose process title (`postgres: user db
 * 127.0.0.1(PORT) …`) names our socket's own port, which the server also
 * reports as the client's port; or a Unix-socket connection whose pid is a
 * `postgres:` process serving `[local]`. A pool in between (pgbouncer), a
 * container's port forwarding or another pid namespace fails that match, and
 * the priority is left alone. Linux only; a refusal (another user's server,
 * no CAP_SYS_NICE) is no error either.
 */
import {readFileSync} from 'node:fs';
import {setPriority} from 'node:os';
import type pg from 'pg';

/** Lowest priority (nice 19). */
const LOWEST = 19;

type SocketLike = {readonly remoteAddress?: string; readonly localPort?: number};

function socketOf(client: pg.Client): SocketLike | undefined {
	// pg keeps its socket on the connection; not in its types.
	return (client as unknown as {connection?: {stream?: SocketLike}}).connection?.stream;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** Whether `title` (a /proc cmdline) is a postgres backend serving the given client: `(port)` over TCP, `[local]` over a Unix socket. */
export function titleMatches(title: string, client: {readonly port: number} | 'unix'): boolean {
	const text = title.replace(/\0+/g, ' ').trim();
	if (!text.startsWith('postgres: ')) return false;
	return client === 'unix' ? / \[local\]( |$)/.test(text) : new RegExp(`\\(${client.port}\\)( |$)`).test(text);
}

/**
 * Lowers the priority of `client`'s backend when it is provably a process on
 * this machine. `pid` and `clientPort` are what the server said
 * (pg_backend_pid(), inet_client_port()). Returns whether it was lowered.
 */
export function lowerLocalBackendPriority(client: pg.Client, pid: number, clientPort: number | null, procRoot = '/proc'): boolean {
	if (process.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return false;
	const socket = socketOf(client);
	if (!socket) return false;
	let who: {readonly port: number} | 'unix';
	if (socket.remoteAddress === undefined) who = 'unix';
	else if (LOOPBACK.test(socket.remoteAddress) && socket.localPort !== undefined && socket.localPort === clientPort) who = {port: socket.localPort};
	else return false;
	let title: string;
	try {
		title = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8');
	} catch {
		return false;
	}
	if (!titleMatches(title, who)) return false;
	try {
		setPriority(pid, LOWEST);
		return true;
	} catch {
		return false;
	}
}
