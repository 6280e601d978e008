/**
 * Health checks of the registered databases, written back with
 * `platform.update_database_health(id, status, error)`: 'healthy', or
 * 'unhealthy' with the masked error. Only active rows are probed; a row left
 * inactive (a placeholder) is reported as skipped and never written, so its
 * health fields stay NULL until a real check exists (review §2 item 23).
 *
 * The URL probed is the caller's for that type (for example REDIS_PUBLIC_URL
 * when the registered URL is on Railway's private network), otherwise the
 * row's own registered URL, decrypted in memory.
 */
import type pg from 'pg';
import {withTargetOrClient} from '../db/connect.js';
import {redact, type Target} from '../db/target.js';
import {errorMessage} from '../errors.js';
import type {ServiceType} from '../railway/parse-url.js';
import {pingMongo} from './mongo.js';
import {pingRedis} from './redis.js';
import type {ProbeOutcome, ProbeResult} from './probe-result.js';
import {recordHealth} from './record.js';

export type HealthStatus = 'healthy' | 'unhealthy' | 'skipped';

export type DatabaseHealth = {
	readonly id: string;
	readonly name: string;
	readonly type: ServiceType | 'postgresql';
	readonly status: HealthStatus;
	readonly outcome: ProbeOutcome | 'skipped';
	readonly latencyMs: number | null;
	/** Masked. */
	readonly error?: string;
	/** Where the URL came from: the caller's override or the registered row. */
	readonly urlSource: 'given' | 'registered' | null;
	/** update_database_health returned true. */
	readonly recorded: boolean;
};

export type CheckRegisteredOptions = {
	readonly target: Target | pg.ClientBase;
	/** Limit to one project (by ref); default: every project. */
	readonly projectRef?: string;
	/** Probe this Redis URL instead of the registered one. */
	readonly redisUrl?: string;
	/** Probe this MongoDB URL instead of the registered one. */
	readonly mongoUrl?: string;
	/** Per probe (default 3000 ms). */
	readonly timeoutMs?: number;
	/** Write the results with update_database_health (default true). */
	readonly record?: boolean;
};

type Row = {id: string; name: string; type: ServiceType | 'postgresql'; status: string};

/** Probes every registered database (active rows), records the results, and reports per row. */
export async function checkRegisteredDatabases(options: CheckRegisteredOptions): Promise<DatabaseHealth[]> {
	const secrets = [options.redisUrl, options.mongoUrl].filter((s): s is string => s !== undefined && s.length >= 3);
	return withTargetOrClient(options.target, 'runbook-health', async (client) => {
		const {rows} = await client.query<Row>(
			`SELECT d.id::text AS id, d.name, d.type, d.status
			FROM platform.databases d
			JOIN platform.projects p ON p.id = d.project_id
			WHERE ($1::text IS NULL OR p.ref = $1)
			ORDER BY d.type, d.name`,
			[options.projectRef ?? null],
		);
		const results: DatabaseHealth[] = [];
		for (const row of rows) {
			const skipped = (error: string): DatabaseHealth => ({
				id: row.id,
				name: row.name,
				type: row.type,
				status: 'skipped',
				outcome: 'skipped',
				latencyMs: null,
				error,
				urlSource: null,
				recorded: false,
			});
			if (row.status !== 'active') {
				results.push(skipped(`status is '${row.status}': not registered, not probed`));
				continue;
			}
			if (row.type === 'postgresql') {
				results.push(skipped('PostgreSQL rows are not probed by this check'));
				continue;
			}
			const given = row.type === 'redis' ? options.redisUrl : options.mongoUrl;
			let url = given;
			if (url === undefined) {
				try {
					const {rows: decrypted} = await client.query<{url: string | null}>(
						'SELECT platform.decrypt_database_connection_string($1::uuid) AS url',
						[row.id],
					);
					url = decrypted[0]?.url ?? undefined;
				} catch (error) {
					results.push(skipped(`the registered URL could not be decrypted (${redact(errorMessage(error), secrets)})`));
					continue;
				}
				if (url === undefined) {
					results.push(skipped('no registered URL (connection_string_encrypted is NULL)'));
					continue;
				}
			}
			const probeOptions = {timeoutMs: options.timeoutMs ?? 3000};
			const probe = row.type === 'redis' ? await pingRedis(url, probeOptions) : await pingMongo(url, probeOptions);
			const masked: ProbeResult = probe.error === undefined ? probe : {...probe, error: redact(probe.error, [...secrets, url])};
			const recorded = options.record === false ? false : await recordHealth(client, row.id, masked);
			results.push({
				id: row.id,
				name: row.name,
				type: row.type,
				status: masked.ok ? 'healthy' : 'unhealthy',
				outcome: masked.outcome,
				latencyMs: masked.latencyMs,
				...(masked.error === undefined ? {} : {error: masked.error}),
				urlSource: given === undefined ? 'registered' : 'given',
				recorded,
			});
		}
		return results;
	});
}
