/**
 * What pg_dump keeps only with --create, and a swap restore would otherwise
 * lose: the database's own owner, grants (GRANT CONNECT/CREATE/TEMP) and
 * settings (ALTER DATABASE … SET, ALTER ROLE … IN DATABASE … SET), and its
 * connection limit. Read from the database being replaced (in memory only: a
 * setting may be a secret, such as app.database_encryption_key), applied to
 * the restored copy before the switch, and compared after it.
 */
import type pg from 'pg';

export type DatabaseLevel = {
	readonly owner: string;
	readonly connectionLimit: number;
	/** Explicit grants; undefined when the ACL is the default (NULL). */
	readonly grants?: ReadonlyArray<{readonly grantee: string; readonly privilege: string; readonly grantable: boolean}>;
	readonly settings: ReadonlyArray<{readonly role?: string; readonly name: string; readonly value: string}>;
};

export async function readDatabaseLevel(client: pg.ClientBase, database: string): Promise<DatabaseLevel | undefined> {
	const db = await client.query<{owner: string; connlimit: number; has_acl: boolean}>(
		'SELECT pg_get_userbyid(datdba) AS owner, datconnlimit AS connlimit, datacl IS NOT NULL AS has_acl FROM pg_database WHERE datname = $1',
		[database],
	);
	const row = db.rows[0];
	if (!row) return undefined;
	const grants = row.has_acl
		? (
				await client.query<{grantee: string; privilege: string; grantable: boolean}>(
					`SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
					   FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1 ORDER BY 1, 2`,
					[database],
				)
			).rows
		: undefined;
	const settings = await client.query<{role: string | null; config: string[]}>(
		`SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END AS role, s.setconfig AS config
		   FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1`,
		[database],
	);
	return {
		owner: row.owner,
		connectionLimit: row.connlimit,
		...(grants ? {grants} : {}),
		settings: settings.rows
			.flatMap((r) =>
				r.config.map((entry) => {
					const at = entry.indexOf('=');
					return {...(r.role ? {role: r.role} : {}), name: entry.slice(0, at), value: entry.slice(at + 1)};
				}),
			)
			.sort((a, b) => `${a.role ?? ''}/${a.name}`.localeCompare(`${b.role ?? ''}/${b.name}`)),
	};
}

async function run(client: pg.ClientBase, formatSql: string, params: unknown[]): Promise<void> {
	const {rows} = await client.query<{sql: string}>(`SELECT ${formatSql} AS sql`, params);
	await client.query(rows[0]!.sql);
}

/** Gives `database` the owner, grants, settings and connection limit of `level`. Every name and value goes through format() on the server. */
export async function applyDatabaseLevel(client: pg.ClientBase, database: string, level: DatabaseLevel): Promise<void> {
	await run(client, `format('ALTER DATABASE %I OWNER TO %I', $1::text, $2::text)`, [database, level.owner]);
	await run(client, `format('ALTER DATABASE %I CONNECTION LIMIT %s', $1::text, $2::int)`, [database, level.connectionLimit]);
	if (level.grants) {
		await run(client, `format('REVOKE ALL ON DATABASE %I FROM PUBLIC', $1::text)`, [database]);
		for (const g of level.grants) {
			await run(
				client,
				`format('GRANT %s ON DATABASE %I TO %s%s', $1::text, $2::text, CASE WHEN $3::text = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident($3::text) END, CASE WHEN $4::boolean THEN ' WITH GRANT OPTION' ELSE '' END)`,
				[g.privilege, database, g.grantee, g.grantable],
			);
		}
	}
	for (const s of level.settings) {
		if (s.role) await run(client, `format('ALTER ROLE %I IN DATABASE %I SET %I = %L', $1::text, $2::text, $3::text, $4::text)`, [s.role, database, s.name, s.value]);
		else await run(client, `format('ALTER DATABASE %I SET %I = %L', $1::text, $2::text, $3::text)`, [database, s.name, s.value]);
	}
}

/** What differs between two levels, by name only (values may be secrets); empty when equal. */
export function databaseLevelDifferences(expected: DatabaseLevel, actual: DatabaseLevel | undefined): string[] {
	if (!actual) return ['the database is missing'];
	const out: string[] = [];
	if (expected.owner !== actual.owner) out.push(`owner ${actual.owner}, expected ${expected.owner}`);
	if (expected.connectionLimit !== actual.connectionLimit) out.push(`connection limit ${actual.connectionLimit}, expected ${expected.connectionLimit}`);
	const grants = (l: DatabaseLevel) => (l.grants ? l.grants.map((g) => `${g.privilege} to ${g.grantee}${g.grantable ? ' with grant option' : ''}`).sort() : ['(default)']);
	const eg = grants(expected);
	const ag = grants(actual);
	for (const g of eg.filter((x) => !ag.includes(x))) out.push(`grant missing: ${g}`);
	for (const g of ag.filter((x) => !eg.includes(x))) out.push(`grant not expected: ${g}`);
	const key = (s: DatabaseLevel['settings'][number]) => `${s.role ? `role ${s.role}: ` : ''}${s.name}`;
	for (const s of expected.settings) {
		const a = actual.settings.find((x) => key(x) === key(s));
		if (!a) out.push(`setting missing: ${key(s)}`);
		else if (a.value !== s.value) out.push(`setting differs: ${key(s)}`);
	}
	for (const s of actual.settings.filter((x) => !expected.settings.some((e) => key(e) === key(x)))) out.push(`setting not expected: ${key(s)}`);
	return out;
}

/** One line for the evidence, names only. */
export function describeDatabaseLevel(level: DatabaseLevel): string {
	const grants = level.grants ? level.grants.filter((g) => g.grantee !== level.owner).map((g) => `${g.privilege} to ${g.grantee}`).join(', ') || 'none besides the owner' : 'default';
	const settings = level.settings.map((s) => (s.role ? `${s.name} (role ${s.role})` : s.name)).join(', ') || 'none';
	return `owner ${level.owner}; grants: ${grants}; settings: ${settings}; connection limit ${level.connectionLimit}`;
}
