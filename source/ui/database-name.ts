/** The database name of a target user@host:port/db: the part after the last `/`. */
export function databaseName(target: string): string {
	const tail = target.slice(target.lastIndexOf('/') + 1);
	return tail.split('?')[0] ?? tail;
}
