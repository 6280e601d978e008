-- 004_create_lancio_org.sql
--
-- Prerequisite of migration 006: the organization `Lancio` (slug `lancio`)
-- and its single project `BlackWhale` (ref `blackwhale-prod`), as in the
-- customer's database. Migration 006's registration takes "the single project
-- of organization slug lancio" (the runbook resolves it, PLAN-REVIEW
-- decision 2).
--
-- No user and no membership: the customer's 004 tried to make an owner
-- membership for a user that does not exist and that statement failed, so
-- users, organization_members and user_sessions are empty in production's
-- reconstruction. We leave them empty on purpose (the runbook must cope).
--
-- Transaction: this file contains no BEGIN/COMMIT. The runner applies it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
--
-- Security (PLAN-REVIEW defect #12): the customer's file commits a literal
-- database password. This one stores a marked placeholder: the real
-- password is provisioned (and rotated) outside migrations.

INSERT INTO platform.organizations (name, slug, billing_email)
VALUES ('Lancio', 'lancio', 'billing@lancio.example');

INSERT INTO platform.projects (organization_id, name, slug, ref, database_host, database_port, database_name, database_user,
	database_password, postgres_meta_url, supabase_url, status, instance_size, disk_size_gb, disk_io_budget)
SELECT o.id, 'BlackWhale', platform.generate_slug('BlackWhale'), 'blackwhale-prod', 'postgres.railway.internal', 5432, 'railway', 'postgres',
	'PLACEHOLDER-provisioned-outside-migrations', 'http://postgres-meta.railway.internal:8080', 'https://blackwhale.lancio.example',
	'ACTIVE_HEALTHY', 'micro', 8, 3000
FROM platform.organizations o
WHERE o.slug = 'lancio';
