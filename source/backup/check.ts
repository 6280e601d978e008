/** One named check with its evidence, as precheck, verify and restore report them. */
export type BackupCheck = {
	readonly name: string;
	readonly ok: boolean;
	/** What was found, in one line; for a failure, what is wrong and where. */
	readonly detail: string;
};

/** `name: detail` of the first failed check, or undefined when all passed. */
export function firstFailure(checks: readonly BackupCheck[]): string | undefined {
	const failed = checks.find((c) => !c.ok);
	return failed ? `${failed.name}: ${failed.detail}` : undefined;
}
