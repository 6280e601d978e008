/**
 * Two kinds of errors, as the operator sees them.
 *
 * `UserError`: something the operator can fix (a wrong URL, a missing binary,
 * a malformed plan). Its message is one paragraph: what was wrong, where, and
 * what to do next. Printed without a stack trace; exit code 2 unless given.
 *
 * Anything else is our bug: printed with "this is a bug in runbook" and the stack.
 */
const USER_ERROR = Symbol.for('runbook.UserError');

export class UserError extends Error {
	readonly exitCode: number;
	/** Marks the error for `instanceof` across bundles (see below). */
	readonly [USER_ERROR] = true;
	/**
	 * The entry bundle and the bundles of the commands each carry their own copy of this class (scripts/bundle.mjs),
	 * so an error thrown in one is checked in another: `instanceof UserError` asks for the mark, not the prototype.
	 * Subclasses (PlanError) keep the prototype check.
	 */
	static override [Symbol.hasInstance](value: unknown): boolean {
		if (this !== UserError) return Function.prototype[Symbol.hasInstance].call(this, value);
		return typeof value === 'object' && value !== null && (value as {[USER_ERROR]?: unknown})[USER_ERROR] === true;
	}
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
