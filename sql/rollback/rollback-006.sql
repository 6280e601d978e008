-- rollback-006.sql  (rollback step 2: undoes 006_add_platform_databases_table.sql)
--
-- Drops both views, the table platform.databases (its 8 indexes, the
-- unique constraint among them, both triggers and any remaining policy go
-- with it), then
-- the 4 functions by full signature. Keeps pgcrypto (it belongs to 003) and
-- everything 001-005 created. Run it AFTER 006_rollback.sql.
--
-- WARNING: this deletes every registered database (the rows of
-- 006_register_railway_databases.sql and any registered since), with their
-- plaintext connection_string and password columns and the encrypted copies.
-- The application's routes for databases, Redis and MongoDB stop working
-- (the table is gone): stop or switch them off first.
--
-- Transaction: no BEGIN/COMMIT here. Run it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`: all or nothing.
-- Everything is dropped with RESTRICT, not CASCADE (PLAN-REVIEW decision 7):
-- an object that came to depend on these (a view, a foreign key) makes it fail
-- with the dependency named, instead of disappearing silently.

DROP VIEW platform.databases_with_connection_strings RESTRICT;
DROP VIEW platform.databases_safe RESTRICT;
DROP TABLE platform.databases RESTRICT;
DROP FUNCTION platform.decrypt_database_connection_string(uuid) RESTRICT;
DROP FUNCTION platform.get_project_databases(uuid, text) RESTRICT;
DROP FUNCTION platform.update_database_health(uuid, text, text) RESTRICT;
DROP FUNCTION platform.encrypt_database_connection_string() RESTRICT;
