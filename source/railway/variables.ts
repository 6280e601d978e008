/**
 * The plan's "Railway environment variables" check: REDIS_URL (required),
 * REDIS_PUBLIC_URL (expected), MONGODB_URL or MONGO_URL (Railway's own name;
 * optional, "if applicable").
 *
 * Values come from the linked Railway project when the Railway CLI is installed
 * and `railway status` succeeds (`railway variables --json`), otherwise from the
 * environment. Per variable the result says whether it is present, where it
 * came from and its masked value; the raw values are returned separately for
 * the caller to pass on (registration, health checks), never for display.
 */
import {runChild} from '../proc/child.js';
import {isUserError, errorMessage} from '../errors.js';
import {maskServiceUrl, parseServiceUrl, type ServiceUrl} from './parse-url.js';

export type RailwayVariableName = 'REDIS_URL' | 'REDIS_PUBLIC_URL' | 'MONGODB_URL' | 'MONGO_URL';
export type VariableSource = 'env' | 'railway';
export type VariableRequirement = 'required' | 'expected' | 'optional';

export type VariableReport = {
	readonly name: RailwayVariableName;
	readonly present: boolean;
	readonly source: VariableSource | null;
	/** The value with its password masked; null when absent. */
	readonly masked: string | null;
	readonly requirement: VariableRequirement;
	/** Why the value is unusable (not a redis/mongodb URL), masked. */
	readonly problem?: string;
};

export type RailwayCliState = 'not-installed' | 'not-linked' | 'linked' | 'failed';

export type RailwayCliStatus = {
	readonly state: RailwayCliState;
	/** One line for the operator, such as "not installed, using the environment". */
	readonly message: string;
};

export type RailwayVariables = {
	readonly cli: RailwayCliStatus;
	readonly variables: readonly VariableReport[];
	/** REDIS_URL, when present and parsable. */
	readonly redis?: ServiceUrl;
	/** REDIS_PUBLIC_URL, when present and parsable. */
	readonly redisPublic?: ServiceUrl;
	/** MONGODB_URL, else MONGO_URL, when present and parsable. */
	readonly mongo?: ServiceUrl;
	/**
	 * The Redis URL to probe from this machine: REDIS_PUBLIC_URL when REDIS_URL
	 * points at Railway's private network (*.railway.internal), else REDIS_URL.
	 */
	readonly redisProbe?: ServiceUrl;
	/** True when REDIS_URL is present and parsable. */
	readonly ok: boolean;
	/** What blocks the check, each saying what to set. */
	readonly failures: readonly string[];
	/** What is worth knowing but does not block (missing REDIS_PUBLIC_URL, no MongoDB, …). */
	readonly notes: readonly string[];
	/** Every secret read, for `redact`. */
	readonly secrets: readonly string[];
};

export type ReadVariablesOptions = {
	/** The environment to read (default: process.env). */
	readonly env?: Readonly<Record<string, string | undefined>>;
	/** Ask the Railway CLI when it is installed and linked (default true). */
	readonly useRailwayCli?: boolean;
	/** The Railway CLI binary (default `railway`). */
	readonly railwayPath?: string;
	/** Railway services to read variables from (`-s <service>`); default: the linked service. */
	readonly services?: readonly string[];
	readonly cwd?: string;
	/** Per CLI call (default 15 s). */
	readonly timeoutMs?: number;
};

const NAMES: readonly RailwayVariableName[] = ['REDIS_URL', 'REDIS_PUBLIC_URL', 'MONGODB_URL', 'MONGO_URL'];
const REQUIREMENT: Readonly<Record<RailwayVariableName, VariableRequirement>> = {
	REDIS_URL: 'required',
	REDIS_PUBLIC_URL: 'expected',
	MONGODB_URL: 'optional',
	MONGO_URL: 'optional',
};

/** `railway status`: is the CLI installed, and is this directory linked to a project? */
export async function railwayCliStatus(options: Pick<ReadVariablesOptions, 'railwayPath' | 'cwd' | 'timeoutMs'> = {}): Promise<RailwayCliStatus> {
	const file = options.railwayPath ?? 'railway';
	try {
		const result = await runChild({file, args: ['status'], cwd: options.cwd, timeoutMs: options.timeoutMs ?? 15_000, tailLines: 5});
		if (result.exitCode === 0) return {state: 'linked', message: 'Railway CLI linked, reading the project’s variables'};
		const last = result.tail.at(-1)?.line.trim();
		return {
			state: 'not-linked',
			message: `Railway CLI installed but \`railway status\` exited with ${result.exitCode}${last ? ` (${maskServiceUrl(last)})` : ''}: not linked, using the environment`,
		};
	} catch (error) {
		if (isUserError(error)) return {state: 'not-installed', message: 'Railway CLI not installed, using the environment'};
		return {state: 'failed', message: `Railway CLI could not run (${errorMessage(error)}), using the environment`};
	}
}

/** `railway variables --json [-s service]`, merged in service order; throws on a non-zero exit or bad JSON. */
async function railwayVariables(options: ReadVariablesOptions): Promise<Record<string, string>> {
	const file = options.railwayPath ?? 'railway';
	const services = options.services && options.services.length > 0 ? options.services : [undefined];
	const merged: Record<string, string> = {};
	for (const service of services) {
		const args = ['variables', '--json', ...(service === undefined ? [] : ['-s', service])];
		const lines: string[] = [];
		const result = await runChild({
			file,
			args,
			cwd: options.cwd,
			timeoutMs: options.timeoutMs ?? 15_000,
			tailLines: 1,
			onLine: (line) => {
				if (line.stream === 'stdout') lines.push(line.line);
			},
		});
		if (result.exitCode !== 0) {
			throw new Error(`\`railway ${args.join(' ')}\` exited with ${result.exitCode}`);
		}
		let parsed: unknown;
		try {
			parsed = JSON.parse(lines.join('\n'));
		} catch {
			throw new Error(`\`railway ${args.join(' ')}\` did not print JSON`);
		}
		if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
			throw new Error(`\`railway ${args.join(' ')}\` did not print a JSON object`);
		}
		for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
			if (typeof value === 'string' && merged[key] === undefined) merged[key] = value;
		}
	}
	return merged;
}

function isInternal(url: ServiceUrl): boolean {
	return url.hosts.some((h) => h.host.endsWith('.railway.internal'));
}

/** Reads and checks the Railway variables; never throws for missing or malformed values (they are failures). */
export async function readRailwayVariables(options: ReadVariablesOptions = {}): Promise<RailwayVariables> {
	const env = options.env ?? process.env;
	let cli: RailwayCliStatus = {state: 'not-installed', message: 'Railway CLI not consulted, using the environment'};
	let fromRailway: Record<string, string> = {};
	if (options.useRailwayCli !== false) {
		cli = await railwayCliStatus(options);
		if (cli.state === 'linked') {
			try {
				fromRailway = await railwayVariables(options);
			} catch (error) {
				cli = {state: 'failed', message: `Railway CLI linked but reading variables failed (${errorMessage(error)}), using the environment`};
			}
		}
	}

	const secrets = new Set<string>();
	const parsed: Partial<Record<RailwayVariableName, ServiceUrl>> = {};
	const variables: VariableReport[] = [];
	for (const name of NAMES) {
		const railwayValue = fromRailway[name];
		const envValue = env[name];
		const value = railwayValue !== undefined && railwayValue.trim() !== '' ? railwayValue : envValue !== undefined && envValue.trim() !== '' ? envValue : undefined;
		const source: VariableSource | null = value === undefined ? null : value === railwayValue ? 'railway' : 'env';
		if (value === undefined) {
			variables.push({name, present: false, source: null, masked: null, requirement: REQUIREMENT[name]});
			continue;
		}
		if (value.length >= 3) secrets.add(value);
		try {
			const url = parseServiceUrl(value, name);
			for (const secret of url.secrets) secrets.add(secret);
			const expected = name.startsWith('REDIS') ? 'redis' : 'mongodb';
			if (url.type !== expected) {
				variables.push({
					name,
					present: true,
					source,
					masked: url.masked,
					requirement: REQUIREMENT[name],
					problem: `${name} holds a ${url.type} URL, not a ${expected} URL`,
				});
				continue;
			}
			parsed[name] = url;
			variables.push({name, present: true, source, masked: url.masked, requirement: REQUIREMENT[name]});
		} catch (error) {
			variables.push({name, present: true, source, masked: maskServiceUrl(value), requirement: REQUIREMENT[name], problem: errorMessage(error)});
		}
	}

	const failures: string[] = [];
	const notes: string[] = [];
	const report = (name: RailwayVariableName) => variables.find((v) => v.name === name)!;
	const where = cli.state === 'linked' ? 'in the linked Railway project or the environment' : 'in the environment';

	const redisReport = report('REDIS_URL');
	if (!redisReport.present) {
		failures.push(
			`REDIS_URL is not set ${where}. Set it to the Railway Redis service’s URL (Railway: the Redis service → Variables → REDIS_URL), for example \`export REDIS_URL='redis://default:<password>@<host>:<port>'\`, and run the check again.`,
		);
	} else if (redisReport.problem) {
		failures.push(`REDIS_URL is set but unusable: ${redisReport.problem}`);
	}
	const publicReport = report('REDIS_PUBLIC_URL');
	if (!publicReport.present) {
		notes.push('REDIS_PUBLIC_URL is not set: the plan expects it; it is the URL that reaches Redis from outside Railway’s private network.');
	} else if (publicReport.problem) {
		notes.push(`REDIS_PUBLIC_URL is set but unusable: ${publicReport.problem}`);
	}
	const mongodbReport = report('MONGODB_URL');
	const mongoReport = report('MONGO_URL');
	for (const r of [mongodbReport, mongoReport]) {
		if (r.present && r.problem) failures.push(`${r.name} is set but unusable: ${r.problem}`);
	}
	const mongo = parsed.MONGODB_URL ?? parsed.MONGO_URL;
	if (!mongodbReport.present && !mongoReport.present) {
		notes.push('MongoDB is not configured (neither MONGODB_URL nor MONGO_URL is set): optional, the Railway MongoDB row stays inactive.');
	} else if (parsed.MONGODB_URL && parsed.MONGO_URL && parsed.MONGODB_URL.masked !== parsed.MONGO_URL.masked) {
		notes.push('MONGODB_URL and MONGO_URL are both set and differ: MONGODB_URL is used.');
	}

	const redis = parsed.REDIS_URL;
	const redisPublic = parsed.REDIS_PUBLIC_URL;
	const redisProbe = redis && isInternal(redis) && redisPublic ? redisPublic : redis;
	if (redis && isInternal(redis) && !redisPublic) {
		notes.push('REDIS_URL points at Railway’s private network (*.railway.internal), which is only reachable from inside Railway: set REDIS_PUBLIC_URL to health-check Redis from here.');
	}
	return {
		cli,
		variables,
		...(redis ? {redis} : {}),
		...(redisPublic ? {redisPublic} : {}),
		...(mongo ? {mongo} : {}),
		...(redisProbe ? {redisProbe} : {}),
		ok: failures.length === 0 && redis !== undefined,
		failures,
		notes,
		secrets: [...secrets],
	};
}
