/**
 * The target as user@host:port/db. The controller already gives that form;
 * this is the screen's own guard: a URL is reduced to its display form and a
 * `user:password@` is cut to `user@`, so no password can be shown.
 */
import {parseTarget} from '../db/target.js';

export function safeTarget(target: string): string {
	if (target.includes('://')) {
		try {
			return parseTarget(target).display;
		} catch {
			return '(target hidden: not a valid URL)';
		}
	}
	return target.replace(/^([^:@/\s]*):[^@\s]*@/, '$1@');
}
