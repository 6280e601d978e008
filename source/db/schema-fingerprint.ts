/**
 * A schema's fingerprint: its catalog as sorted lines of text — tables with
 * their RLS flags, columns (type, nullability, default), constraints, indexes,
 * views, functions (signature and a hash of the body), triggers, policies,
 * sequences — and the sha256 of those lines. Two databases with the same
 * schema have the same fingerprint whatever their data, owners or OIDs; the
 * lines themselves say what differs when they do not.
 */
import {createHash} from 'node:crypto';
import type pg from 'pg';

export type SchemaFingerprint = {
	readonly schemas: readonly string[];
	readonly sha256: string;
	readonly entries: readonly string[];
};

const SQL = `
WITH s AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY ($1::text[])),
rel AS (SELECT c.oid, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, s.nspname FROM pg_class c JOIN s ON s.oid = c.relnamespace)
SELECT line FROM (
	SELECT format('%s %I.%I rls=%s force=%s', CASE relkind WHEN 'p' THEN 'partitioned-table' ELSE 'table' END, nspname, relname, relrowsecurity, relforcerowsecurity) AS line
	  FROM rel WHERE relkind IN ('r', 'p')
	UNION ALL
	SELECT format('column %I.%I.%I %s%s%s', r.nspname, r.relname, a.attname, format_type(a.atttypid, a.atttypmod),
	              CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
	              coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''))
	  FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
	  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	 WHERE r.relkind IN ('r', 'p', 'v', 'm')
	UNION ALL
	SELECT format('constraint %I.%I.%I %s', r.nspname, r.relname, co.conname, pg_get_constraintdef(co.oid))
	  FROM pg_constraint co JOIN rel r ON r.oid = co.conrelid
	UNION ALL
	SELECT format('index %s', pg_get_indexdef(i.indexrelid)) FROM pg_index i JOIN rel r ON r.oid = i.indrelid
	UNION ALL
	SELECT format('%s %I.%I md5:%s', CASE relkind WHEN 'm' THEN 'materialized-view' ELSE 'view' END, nspname, relname, md5(pg_get_viewdef(oid)))
	  FROM rel WHERE relkind IN ('v', 'm')
	UNION ALL
	SELECT format('sequence %I.%I', nspname, relname) FROM rel WHERE relkind = 'S'
	UNION ALL
	SELECT format('function %I.%I(%s) returns %s %s md5:%s', s.nspname, p.proname, pg_get_function_identity_arguments(p.oid),
	              coalesce(pg_get_function_result(p.oid), '-'), CASE WHEN p.prosecdef THEN 'security definer' ELSE 'invoker' END, md5(p.prosrc))
	  FROM pg_proc p JOIN s ON s.oid = p.pronamespace
	 WHERE NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_proc'::regclass AND dep.objid = p.oid AND dep.deptype = 'e')
	UNION ALL
	SELECT format('trigger %s', pg_get_triggerdef(t.oid)) FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
	UNION ALL
	SELECT format('policy %I.%I.%I %s %s to %s using %s check %s', pol.schemaname, pol.tablename, pol.policyname, pol.permissive, pol.cmd,
	              array_to_string(pol.roles, ','), coalesce(pol.qual, '-'), coalesce(pol.with_check, '-'))
	  FROM pg_policies pol WHERE pol.schemaname = ANY ($1::text[])
) lines ORDER BY line COLLATE "C"`;

export async function schemaFingerprint(client: pg.ClientBase, schemas: readonly string[]): Promise<SchemaFingerprint> {
	const {rows} = await client.query<{line: string}>(SQL, [[...schemas]]);
	const entries = rows.map((r) => r.line.replace(/\s+/g, ' '));
	const sha256 = createHash('sha256').update(entries.join('\n')).digest('hex');
	return {schemas: [...schemas], sha256, entries};
}

export type FingerprintDiff = {readonly missing: readonly string[]; readonly added: readonly string[]};

/** What the rehearsed schema had that this one lacks (missing) and what this one has in addition (added). */
export function diffFingerprints(rehearsed: SchemaFingerprint, now: SchemaFingerprint): FingerprintDiff {
	const a = new Set(rehearsed.entries);
	const b = new Set(now.entries);
	return {missing: rehearsed.entries.filter((e) => !b.has(e)), added: now.entries.filter((e) => !a.has(e))};
}
