/**
 * What the migration changed for security, and what it did not, measured from
 * the catalog and the rows (counts only; no value is read back): the report's
 * security line is built from this, so it states what is encrypted, what
 * still sits in plaintext at rest, and improvements only where they happened.
 */
import type {ClientBase} from 'pg';

/** The run data key the measured posture is kept under. */
export const SECURITY_DATA_KEY = 'security';

export type SecurityPosture = {
	/** Rows of platform.databases. */
	readonly rows: number;
	/** Rows with an encrypted copy of their connection string, by key. */
	readonly encrypted: {readonly total: number; readonly derivedKey: number; readonly configuredKey: number};
	/** Rows whose connection_string / password column holds plaintext. */
	readonly plaintext: {readonly urlRows: number; readonly passwordRows: number; readonly passwordColumn: boolean};
	readonly decrypt: {readonly notPublic: boolean; readonly searchPathPinned: boolean; readonly securityDefiner: boolean};
	/** Base tables of schema platform, and how many have RLS enabled. */
	readonly rls: {readonly tables: number; readonly enabled: number};
	readonly safeViewClean: boolean;
	/** Platform tables PUBLIC may SELECT (001's grants; plan-review #12). */
	readonly publicReadable: readonly string[];
};

const SQL = `
SELECT
	(SELECT count(*) FROM platform.databases)::int AS rows,
	(SELECT count(*) FROM platform.databases WHERE connection_string_encrypted IS NOT NULL)::int AS encrypted,
	(SELECT count(*) FROM platform.databases WHERE key_version = 1)::int AS derived_key,
	(SELECT count(*) FROM platform.databases WHERE key_version = 2)::int AS configured_key,
	(SELECT count(*) FROM platform.databases WHERE connection_string IS NOT NULL)::int AS plaintext_url,
	(SELECT count(*) FROM platform.databases d WHERE to_jsonb(d) ->> 'password' IS NOT NULL)::int AS plaintext_password,
	EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'platform' AND table_name = 'databases' AND column_name = 'password') AS password_column,
	NOT has_function_privilege('public', p.oid, 'EXECUTE') AS decrypt_not_public,
	coalesce(array_to_string(p.proconfig, ',') LIKE '%search_path=%', false) AS search_path_pinned,
	p.prosecdef AS security_definer,
	(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'platform' AND c.relkind = 'r')::int AS tables,
	(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'platform' AND c.relkind = 'r' AND c.relrowsecurity)::int AS rls_enabled,
	NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'platform' AND table_name = 'databases_safe'
		AND column_name IN ('connection_string', 'connection_string_encrypted', 'password', 'username', 'health_check_error')) AS safe_view_clean,
	coalesce((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'platform' AND c.relkind IN ('r', 'v') AND has_table_privilege('public', c.oid, 'SELECT')), '{}') AS public_readable
FROM pg_proc p WHERE p.oid = 'platform.decrypt_database_connection_string(uuid)'::regprocedure`;

type Row = {
	rows: number; encrypted: number; derived_key: number; configured_key: number; plaintext_url: number; plaintext_password: number; password_column: boolean;
	decrypt_not_public: boolean; search_path_pinned: boolean; security_definer: boolean; tables: number; rls_enabled: number; safe_view_clean: boolean; public_readable: string[];
};

export async function measureSecurityPosture(client: ClientBase): Promise<SecurityPosture> {
	const {rows} = await client.query<Row>(SQL);
	const r = rows[0]!;
	return {
		rows: r.rows,
		encrypted: {total: r.encrypted, derivedKey: r.derived_key, configuredKey: r.configured_key},
		plaintext: {urlRows: r.plaintext_url, passwordRows: r.plaintext_password, passwordColumn: r.password_column},
		decrypt: {notPublic: r.decrypt_not_public, searchPathPinned: r.search_path_pinned, securityDefiner: r.security_definer},
		rls: {tables: r.tables, enabled: r.rls_enabled},
		safeViewClean: r.safe_view_clean,
		publicReadable: r.public_readable,
	};
}

/** What did improve, each true or not: the only things "security posture improved" may claim. */
export function improvements(p: SecurityPosture): Array<{readonly what: string; readonly holds: boolean}> {
	return [
		{what: 'decrypt_database_connection_string not executable by PUBLIC', holds: p.decrypt.notPublic},
		{what: 'decrypt_database_connection_string has a pinned search_path (SECURITY DEFINER)', holds: p.decrypt.searchPathPinned && p.decrypt.securityDefiner},
		{what: `RLS on every platform table (${p.rls.enabled} of ${p.rls.tables})`, holds: p.rls.tables > 0 && p.rls.enabled === p.rls.tables},
		{what: 'databases_safe exposes no secret column', holds: p.safeViewClean},
	];
}

/** One paragraph each: what is encrypted, and what is still plaintext at rest. */
export function postureLines(p: SecurityPosture): {encrypted: string; plaintext: string} {
	const keys = [p.encrypted.derivedKey > 0 ? `${p.encrypted.derivedKey} with the plan's derived per-project key (weak: derivable by anyone who can read the row, #6)` : '', p.encrypted.configuredKey > 0 ? `${p.encrypted.configuredKey} with app.database_encryption_key` : '']
		.filter(Boolean)
		.join(', ');
	const without = p.rows - p.encrypted.total;
	const encrypted = `Encrypted: ${p.encrypted.total} connection string(s) of platform.databases have an encrypted copy in connection_string_encrypted${keys ? ` (${keys})` : ''}${without > 0 ? `; ${without} of ${p.rows} row(s) have none${p.plaintext.urlRows > p.encrypted.total ? ` (${p.plaintext.urlRows - p.encrypted.total} of them WITH a plaintext URL)` : ' (and no URL)'}` : ''}.`;
	const plain: string[] = [];
	if (p.plaintext.urlRows > 0) plain.push(`connection_string in ${p.plaintext.urlRows} row(s)`);
	if (p.plaintext.passwordRows > 0) plain.push(`password in ${p.plaintext.passwordRows} row(s)`);
	const columns = p.plaintext.passwordColumn ? 'the connection_string and password columns stay (the application reads and writes them)' : 'the password column is gone';
	const atRest = plain.length > 0 ? `Still plaintext at rest: ${plain.join(' and ')} of platform.databases — ${columns}, so the same plaintext is in every dump, WAL segment and backup.` : `No plaintext connection string or password in platform.databases (${columns}); dumps and backups taken earlier may still hold them.`;
	const publicNote = p.publicReadable.length > 0 ? ` PUBLIC can still SELECT ${p.publicReadable.join(', ')} (001's grants, #12), unchanged by 006.` : '';
	return {encrypted, plaintext: `${atRest}${publicNote}`};
}
