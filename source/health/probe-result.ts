/** What a health probe (Redis PING, MongoDB ping) reports. */

export type ProbeOutcome =
	| 'healthy'
	/** Nothing listens on the port (ECONNREFUSED). */
	| 'refused'
	/** No answer within the timeout (connect or reply). */
	| 'timeout'
	/** The server rejected the credentials (WRONGPASS, NOAUTH, AuthenticationFailed). */
	| 'auth-failed'
	/** The TLS handshake failed (certificate, protocol mismatch). */
	| 'tls-error'
	/** The host name does not resolve. */
	| 'dns-error'
	/** The server answered something unexpected. */
	| 'protocol-error'
	/** Anything else (connection reset, …). */
	| 'error';

export type ProbeResult = {
	readonly ok: boolean;
	readonly outcome: ProbeOutcome;
	/** Wall time of the whole probe (connect, authenticate, ping), in ms. */
	readonly latencyMs: number;
	/** One line for the operator, with every secret masked. Absent when healthy. */
	readonly error?: string;
};
