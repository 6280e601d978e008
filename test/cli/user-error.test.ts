/**
 * The entry bundle and each light command's bundle carry their own copy of
 * errors.ts (scripts/bundle.mjs), so a UserError thrown by one copy is judged
 * by another's `instanceof`/`isUserError`. A second instance of the module
 * (a query string makes vite load it again) stands for the other bundle.
 */
import {describe, expect, it} from 'vitest';
import {UserError, isUserError} from '../../source/errors.js';
import {PlanError} from '../../source/plan/load.js';

describe('UserError across copies of errors.ts', () => {
	it('is recognised by another copy of the class, and a plain error is not', async () => {
		const secondCopy = '../../source/errors.js?second-copy';
		const other = (await import(/* @vite-ignore */ secondCopy)) as typeof import('../../source/errors.js');
		expect(other.UserError).not.toBe(UserError);
		const thrown = new other.UserError('The plan file is missing.', {exitCode: 3});
		expect(Object.getPrototypeOf(thrown)).not.toBe(UserError.prototype);
		expect(thrown instanceof UserError).toBe(true);
		expect(isUserError(thrown)).toBe(true);
		expect(other.isUserError(new UserError('x'))).toBe(true);
		expect(isUserError(new Error('a bug'))).toBe(false);
		expect(isUserError({message: 'looks like one', exitCode: 2, name: 'UserError'})).toBe(false);
		expect(isUserError(null)).toBe(false);
	});

	it('keeps the prototype check for a subclass: a UserError is not a PlanError', () => {
		expect(new UserError('x') instanceof PlanError).toBe(false);
		const planError = new PlanError('bad plan', []);
		expect(planError instanceof PlanError).toBe(true);
		expect(planError instanceof UserError).toBe(true);
	});
});
