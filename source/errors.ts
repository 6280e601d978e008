/**
 * Two kinds of errors, as the operator sees them.
 *
 * `UserError`: something the operator can fix (a wrong URL, a missing binary,
 * a malformed plan). Its message is one paragraph: what was wrong, where, and
 * what to do next. Printed without a stack trace; exit code 2 unless given.
 *
 * Anything else is our bug: printed with "this is a bug in runbook" and the stack.
 */
export class UserError extends Error {
	readonly exitCode: number;
	constructor(message: string, options: {cause?: unknown; exitCode?: number} = {}) {
		super(message, options.cause === undefined ? undefined : {cause: options.cause});
		this.name = 'UserError';
		this.exitCode = options.exitCode ?? 2;
	}
}

export function isUserError(error: unknown): error is UserError {
	return error instanceof UserError;
}

export function errorMessage(error: unknown): string {
	if (error instanceof Error) return error.message;
	return String(error);
}
