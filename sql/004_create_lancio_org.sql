-- 004_create_lancio_org.sql
--
-- Prerequisite of migration 006: the organization `Lancio` (slug `lancio`)
-- and its project `Lancio Studio` (ref `lancio-studio`), which
-- 006_register_railway_databases.sql looks up by ref.
--
-- Transaction: this file contains no BEGIN/COMMIT. The runner applies it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
--
-- Security (PLAN-REVIEW defect #12): no password, key or connection string.
-- The project's credentials are provisioned outside migrations.

INSERT INTO platform.organizations (name, slug, billing_email, kind)
VALUES ('Lancio', 'lancio', 'billing@lancio.example', 'company');

INSERT INTO platform.projects (organization_id, name, ref, region, cloud_provider, status)
SELECT o.id, 'Lancio Studio', 'lancio-studio', 'us-west-2', 'railway', 'active'
FROM platform.organizations o
WHERE o.slug = 'lancio';
