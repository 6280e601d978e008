/**
 * The plan's Step 3 "Option B": register the Railway databases from their URLs
 * with a parameterised script instead of the unsafe heredoc (review §2 items
 * 13–15). The placeholder rows that `006_register_railway_databases.sql`
 * inserted (status 'inactive', no secret) are updated in place, found by
 * project (by ref, exactly one) and name; every value travels as a query
 * parameter. `connection_string` keeps the URL the application reads (its
 * contract, decision 3) and the encryption trigger stores an encrypted copy.
 * Then the plan's three checks (2 rows, encrypted, decryptable to exactly the
 * given URL, and the application's URL column equal to it) and "no active row
 * holds a placeholder" run, and
 * the evidence comes back with masked values only.
 *
 * Idempotent: a row that already decrypts to the given URL with the same
 * fields is left untouched ('unchanged').
 */
import type pg from 'pg';
import {withTargetOrClient} from '../db/connect.js';
import {redact, type Target} from '../db/target.js';
import {UserError, errorMessage} from '../errors.js';
import {parseServiceUrl, type ServiceType, type ServiceUrl} from './parse-url.js';
import {DEFAULT_PROJECT_RULE, resolveProject} from './project.js';

export const RAILWAY_REDIS_NAME = 'Railway Redis';
export const RAILWAY_MONGODB_NAME = 'Railway MongoDB';

export type RegisterInput = {
	/** A connected client, or a target to connect to. */
	readonly client: pg.ClientBase | Target;
	/**
	 * 'own' (default): BEGIN … COMMIT here, then verify. 'caller': the client is
	 * already inside the caller's transaction (say, with its ledger row); no
	 * BEGIN/COMMIT/ROLLBACK is issued and the checks see the uncommitted rows.
	 */
	readonly transaction?: 'own' | 'caller';
	/** The project whose placeholder rows are registered (default: the plan's rule, the single project of organization `lancio`). */
	readonly projectRef?: string;
	/** REDIS_URL. */
	readonly redisUrl: string;
	/** MONGODB_URL / MONGO_URL; when absent the MongoDB row stays inactive. */
	readonly mongoUrl?: string;
};

export type RegistrationAction = 'updated' | 'unchanged' | 'left-inactive';

export type RegisteredRow = {
	readonly id: string;
	readonly name: string;
	readonly type: ServiceType;
	readonly action: RegistrationAction;
	readonly status: string;
	readonly host: string;
	readonly port: number;
	readonly database: string | null;
	readonly username: string | null;
	readonly sslEnabled: boolean | null;
	/** connection_string_encrypted is set. */
	readonly encrypted: boolean;
	/** connection_string, the URL the application reads, equals the registered URL (compared server-side). */
	readonly urlMatches: boolean;
	/** The registered URL, masked; null for a row left inactive. */
	readonly masked: string | null;
};

export type CheckStatus = 'pass' | 'fail' | 'skip';

export type RegistrationCheck = {
	readonly id: 'rows' | 'active' | 'encrypted' | 'decryptable' | 'no-placeholder';
	readonly title: string;
	readonly status: CheckStatus;
	readonly expected: string;
	readonly actual: string;
};

export type RegistrationResult = {
	readonly projectRef: string;
	readonly projectId: string;
	readonly rows: readonly RegisteredRow[];
	readonly checks: readonly RegistrationCheck[];
	/** Every check passed or was skipped. */
	readonly ok: boolean;
	/** Names of rows deliberately left inactive (MongoDB not given). */
	readonly inactive: readonly string[];
};

type Wanted = {
	readonly name: string;
	readonly type: ServiceType;
	readonly url: ServiceUrl;
	readonly config: Record<string, unknown>;
};

function configFor(url: ServiceUrl): Record<string, unknown> {
	if (url.type === 'redis') {
		return {db: Number(url.database ?? '0'), tls: url.tls};
	}
	const config: Record<string, unknown> = {srv: url.srv, tls: url.tls};
	if (url.hosts.length > 1) config['hosts'] = url.hosts.map((h) => `${h.host}:${h.port}`);
	for (const [key, value] of Object.entries(url.options)) {
		config[key] = /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : /^\d+$/.test(value) ? Number(value) : value;
	}
	if (config['authSource'] === undefined) config['authSource'] = url.options['authSource'] ?? 'admin';
	return config;
}

function parseWanted(input: RegisterInput): Wanted[] {
	const redis = parseServiceUrl(input.redisUrl, 'REDIS_URL');
	if (redis.type !== 'redis') {
		throw new UserError(`REDIS_URL (${redis.masked}) is a ${redis.type} URL. Give the Railway Redis service’s redis:// or rediss:// URL.`);
	}
	const wanted: Wanted[] = [{name: RAILWAY_REDIS_NAME, type: 'redis', url: redis, config: configFor(redis)}];
	if (input.mongoUrl !== undefined && input.mongoUrl.trim() !== '') {
		const mongo = parseServiceUrl(input.mongoUrl, 'MONGODB_URL');
		if (mongo.type !== 'mongodb') {
			throw new UserError(`MONGODB_URL (${mongo.masked}) is a ${mongo.type} URL. Give the Railway MongoDB service’s mongodb:// or mongodb+srv:// URL.`);
		}
		wanted.push({name: RAILWAY_MONGODB_NAME, type: 'mongodb', url: mongo, config: configFor(mongo)});
	}
	return wanted;
}

/** Compares the decrypted string with `url` server-side; the plaintext never comes back. Errors (wrong key) are false. */
async function decryptsTo(client: pg.ClientBase, id: string, url: string, inTransaction: boolean): Promise<{matches: boolean; error?: string}> {
	return comparesTo(client, 'SELECT platform.decrypt_database_connection_string($1::uuid) IS NOT DISTINCT FROM $2::text AS matches', id, url, inTransaction);
}

/** Compares a value of the row with `url` server-side with `sql` ($1 id, $2 url); errors are false. */
async function comparesTo(client: pg.ClientBase, sql: string, id: string, url: string, inTransaction: boolean): Promise<{matches: boolean; error?: string}> {
	if (inTransaction) await client.query('SAVEPOINT runbook_decrypt');
	try {
		const {rows} = await client.query<{matches: boolean | null}>(sql, [id, url]);
		if (inTransaction) await client.query('RELEASE SAVEPOINT runbook_decrypt');
		return {matches: rows[0]?.matches === true};
	} catch (error) {
		if (inTransaction) await client.query('ROLLBACK TO SAVEPOINT runbook_decrypt');
		return {matches: false, error: errorMessage(error)};
	}
}

type RowState = {
	id: string;
	status: string;
	host: string;
	port: number;
	database: string | null;
	username: string | null;
	ssl_enabled: boolean | null;
	config_matches: boolean;
};

async function registerOne(client: pg.ClientBase, projectId: string, projectRef: string, want: Wanted): Promise<RegistrationAction> {
	const {rows} = await client.query<RowState>(
		`SELECT id::text AS id, status, host, port, database, username, ssl_enabled,
			coalesce(config, '{}'::jsonb) @> $4::jsonb AS config_matches
		FROM platform.databases
		WHERE project_id = $1::uuid AND name = $2 AND type = $3
		FOR UPDATE`,
		[projectId, want.name, want.type, JSON.stringify(want.config)],
	);
	if (rows.length !== 1) {
		throw new UserError(
			rows.length === 0
				? `The placeholder row \`${want.name}\` (type ${want.type}) of project \`${projectRef}\` is missing from platform.databases. Apply 006_register_railway_databases.sql first (it inserts the inactive placeholders), then register again.`
				: `${rows.length} rows named \`${want.name}\` (type ${want.type}) exist for project \`${projectRef}\`; registration updates exactly one. Remove the duplicates, then register again.`,
		);
	}
	const row = rows[0]!;
	const url = want.url;
	const database = url.database ?? null;
	const username = url.username ?? null;
	const same =
		row.status === 'active' &&
		row.host === url.host &&
		row.port === url.port &&
		row.database === database &&
		row.username === username &&
		row.ssl_enabled === url.tls &&
		row.config_matches &&
		(await decryptsTo(client, row.id, url.raw, true)).matches;
	if (same) return 'unchanged';
	await client.query(
		`UPDATE platform.databases
		SET connection_string = $2,
			connection_string_encrypted = NULL, -- the trigger encrypts $2 again (a stale copy is never kept)
			host = $3,
			port = $4,
			database = $5,
			username = $6,
			ssl_enabled = $7,
			config = coalesce(config, '{}'::jsonb) || $8::jsonb,
			metadata = (coalesce(metadata, '{}'::jsonb) - 'placeholder') || jsonb_build_object('registered_at', now(), 'registered_by', 'runbook'),
			status = 'active'
		WHERE id = $1::uuid`,
		[row.id, url.raw, url.host, url.port, database, username, url.tls, JSON.stringify(want.config)],
	);
	return 'updated';
}

type StoredRow = {
	id: string;
	name: string;
	type: ServiceType;
	status: string;
	host: string;
	port: number;
	database: string | null;
	username: string | null;
	ssl_enabled: boolean | null;
	encrypted: boolean;
	placeholder_text: boolean;
};

async function verify(
	client: pg.ClientBase,
	projectId: string,
	wanted: readonly Wanted[],
	actions: ReadonlyMap<string, RegistrationAction>,
	secrets: readonly string[],
	inTransaction: boolean,
): Promise<{rows: RegisteredRow[]; checks: RegistrationCheck[]; inactive: string[]}> {
	const names = [RAILWAY_MONGODB_NAME, RAILWAY_REDIS_NAME];
	const {rows: stored} = await client.query<StoredRow>(
		`SELECT d.id::text AS id, d.name, d.type, d.status, d.host, d.port, d.database, d.username, d.ssl_enabled,
			d.connection_string_encrypted IS NOT NULL AS encrypted,
			(to_jsonb(d) - 'connection_string_encrypted' - 'connection_string')::text ILIKE '%placeholder%' AS placeholder_text
		FROM platform.databases d
		WHERE d.project_id = $1::uuid AND d.name = ANY($2::text[])
		ORDER BY d.type, d.name`,
		[projectId, names],
	);
	const byName = new Map(wanted.map((w) => [w.name, w]));
	const urlMatches = new Map<string, boolean>();
	for (const r of stored) {
		const want = byName.get(r.name);
		if (want) urlMatches.set(r.name, (await comparesTo(client, 'SELECT connection_string IS NOT DISTINCT FROM $2::text AS matches FROM platform.databases WHERE id = $1::uuid', r.id, want.url.raw, inTransaction)).matches);
	}
	const rows: RegisteredRow[] = stored.map((r) => ({
		id: r.id,
		name: r.name,
		type: r.type,
		action: actions.get(r.name) ?? 'left-inactive',
		status: r.status,
		host: r.host,
		port: r.port,
		database: r.database,
		username: r.username,
		sslEnabled: r.ssl_enabled,
		encrypted: r.encrypted,
		urlMatches: urlMatches.get(r.name) ?? false,
		masked: byName.get(r.name)?.url.masked ?? null,
	}));
	const registered = stored.filter((r) => byName.has(r.name));
	const inactive = stored.filter((r) => !byName.has(r.name)).map((r) => r.name);
	const checks: RegistrationCheck[] = [];

	checks.push({
		id: 'rows',
		title: 'Databases registered (MongoDB and Redis rows)',
		status: stored.length === 2 ? 'pass' : 'fail',
		expected: '2 rows',
		actual: `${stored.length} ${stored.length === 1 ? 'row' : 'rows'}${stored.length > 0 ? ` (${stored.map((r) => r.name).join(', ')})` : ''}`,
	});

	const notActive = registered.filter((r) => r.status !== 'active');
	const activeExpected = wanted.map((w) => w.name).join(', ');
	checks.push({
		id: 'active',
		title: "Registered rows have status = 'active'",
		status: notActive.length === 0 && registered.length === wanted.length ? 'pass' : 'fail',
		expected: `active: ${activeExpected}${inactive.length > 0 ? `; left inactive: ${inactive.join(', ')} (no URL given)` : ''}`,
		actual:
			registered.map((r) => `${r.name} ${r.status}`).join(', ') +
			(inactive.length > 0 ? `; ${inactive.map((n) => `${n} ${stored.find((r) => r.name === n)?.status ?? '?'}`).join(', ')}` : ''),
	});

	const unencrypted = registered.filter((r) => !r.encrypted || !urlMatches.get(r.name));
	checks.push({
		id: 'encrypted',
		title: 'Connection strings encrypted, and connection_string is the URL the application reads',
		status: unencrypted.length === 0 && registered.length > 0 ? 'pass' : 'fail',
		expected: `is_encrypted = t and connection_string = the registered URL for ${registered.length === 1 ? 'the registered row' : `all ${registered.length} registered rows`}`,
		actual:
			unencrypted.length === 0
				? `encrypted, URL readable by the application: ${registered.map((r) => r.name).join(', ')}`
				: unencrypted.map((r) => `${r.name}: ${r.encrypted ? 'encrypted' : 'NOT encrypted'}, ${urlMatches.get(r.name) ? 'connection_string is the URL' : 'connection_string is NOT the registered URL (the application would connect elsewhere or get NULL)'}`).join('; '),
	});

	const decryptResults: string[] = [];
	let decryptOk = registered.length > 0;
	for (const r of registered) {
		const result = await decryptsTo(client, r.id, byName.get(r.name)!.url.raw, inTransaction);
		if (!result.matches) decryptOk = false;
		decryptResults.push(`${r.name}: ${result.matches ? 'decrypts to the given URL' : result.error ? `decryption failed (${redact(result.error, secrets)})` : 'decrypts to a DIFFERENT value'}`);
	}
	checks.push({
		id: 'decryptable',
		title: 'Decryption returns exactly the registered URL',
		status: decryptOk ? 'pass' : 'fail',
		expected: 'can_decrypt = t, equal to the given URL, for every registered row',
		actual: decryptResults.join('; ') || 'no registered row',
	});

	const placeholders: string[] = [];
	for (const r of registered) {
		const internalWithoutSecret = r.host.endsWith('.railway.internal') && !r.encrypted;
		let decryptedPlaceholder = false;
		if (r.encrypted) {
			// The URL was compared with the given one above; a placeholder in it would be in the given URL itself.
			decryptedPlaceholder = /placeholder/i.test(byName.get(r.name)!.url.raw);
		}
		if (internalWithoutSecret || r.placeholder_text || decryptedPlaceholder) {
			const why = [internalWithoutSecret ? 'railway.internal host with no ciphertext' : '', r.placeholder_text ? "'PLACEHOLDER' in a column" : '', decryptedPlaceholder ? "'PLACEHOLDER' in the connection string" : '']
				.filter(Boolean)
				.join(', ');
			placeholders.push(`${r.name} (${why})`);
		}
	}
	checks.push({
		id: 'no-placeholder',
		title: 'No registered row still holds a placeholder',
		status: placeholders.length === 0 && registered.length > 0 ? 'pass' : 'fail',
		expected: 'no placeholder host, URL or text in the active rows',
		actual: placeholders.length === 0 ? `none in ${registered.map((r) => r.name).join(', ')}` : `placeholder left in ${placeholders.join('; ')}`,
	});
	return {rows, checks, inactive};
}

/** Registers REDIS_URL (and MONGODB_URL when given) into the placeholder rows, then verifies. */
export async function registerRailwayDatabases(input: RegisterInput): Promise<RegistrationResult> {
	const wanted = parseWanted(input);
	const secrets = [...new Set(wanted.flatMap((w) => w.url.secrets))].sort((a, b) => b.length - a.length);
	return withTargetOrClient(input.client, 'runbook-register', async (client) => {
		const resolution = await resolveProject(client, DEFAULT_PROJECT_RULE, input.projectRef);
		if (!resolution.ok) throw new UserError(resolution.message);
		const projectRef = resolution.project.ref;
		const actions = new Map<string, RegistrationAction>();
		const own = input.transaction !== 'caller';
		let projectId: string;
		if (own) await client.query('BEGIN');
		try {
			projectId = resolution.project.id;
			for (const want of wanted) actions.set(want.name, await registerOne(client, projectId, projectRef, want));
			if (own) await client.query('COMMIT');
		} catch (error) {
			if (own) await client.query('ROLLBACK').catch(() => undefined);
			if (error instanceof UserError) throw error;
			throw new UserError(
				`Registering the Railway databases for project \`${projectRef}\` failed and was rolled back, so nothing changed: ${redact(errorMessage(error), secrets)}. Check that 006_add_platform_databases_table.sql and 006_register_railway_databases.sql were applied and that this role may update platform.databases, then register again.`,
				{cause: redactCause(error, secrets)},
			);
		}
		const {rows, checks, inactive} = await verify(client, projectId, wanted, actions, secrets, !own);
		return {
			projectRef,
			projectId,
			rows,
			checks,
			ok: checks.every((c) => c.status !== 'fail'),
			inactive,
		};
	});
}

/** A pg error's message and SQLSTATE, without its detail (which can echo a row). */
function redactCause(error: unknown, secrets: readonly string[]): Error {
	const cause = new Error(redact(errorMessage(error), secrets));
	const code = (error as {code?: unknown}).code;
	if (typeof code === 'string') (cause as Error & {code?: string}).code = code;
	return cause;
}
