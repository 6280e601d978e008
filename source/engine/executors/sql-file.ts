/**
 * A SQL file run by psql as a child process:
 *   psql -X -v ON_ERROR_STOP=1 --single-transaction -f guard.sql -f <file> -f record.sql
 * so the migration and its ledger row commit together or not at all. The
 * session runs with lock_timeout (and statement_timeout when set); a lock
 * timeout is retried with exponential backoff and jitter, and while psql waits
 * the engine watches pg_blocking_pids() to name who blocks it.
 */
import {childConnectionFailure} from '../../db/connect-failure.js';
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {SqlFileItem, TagCount} from '../../plan/schema.js';
import {sqlFilePath} from '../../plan/loaded.js';
import {resolveParams} from './query.js';
import type {ExecContext, Outcome} from '../context.js';
import {runPsql} from '../../proc/psql.js';
import {findClientTool} from '../../backup/tools.js';
import {appliedMigrations, fileSha256, INFLIGHT_LOCK_CLASS, LEDGER_GUARD_SQL, LEDGER_RECORD_SQL, planLockKey} from '../../db/ledger.js';
import {redact} from '../../db/target.js';
import {startLockSampler, type LockSamples} from '../../db/lock-sampler.js';
import {measureRehearsedMigration} from '../../rehearsal/measure-file.js';
import {serverOf} from '../../backup/restore.js';

/**
 * The guard and ledger files psql runs around a migration, in the run's state
 * directory, named per execution with the run's id. Journaled before they
 * are written and released once removed after psql: a kill in between leaves
 * a record that --resume and `runbook cleanup` act on.
 */
function wrapperFiles(ctx: ExecContext): {guard: string; record: string; remove: () => void} {
	const dir = path.join(ctx.stateDir, 'psql');
	mkdirSync(dir, {recursive: true, mode: 0o700});
	const stem = `${ctx.resources.runTag}_${ctx.executionId.slice(0, 8)}`;
	const files = {guard: path.join(dir, `guard_${stem}.sql`), record: path.join(dir, `record_${stem}.sql`)};
	const purpose = `psql wrapper (ledger guard and record) for ${ctx.item.id}`;
	// One fsync for the pair: the second registration makes both durable before either file is written.
	const handles = [
		ctx.resources.register({kind: 'file', name: files.guard, purpose, itemId: ctx.item.id}, {sync: false}),
		ctx.resources.register({kind: 'file', name: files.record, purpose, itemId: ctx.item.id}),
	];
	writeFileSync(files.guard, LEDGER_GUARD_SQL, {mode: 0o600});
	writeFileSync(files.record, LEDGER_RECORD_SQL, {mode: 0o600});
	return {
		...files,
		// Released without an fsync of their own (the item's result follows at once): a resumed run that finds them open finds the files gone.
		remove: () => {
			for (const h of handles) {
				rmSync(h.name, {force: true});
				h.release('removed', {sync: false});
			}
		},
	};
}

type Blocker = {pid: number; query: string; state: string; xact_seconds: number; application_name: string; usename: string};

function delay(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		const onAbort = () => {
			clearTimeout(timer);
			resolve();
		};
		const timer = setTimeout(() => {
			signal.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		signal.addEventListener('abort', onAbort, {once: true});
	});
}

export function backoffMs(attempt: number, baseMs: number, random = Math.random): number {
	const capped = Math.min(baseMs * 2 ** attempt, 30_000);
	return Math.round(capped * (0.5 + random()));
}

function formatSeconds(seconds: number): string {
	const s = Math.round(seconds);
	return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function describeBlockers(blockers: readonly Blocker[]): string {
	return blockers
		.map((b) => `pid ${b.pid} (user ${b.usename || '?'}, application ${b.application_name || '?'}, ${b.state || 'unknown state'}, transaction open ${formatSeconds(b.xact_seconds)}) running \`${b.query.replace(/\s+/g, ' ').slice(0, 160)}\``)
		.join('; ');
}

export async function runSqlFile(ctx: ExecContext<SqlFileItem>): Promise<Outcome> {
	const item = ctx.item;
	const file = sqlFilePath(ctx.plan, item.file);
	const sha256 = await fileSha256(file);
	const planId = ctx.plan.plan.id;
	const shown = `psql -X -v ON_ERROR_STOP=1 --single-transaction -f ${path.relative(process.cwd(), file) || file}  (${ctx.target.display}, lock_timeout=${ctx.settings.lockTimeoutMs}ms)`;

	if (item.migration) {
		const applied = (await appliedMigrations(ctx.client, planId)).get(item.id);
		if (applied) {
			if (applied.sha256 !== sha256) {
				return {
					ok: false,
					evidence: {command: shown, expected: `sha256 ${applied.sha256.slice(0, 16)}… (as applied)`, actual: `sha256 ${sha256.slice(0, 16)}… (file now)`},
					error: `${item.file} was applied by run ${applied.run_id} at ${applied.applied_at.toISOString()} with checksum ${applied.sha256.slice(0, 16)}…, but the file on disk now has checksum ${sha256.slice(0, 16)}…. An applied migration must not change. Restore the file as it was applied (git log -- ${item.file}), or write the change as a new migration.`,
				};
			}
			ctx.output(`already applied by run ${applied.run_id} at ${applied.applied_at.toISOString()}; not applying it twice`, 'info');
			return {
				ok: true,
				evidence: {command: shown, expected: 'applied exactly once', actual: `already in the ledger (run ${applied.run_id}, ${applied.applied_at.toISOString()})`, details: {sha256, alreadyApplied: true}},
				note: 'already applied (ledger)',
			};
		}
	}

	const appName = `runbook:${item.id}:${ctx.executionId.slice(0, 8)}`.slice(0, 63);
	const vars: Record<string, string> = {
		rb_lock_class: String(INFLIGHT_LOCK_CLASS),
		rb_lock_key: String(planLockKey(planId)),
		rb_plan: planId,
		rb_item: item.id,
		rb_file: item.file,
		rb_sha256: sha256,
		rb_run: ctx.runId,
		rb_execution: ctx.executionId,
		rb_action: item.reverts ? 'revert' : item.migration ? 'apply' : 'run',
	};
	if (item.migration) vars['rb_apply'] = '1';
	const fileVars = Object.entries(item.vars ?? {});
	const values = await resolveParams(ctx, fileVars.map(([, param]) => param));
	fileVars.forEach(([name], i) => {
		const value = values[i];
		if (value !== null && value !== undefined && value !== '') vars[name] = String(value);
	});
	if (item.reverts && item.reverts.length > 0) vars['rb_reverts'] = item.reverts.join(',');
	const settings: Record<string, string> = {lock_timeout: `${ctx.settings.lockTimeoutMs}ms`, ...(item.settings ?? {})};
	if (ctx.settings.statementTimeoutMs > 0) settings['statement_timeout'] = `${ctx.settings.statementTimeoutMs}ms`;
	// A rehearsal times every statement in the server's log (this session only) and samples its locks.
	const rehearsal = ctx.settings.rehearsal;
	if (rehearsal) settings['log_min_duration_statement'] = '0';
	let lockSamples: LockSamples | undefined;

	// Read by the preflight already (tools.ts keeps it): Debian's wrapper is skipped for the binary it would run, 30–150 ms a start.
	const psql = await findClientTool('psql', {paths: {psql: ctx.settings.binaries.psql}, env: ctx.target.childEnv()});
	const wrappers = wrapperFiles(ctx);
	const {guard, record} = wrappers;
	let lastBlockers: Blocker[] = [];
	const tags = new Map<string, number>();
	const maxAttempts = ctx.settings.lockRetries + 1;
	let last: Awaited<ReturnType<typeof runPsql>> | undefined;
	let lockTimeouts = 0;
	for (let attempt = 0; attempt < maxAttempts; attempt++) {
		if (attempt > 0) {
			const wait = backoffMs(attempt - 1, ctx.settings.retryDelayMs);
			ctx.output(`lock timeout or deadlock (attempt ${attempt} of ${maxAttempts}); blocked by ${lastBlockers.length > 0 ? describeBlockers(lastBlockers) : 'an unidentified session'}; retrying in ${wait} ms`, 'info');
			await delay(wait, ctx.signal);
			if (ctx.signal.aborted) break;
		}
		tags.clear();
		// Who blocks psql, asked every 250 ms while it runs; stopped the moment psql exits (a migration's end never waits for the next poll).
		const stopPolling = new AbortController();
		const pollSignal = AbortSignal.any([ctx.signal, stopPolling.signal]);
		const poll = (async () => {
			for (;;) {
				await delay(250, pollSignal);
				if (pollSignal.aborted) break;
				try {
					const {rows} = await ctx.client.query<Blocker>(
						`SELECT b.pid, left(coalesce(b.query, ''), 300) AS query, coalesce(b.state, '') AS state,
						        coalesce(extract(epoch FROM now() - b.xact_start), 0)::float8 AS xact_seconds,
						        coalesce(b.application_name, '') AS application_name, coalesce(b.usename, '') AS usename
						   FROM pg_stat_activity w
						   CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid)
						   JOIN pg_stat_activity b ON b.pid = bp.pid
						  WHERE w.application_name = $1`,
						[appName],
					);
					if (rows.length > 0) {
						const fresh = rows.map((r) => ({...r, query: redact(r.query, ctx.target.secrets)}));
						const pids = (list: readonly Blocker[]) => list.map((b) => b.pid).join(',');
						if (pids(fresh) !== pids(lastBlockers)) ctx.progress(`waiting for a lock held by ${describeBlockers(fresh)}`);
						lastBlockers = fresh;
					}
				} catch {
					// the pane shows connection trouble; the migration's own result decides
				}
			}
		})();
		const sampler = rehearsal ? await startLockSampler(ctx.target, appName, rehearsal.lockSampleMs) : undefined;
		try {
			last = await runPsql({
				target: ctx.target,
				psqlPath: psql.path,
				...(psql.env ? {extraEnv: psql.env} : {}),
				steps: sampler ? [{file: guard}, {file}, {command: sampler.settleSql}, {file: record}] : [{file: guard}, {file}, {file: record}],
				singleTransaction: true,
				vars,
				settings,
				applicationName: appName,
				signal: ctx.signal,
				// Its transaction commits or rolls back by itself, and the ledger says which: a resumed run waits for an orphan.
				track: {resources: ctx.resources, purpose: `psql running ${item.file}`, onOrphan: 'wait', server: serverOf(ctx.target), via: 'target', itemId: item.id},
				onLine: ({stream, line}) => {
					const tag = /^[A-Z][A-Z ]+[A-Z](?: \d+)*$/.exec(line.trim());
					if (tag) {
						const name = line.trim().replace(/(?: \d+)+$/, '');
						tags.set(name, (tags.get(name) ?? 0) + 1);
					}
					ctx.output(line, stream);
				},
			});
		} finally {
			stopPolling.abort();
			await poll;
			if (sampler) lockSamples = await sampler.stop();
		}
		const text = last.tail.map((l) => l.line).join('\n');
		if (last.exitCode === 0) break;
		// A lock timeout, or a deadlock the migration lost on purpose (its deadlock_timeout is shorter): both rolled back; retry.
		if (/lock timeout|deadlock detected/i.test(text) && !ctx.signal.aborted) {
			lockTimeouts += 1;
			continue;
		}
		break;
	}
	// A psql that could not even start (it throws) leaves them journaled: --resume and `runbook cleanup` remove them.
	wrappers.remove();
	const result = last!;
	const outputTail = result.tail.map((l) => redact(l.line, ctx.target.secrets));
	const tagSummary = [...tags].map(([t, n]) => (n > 1 ? `${t} ×${n}` : t)).join(', ');
	const measured = rehearsal && lockSamples && result.exitCode === 0 ? await measureRehearsedMigration({serverLog: rehearsal.serverLog, applicationName: appName, file, samples: lockSamples}) : undefined;
	const details = {sha256, file: item.file, tags: Object.fromEntries(tags), lockTimeouts, executionId: ctx.executionId, binary: psql.path, ...(measured ? {rehearsal: measured} : {})};
	if (ctx.signal.aborted) {
		return {ok: false, evidence: {command: shown, exitCode: result.exitCode, outputTail, details}, error: 'Interrupted: psql was stopped; its transaction rolled back (the ledger says so on --resume).'};
	}
	if (result.exitCode !== 0) {
		const errorLine = outputTail.find((l) => /ERROR:/.test(l)) ?? outputTail.at(-1) ?? `psql exited with ${result.exitCode}`;
		const lockFailure = /lock timeout|deadlock detected/i.test(outputTail.join('\n'));
		// psql could not reach the server: the same paragraph the driver gives for the same cause.
		const connection = childConnectionFailure(ctx.target, outputTail);
		const error = connection
			? `psql could not connect for ${item.file}, so nothing was applied. ${connection.message}`
			: lockFailure
			? `${item.file} could not get its locks within lock_timeout=${ctx.settings.lockTimeoutMs}ms after ${maxAttempts} attempt(s); nothing was applied (the transaction rolled back). Blocked by ${lastBlockers.length > 0 ? describeBlockers(lastBlockers) : 'a session that had finished by the time we looked'}. Ask that session to finish, or end it with SELECT pg_terminate_backend(<pid>), then retry (r).`
			: `${item.file} failed and its transaction rolled back, so the database is as it was before it: ${errorLine.trim()}`;
		return {
			ok: false,
			evidence: {command: shown, exitCode: result.exitCode, outputTail, expected: 'exit code 0, no ERROR', actual: `exit code ${result.exitCode}: ${errorLine.trim()}`, details: {...details, blockers: lastBlockers}},
			error,
			// Waiting for a lock is an operational problem (retry, or end the blocker), not a row of the matrix.
			...(lockFailure ? {matrixRow: null} : {}),
		};
	}
	// Expected command tags (the plan's "Expected Output"), each present, in order of first appearance.
	if ((item.expectTags && item.expectTags.length > 0) || item.expectTagCounts) {
		const expectTags = item.expectTags ?? [];
		const seen = [...tags.keys()];
		const counts = await expectedTagCounts(ctx, item.expectTagCounts ?? {});
		const short = counts.filter((c) => !c.ok(tags.get(c.tag) ?? 0)).map((c) => `${c.tag} ×${tags.get(c.tag) ?? 0} (expected ${c.text})`);
		const missing = [...expectTags.filter((t) => !tags.has(t)), ...short];
		const order = expectTags.filter((t) => tags.has(t)).map((t) => seen.indexOf(t));
		const inOrder = order.every((v, i) => i === 0 || v >= order[i - 1]!);
		const ok = missing.length === 0 && inOrder && !outputTail.some((l) => /^(ERROR|FATAL):/.test(l.trim()));
		return {
			ok,
			evidence: {command: shown, exitCode: 0, outputTail, expected: `exit 0, no ERROR; tags in order: ${expectTags.join(', ')}${counts.map((c) => `; ${c.tag} ×${c.text}`).join('')} (BEGIN/COMMIT come from --single-transaction)`, actual: `exit 0, tags: ${tagSummary}`, details},
			...(ok ? {} : {error: `The psql output does not show the expected command tags: ${missing.length > 0 ? `missing ${missing.join(', ')}` : 'out of order'}.`}),
		};
	}
	return {ok: true, evidence: {command: shown, exitCode: 0, outputTail, expected: 'exit code 0, no ERROR', actual: `exit 0${tagSummary ? `, tags: ${tagSummary}` : ''}`, details}};
}

type TagExpectation = {readonly tag: string; readonly text: string; readonly ok: (count: number) => boolean};

/** Each expected tag count: a fixed minimum, or exactly what a catalog query measures now (one per table), with the plan's figure beside it. */
async function expectedTagCounts(ctx: ExecContext, wanted: Readonly<Record<string, TagCount>>): Promise<TagExpectation[]> {
	const out: TagExpectation[] = [];
	for (const [tag, want] of Object.entries(wanted)) {
		if (typeof want === 'number') {
			out.push({tag, text: `≥ ${want}`, ok: (n) => n >= want});
			continue;
		}
		const {rows} = await ctx.client.query(want.sql);
		const measured = Number(Object.values((rows[0] ?? {}) as Record<string, unknown>)[0] ?? Number.NaN);
		out.push({tag, text: `${measured}, one per ${want.label}${want.plan ? ` (plan: ${want.plan})` : ''}`, ok: (n) => n === measured});
	}
	return out;
}
