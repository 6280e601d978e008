/**
 * `runbook sandbox`: a throwaway PostgreSQL 15 with 001–005 and realistic
 * data. Prints DATABASE_URL=<url> on a line of its own once ready, stays up
 * until Ctrl-C or SIGTERM, and removes everything on exit.
 */
import {startServer, createDatabase} from '../sandbox/server.js';
import {preparePrerequisites} from '../sandbox/prepare.js';
import type {CliOptions} from './options.js';
import {SANDBOX_DATABASE} from './target.js';

export async function sandboxCommand(options: CliOptions): Promise<number> {
	const log = (line: string) => process.stderr.write(`${line}\n`);
	log('starting a throwaway PostgreSQL 15 …');
	const server = await startServer();
	const stop = async () => {
		await server.stop();
	};
	try {
		const target = await createDatabase(server.admin, SANDBOX_DATABASE);
		log(`applying 001–005 and data at scale ${options.scale} …`);
		await preparePrerequisites(target, {scale: options.scale, onProgress: (m) => log(m)});
	} catch (error) {
		await stop();
		throw error;
	}
	const url = new URL(server.adminUrl);
	url.pathname = `/${SANDBOX_DATABASE}`;
	process.stdout.write(`DATABASE_URL=${url.toString()}\n`);
	log('ready; Ctrl-C stops it and removes its files');
	await new Promise<void>((resolve) => {
		const done = () => resolve();
		process.once('SIGINT', done);
		process.once('SIGTERM', done);
		process.once('SIGHUP', done);
	});
	await stop();
	return 0;
}
