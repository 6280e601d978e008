/** Realistic PostgreSQL server log lines for the monitor tests (5 permission errors among them). */
export const SERVER_LOG = [
	// log_line_prefix = '%m [%p] %q%u@%d %e '
	'2025-11-22 02:14:03.123 UTC [48211] app@prod 42501 ERROR:  permission denied for table users',
	'2025-11-22 02:14:03.123 UTC [48211] app@prod 42501 STATEMENT:  SELECT * FROM platform.users WHERE id = $1',
	'2025-11-22 02:15:10.001 UTC [48212] app@prod 00000 LOG:  duration: 142501.200 ms  statement: SELECT count(*) FROM platform.audit_logs',
	'2025-11-22 02:16:00.500 UTC [48213] app@prod 23505 ERROR:  duplicate key value violates unique constraint "users_email_key"',
	'2025-11-22 02:16:00.500 UTC [48213] app@prod 23505 DETAIL:  Key (email)=(a@example.com) already exists.',
	'2025-11-22 02:17:44.010 UTC [48214] app@prod 42501 ERROR:  new row violates row-level security policy for table "organization_members"',
	// log_line_prefix = '%m [%p] ' (no SQLSTATE): the message text decides
	'2025-11-22 02:18:00.000 UTC [48215] ERROR:  permission denied for schema platform at character 15',
	'2025-11-22 02:18:30.000 UTC [48216] ERROR:  could not open file "base/16384/2619": Permission denied',
	'2025-11-22 02:19:00.000 UTC [48217] FATAL:  permission denied for database "prod"',
	'2025-11-22 02:19:00.000 UTC [48217] DETAIL:  User does not have CONNECT privilege.',
	// csvlog
	'2025-11-22 02:19:05.000 UTC,"app","prod",48218,"127.0.0.1:51234",6740a1b2.bc5a,1,"SELECT",2025-11-22 02:19:04 UTC,3/17,0,ERROR,42501,"permission denied for table audit_logs",,,,,,"SELECT * FROM platform.audit_logs",,,"psql","client backend",,0',
	'2025-11-22 02:20:00.000 UTC [48219] app@prod 00000 LOG:  checkpoint complete: wrote 12 buffers (0.1%)',
].join('\n');
