/**
 * The plan's "Application Testing" step: four endpoints, each expected to
 * answer 200 with a bearer token, and the decision matrix's reading of the
 * failures: every endpoint 403 is the CRITICAL row "All queries return 403"
 * (roll back); exactly one failing is the HIGH row "Single endpoint broken"
 * (fix forward). The token goes only into the Authorization header: it is
 * removed from every URL, body excerpt and error the result holds.
 */
import {redact} from '../db/target.js';
import {UserError, errorMessage} from '../errors.js';

export const PLAN_ENDPOINTS = [
	'/api/auth/validate',
	'/api/platform/organizations',
	'/api/platform/projects',
	'/api/platform/audit-logs',
] as const;

export type EndpointOutcome = 'ok' | 'forbidden' | 'http-error' | 'timeout' | 'network-error';

export type EndpointResult = {
	/** The path with its query (organizationId), no token. */
	readonly path: string;
	/** HTTP status, null when no response arrived. */
	readonly status: number | null;
	readonly ok: boolean;
	readonly outcome: EndpointOutcome;
	/** Time until the response headers arrived (or the failure), ms. */
	readonly latencyMs: number;
	/** The first bytes of the body as text (token removed). */
	readonly bodyStart: string;
	/** Why it failed, masked. */
	readonly error?: string;
};

export type MatrixRow = 'all-403' | 'single-endpoint';

export type AppCheckResult = {
	readonly endpoints: readonly EndpointResult[];
	/** Every endpoint answered 200. */
	readonly ok: boolean;
	/** Which row of the plan's decision matrix the failures match, if any. */
	readonly matrixRow: MatrixRow | null;
	readonly severity: 'CRITICAL' | 'HIGH' | null;
	/** The matrix's "Rollback?" column for that row. */
	readonly rollback: boolean;
	/** One line for the operator. */
	readonly summary: string;
};

export type AppCheckOptions = {
	/** Such as http://localhost:3000 (a path prefix is kept). */
	readonly baseUrl: string;
	/** The test token, sent as `Authorization: Bearer <token>`; never in results. */
	readonly token: string;
	/** For `/api/platform/audit-logs?organizationId=<org-id>`. */
	readonly organizationId: string;
	/** Per request (default 5000 ms). */
	readonly timeoutMs?: number;
	/** How much of each body to keep (default 200 bytes). */
	readonly bodyBytes?: number;
	/** Other secrets to keep out of the results. */
	readonly secrets?: readonly string[];
};

function endpointPaths(organizationId: string): string[] {
	return PLAN_ENDPOINTS.map((path) =>
		path === '/api/platform/audit-logs' ? `${path}?${new URLSearchParams({organizationId}).toString()}` : path,
	);
}

async function readStart(response: Response, limit: number): Promise<string> {
	if (!response.body || limit <= 0) {
		await response.body?.cancel().catch(() => undefined);
		return '';
	}
	const reader = response.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	try {
		while (size < limit) {
			const {done, value} = await reader.read();
			if (done) break;
			chunks.push(value);
			size += value.length;
		}
	} finally {
		await reader.cancel().catch(() => undefined);
	}
	const bytes = Buffer.concat(chunks).subarray(0, limit);
	// Drop a trailing partial UTF-8 sequence rather than show a replacement character.
	return new TextDecoder('utf-8', {fatal: false}).decode(bytes).replace(/\uFFFD$/, '');
}

async function checkEndpoint(base: URL, path: string, options: AppCheckOptions, secrets: readonly string[]): Promise<EndpointResult> {
	const timeoutMs = options.timeoutMs ?? 5000;
	const url = new URL(base.toString());
	const [pathname, query] = path.split('?') as [string, string | undefined];
	url.pathname = `${base.pathname.replace(/\/$/, '')}${pathname}`;
	url.search = query === undefined ? '' : `?${query}`;
	const started = performance.now();
	const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
	try {
		const response = await fetch(url, {
			headers: {authorization: `Bearer ${options.token}`, accept: 'application/json'},
			redirect: 'manual',
			signal: AbortSignal.timeout(timeoutMs),
		});
		const latencyMs = elapsed();
		// Read past the limit by the longest secret, redact, then cut: a cut never leaves part of a secret.
		const limit = options.bodyBytes ?? 200;
		const longest = Math.max(0, ...secrets.map((s) => Buffer.byteLength(s)));
		const bodyStart = redact(await readStart(response, limit + longest).catch(() => ''), secrets).slice(0, limit);
		const ok = response.status === 200;
		const outcome: EndpointOutcome = ok ? 'ok' : response.status === 403 ? 'forbidden' : 'http-error';
		return {
			path,
			status: response.status,
			ok,
			outcome,
			latencyMs,
			bodyStart,
			...(ok ? {} : {error: `expected 200, got ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`}),
		};
	} catch (error) {
		const name = (error as {name?: string}).name;
		const timedOut = name === 'TimeoutError' || name === 'AbortError';
		const cause = (error as {cause?: {code?: string; message?: string}}).cause;
		const detail = timedOut ? `no response within ${timeoutMs} ms` : cause?.code ?? cause?.message ?? errorMessage(error);
		return {
			path,
			status: null,
			ok: false,
			outcome: timedOut ? 'timeout' : 'network-error',
			latencyMs: elapsed(),
			bodyStart: '',
			error: redact(detail, secrets),
		};
	}
}

/** Reads the decision matrix from the endpoint results. */
export function classifyMatrix(endpoints: readonly EndpointResult[]): Pick<AppCheckResult, 'matrixRow' | 'severity' | 'rollback' | 'summary'> {
	const failing = endpoints.filter((e) => !e.ok);
	if (failing.length === 0) {
		return {matrixRow: null, severity: null, rollback: false, summary: `All ${endpoints.length} endpoints returned 200.`};
	}
	if (endpoints.length > 0 && endpoints.every((e) => e.status === 403)) {
		return {
			matrixRow: 'all-403',
			severity: 'CRITICAL',
			rollback: true,
			summary: `All ${endpoints.length} endpoints returned 403: decision matrix row "All queries return 403" (CRITICAL, immediate rollback).`,
		};
	}
	if (failing.length === 1) {
		const one = failing[0]!;
		return {
			matrixRow: 'single-endpoint',
			severity: 'HIGH',
			rollback: false,
			summary: `${one.path} failed (${one.error ?? 'not 200'}), the others returned 200: decision matrix row "Single endpoint broken" (HIGH, no rollback: fix forward and investigate).`,
		};
	}
	return {
		matrixRow: null,
		severity: null,
		rollback: false,
		summary: `${failing.length} of ${endpoints.length} endpoints failed (${failing.map((e) => `${e.path}: ${e.error ?? 'not 200'}`).join('; ')}); no row of the decision matrix matches exactly: decide with the team.`,
	};
}

/** Calls the plan's four endpoints in order and classifies the result. */
export async function checkApplication(options: AppCheckOptions): Promise<AppCheckResult> {
	const secrets = [options.token, ...(options.secrets ?? [])].filter((s) => s.length >= 3);
	let base: URL;
	try {
		base = new URL(options.baseUrl);
	} catch {
		throw new UserError(
			`The application base URL \`${redact(options.baseUrl, secrets)}\` is not a URL. Give the running application’s address, such as http://localhost:3000.`,
		);
	}
	if (base.protocol !== 'http:' && base.protocol !== 'https:') {
		throw new UserError(`The application base URL uses \`${base.protocol}\`; give an http:// or https:// address, such as http://localhost:3000.`);
	}
	if (options.organizationId.trim() === '') {
		throw new UserError('The application check needs an organization id for /api/platform/audit-logs?organizationId=<org-id>: give the id of an organization the test token can see.');
	}
	const endpoints: EndpointResult[] = [];
	for (const path of endpointPaths(options.organizationId)) {
		endpoints.push(await checkEndpoint(base, path, options, secrets));
	}
	return {endpoints, ok: endpoints.every((e) => e.ok), ...classifyMatrix(endpoints)};
}
