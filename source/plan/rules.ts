/**
 * The operator's rules, in one place: which items may be skipped, and which
 * word confirms what (an irreversible item, a rollback level). The engine, the
 * scripted answers (--confirm-database), the TUI's rollback menu, `runbook
 * rollback N` and the tests' fake Controller all read them from here.
 */
import type {Item, RollbackLevel} from './schema.js';

/** Whether the operator may skip an item with a reason: never a gate or a migration. */
export function isSkippable(item: Item): boolean {
	if (item.kind === 'gate') return false;
	if (item.kind === 'sql-file' && item.migration) return false;
	return item.skippable ?? true;
}

/** Why skipping this item with this reason is refused, or undefined when it may be skipped. */
export function skipRefusal(item: Item, reason: string): string | undefined {
	if (!isSkippable(item)) return `${item.id} cannot be skipped: gates and migrations are never skipped. Retry it, or roll back.`;
	if (reason.trim().length < 3) return 'Give a reason for skipping (it goes into the journal and the report).';
	return undefined;
}

/** What a typed confirmation asks for: the target database's name, or `yes`. */
export type ConfirmKind = 'database-name' | 'yes';

/** A rollback level's confirmation: the plan's `confirm`, else `yes` for level 1 and the database name for 2 and 3. */
export function rollbackConfirmKind(level: Pick<RollbackLevel, 'level' | 'confirm'>): ConfirmKind {
	return level.confirm ?? (level.level >= 2 ? 'database-name' : 'yes');
}

/** The exact word to type for a confirmation of this kind on this database. */
export function confirmWord(kind: ConfirmKind, databaseName: string): string {
	return kind === 'database-name' ? databaseName : 'yes';
}

/** The word that starts a rollback level on this database. */
export function rollbackConfirmWord(level: Pick<RollbackLevel, 'level' | 'confirm'>, databaseName: string): string {
	return confirmWord(rollbackConfirmKind(level), databaseName);
}

/** How a prompt names what to type ("the database name" / "yes"). */
export function confirmPhrase(kind: ConfirmKind): string {
	return kind === 'database-name' ? 'the database name' : 'yes';
}

/** Why starting a rollback level with this typed word is refused, or undefined when the word is right. */
export function rollbackRefusal(level: Pick<RollbackLevel, 'level' | 'confirm'>, databaseName: string, typed: string | undefined): string | undefined {
	const kind = rollbackConfirmKind(level);
	if (typed === confirmWord(kind, databaseName)) return undefined;
	return `Rollback level ${level.level} needs ${kind === 'database-name' ? `the database name (${databaseName})` : 'yes'} typed.`;
}
