/**
 * An HTTP check of the application (the plan's curl commands): GET base URL +
 * path with the bearer token, expecting a status. The token is sent, never
 * shown or stored. A 403 suggests the CRITICAL decision-matrix row.
 */
import type {ExecContext, ItemOf, Outcome} from '../context.js';

export async function runHttp(ctx: ExecContext<ItemOf<'http'>>): Promise<Outcome> {
	const item = ctx.item;
	const base = ctx.settings.appUrl!;
	const resolvedPath = item.path.replace(/<org-id>|\{org-id\}/g, encodeURIComponent(ctx.settings.options['org-id'] ?? ''));
	const url = new URL(resolvedPath, base.endsWith('/') ? base : `${base}/`).toString();
	const shown = `GET ${url}  (Authorization: Bearer ****)`;
	const started = Date.now();
	try {
		const response = await fetch(url, {
			headers: ctx.settings.appToken ? {authorization: `Bearer ${ctx.settings.appToken}`} : {},
			signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]),
		});
		const body = (await response.text()).slice(0, 200);
		const ms = Date.now() - started;
		ctx.output(`${response.status} ${response.statusText} in ${ms} ms`);
		const ok = response.status === item.expectStatus;
		return {
			ok,
			evidence: {command: shown, expected: `HTTP ${item.expectStatus}`, actual: `HTTP ${response.status} in ${ms} ms`, outputTail: [body.replaceAll(ctx.settings.appToken ?? '\u0000', '****')]},
			...(ok ? {} : {error: `${url} answered ${response.status}, expected ${item.expectStatus}.${response.status === 403 ? ' A 403 after enabling RLS matches the CRITICAL row "All queries return 403" of the decision matrix if every endpoint does it.' : ''}`}),
			...(response.status === 403 ? {matrixRow: 'all-403'} : {}),
		};
	} catch (error) {
		return {ok: false, evidence: {command: shown, expected: `HTTP ${item.expectStatus}`, actual: `no answer: ${(error as Error).message}`}, error: `${url} did not answer: ${(error as Error).message}. Check --app-url and that the application is running.`};
	}
}
