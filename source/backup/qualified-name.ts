/**
 * `"My Schema".x` → `My Schema.x`; unquoted names are returned as they are.
 * pg_dump (fmtId) and format('%I') quote slightly different sets of keywords,
 * so names from a dump and from the catalog are compared unquoted.
 */
export function unquoteQualified(name: string): string {
	const parts: string[] = [];
	const re = /"((?:[^"]|"")*)"|([^."]+)/g;
	let match: RegExpExecArray | null;
	while ((match = re.exec(name.trim())) !== null) parts.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : (match[2] ?? ''));
	return parts.join('.');
}
