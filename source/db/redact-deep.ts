/**
 * Redacts every string in plain data before it is formatted, so no escaping
 * (Markdown backslashes, cut cells) can split a secret the final pass would
 * otherwise have caught.
 */
import {redact} from './target.js';

export function redactDeep<T>(value: T, secrets: readonly string[]): T {
	if (typeof value === 'string') return redact(value, secrets) as T;
	if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, secrets)) as T;
	if (value !== null && typeof value === 'object') {
		const out: Record<string, unknown> = {};
		for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
			out[key] = key === 'secrets' ? inner : redactDeep(inner, secrets);
		}
		return out as T;
	}
	return value;
}
