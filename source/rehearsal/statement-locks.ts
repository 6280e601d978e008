/**
 * Which tables a migration file will lock, and in which mode, from its
 * statement kinds alone — what the GO gate shows when there is no rehearsal
 * to say what the locks really were. PostgreSQL's documented lock levels:
 * ALTER TABLE, CREATE/DROP POLICY, DROP TABLE → ACCESS EXCLUSIVE; CREATE
 * INDEX → SHARE (CONCURRENTLY: SHARE UPDATE EXCLUSIVE); CREATE TRIGGER and a
 * foreign key's referenced table → SHARE ROW EXCLUSIVE; COMMENT ON TABLE →
 * SHARE UPDATE EXCLUSIVE; INSERT/UPDATE/DELETE → ROW EXCLUSIVE; LOCK TABLE →
 * the mode it names. ALTER TABLE forms that take less are counted as ACCESS
 * EXCLUSIVE (the safe side).
 *
 * Statements built at run time (a DO block's EXECUTE format('ALTER TABLE
 * %I.%I …'), or a SELECT format(…) run by psql's \gexec) over a catalog
 * query for one schema lock every table of that schema: reported as
 * `schema.*`, expanded from the catalog at the gate.
 */

export type StaticLock = {
	/** As written (`platform.users`), or `schema.*` for every table of a schema. */
	readonly relation: string;
	readonly mode: string;
	/** The statement kind that takes it. */
	readonly because: string;
};

const NAME = String.raw`((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))?)`;

const RULES: ReadonlyArray<{readonly pattern: RegExp; readonly mode: string; readonly because: string}> = [
	{pattern: new RegExp(String.raw`\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${NAME}`, 'gi'), mode: 'AccessExclusiveLock', because: 'ALTER TABLE'},
	{pattern: new RegExp(String.raw`\b(?:CREATE|DROP|ALTER)\s+POLICY\s+(?:IF\s+EXISTS\s+)?(?:"[^"]+"|\w+)\s+ON\s+${NAME}`, 'gi'), mode: 'AccessExclusiveLock', because: 'CREATE/DROP POLICY'},
	{pattern: new RegExp(String.raw`\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?${NAME}`, 'gi'), mode: 'AccessExclusiveLock', because: 'DROP TABLE'},
	{pattern: new RegExp(String.raw`\bTRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?${NAME}`, 'gi'), mode: 'AccessExclusiveLock', because: 'TRUNCATE'},
	{pattern: new RegExp(String.raw`\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)(?:IF\s+NOT\s+EXISTS\s+)?(?:(?:"[^"]+"|\w+)\s+)?ON\s+(?:ONLY\s+)?${NAME}`, 'gi'), mode: 'ShareLock', because: 'CREATE INDEX'},
	{pattern: new RegExp(String.raw`\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:(?:"[^"]+"|\w+)\s+)?ON\s+(?:ONLY\s+)?${NAME}`, 'gi'), mode: 'ShareUpdateExclusiveLock', because: 'CREATE INDEX CONCURRENTLY'},
	{pattern: new RegExp(String.raw`\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+(?:"[^"]+"|\w+)[\s\S]{0,200}?\bON\s+${NAME}`, 'gi'), mode: 'ShareRowExclusiveLock', because: 'CREATE TRIGGER'},
	{pattern: new RegExp(String.raw`\bREFERENCES\s+${NAME}`, 'gi'), mode: 'ShareRowExclusiveLock', because: 'FOREIGN KEY (referenced table)'},
	{pattern: new RegExp(String.raw`\bCOMMENT\s+ON\s+(?:TABLE|COLUMN)\s+${NAME}`, 'gi'), mode: 'ShareUpdateExclusiveLock', because: 'COMMENT ON'},
	{pattern: new RegExp(String.raw`\bINSERT\s+INTO\s+${NAME}`, 'gi'), mode: 'RowExclusiveLock', because: 'INSERT'},
	{pattern: new RegExp(String.raw`\bUPDATE\s+(?:ONLY\s+)?${NAME}\s+(?:AS\s+\w+\s+)?SET\b`, 'gi'), mode: 'RowExclusiveLock', because: 'UPDATE'},
	{pattern: new RegExp(String.raw`\bDELETE\s+FROM\s+(?:ONLY\s+)?${NAME}`, 'gi'), mode: 'RowExclusiveLock', because: 'DELETE'},
];

const LOCK_TABLE = new RegExp(String.raw`\bLOCK\s+(?:TABLE\s+)?(?:ONLY\s+)?${NAME}\s+IN\s+((?:\w+\s+)+?)MODE`, 'gi');

function stripComments(sql: string): string {
	return sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

function modeName(words: string): string {
	return `${words
		.trim()
		.toLowerCase()
		.split(/\s+/)
		.map((w) => w.charAt(0).toUpperCase() + w.slice(1))
		.join('')}Lock`;
}

export function staticLocks(sql: string): StaticLock[] {
	const text = stripComments(sql);
	const out = new Map<string, StaticLock>();
	const add = (relation: string, mode: string, because: string) => {
		const key = `${relation}\u0000${mode}`;
		if (!out.has(key)) out.set(key, {relation, mode, because});
	};
	// Statements built at run time — EXECUTE format('ALTER TABLE %I.%I …') in a DO block, or a
	// SELECT format(…) that psql runs with \gexec — over one schema's catalog lock every table of it.
	for (const m of text.matchAll(/format\s*\(\s*'\s*(ALTER\s+TABLE|CREATE\s+POLICY|DROP\s+POLICY)[^']*%I/gi)) {
		const rest = text.slice(m.index, m.index + 4000);
		const end = rest.search(/\\gexec|\$\w*\$/);
		const schema = /\b(?:schemaname|nspname|table_schema)\s*=\s*'([^']+)'/i.exec(end > 0 ? rest.slice(0, end) : rest)?.[1];
		if (schema) add(`${schema}.*`, 'AccessExclusiveLock', `${m[1]!.replace(/\s+/g, ' ').toUpperCase()} built from the catalog of ${schema} (dynamic)`);
	}
	const staticText = text.replace(/\bDO\s+(\$\w*\$)[\s\S]*?\1/gi, ' ');
	for (const rule of RULES) {
		// COMMENT ON COLUMN s.t.c: the name pattern stops at s.t, the table.
		for (const m of staticText.matchAll(rule.pattern)) add(m[1]!, rule.mode, rule.because);
	}
	for (const m of staticText.matchAll(LOCK_TABLE)) add(m[1]!, modeName(m[2]!), 'LOCK TABLE');
	return [...out.values()];
}
