-- 002_platform_billing_schema.sql
--
-- Prerequisite of migration 006: the billing and resource tables (13):
-- billing_plans, subscriptions, invoices, payment_methods, tax_ids,
-- usage_metrics, addons, project_addons, customer_profiles, credits,
-- disk_config, compute_config, project_metrics; the billing functions
-- calculate_usage_cost, get_active_subscription, get_available_credits,
-- is_free_tier, clean_old_metrics; the views subscriptions_with_orgs,
-- organization_billing_overview, project_resources. Shapes as in the
-- customer's database (CUSTOMER-DATABASE.md); Stripe periods are epoch
-- seconds (bigint), as the customer stores them.
--
-- Transaction: this file contains no BEGIN/COMMIT. The runner applies it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
--
-- Grants: none (the customer's PUBLIC grants date from 001, when these tables
-- did not exist).

CREATE TABLE platform.billing_plans (
	id text PRIMARY KEY,
	name text NOT NULL,
	description text,
	price numeric NOT NULL DEFAULT 0 CHECK (price >= 0),
	interval text NOT NULL DEFAULT 'month' CHECK (interval IN ('month', 'year')),
	features jsonb DEFAULT '[]'::jsonb,
	limits jsonb DEFAULT '{}'::jsonb,
	max_projects integer,
	max_members integer,
	active boolean DEFAULT true,
	sort_order integer DEFAULT 0,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now()
);

CREATE TRIGGER update_billing_plans_updated_at
	BEFORE UPDATE ON platform.billing_plans
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.subscriptions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	plan_id text NOT NULL REFERENCES platform.billing_plans (id),
	plan_name text NOT NULL,
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'incomplete', 'unpaid')),
	billing_cycle_anchor bigint,
	current_period_start bigint,
	current_period_end bigint,
	next_invoice_at bigint,
	usage_billing_enabled boolean DEFAULT false,
	spend_cap_enabled boolean DEFAULT true,
	spend_cap_amount numeric,
	customer_balance numeric DEFAULT 0,
	billing_via_partner boolean DEFAULT false,
	billing_partner text,
	cached_egress_enabled boolean DEFAULT false,
	stripe_customer_id text,
	stripe_subscription_id text,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now()
);

CREATE INDEX idx_subscriptions_organization_id ON platform.subscriptions (organization_id);

CREATE TRIGGER update_subscriptions_updated_at
	BEFORE UPDATE ON platform.subscriptions
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.invoices (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	stripe_invoice_id text,
	invoice_number text,
	amount_due numeric NOT NULL CHECK (amount_due >= 0),
	amount_paid numeric DEFAULT 0,
	amount_remaining numeric DEFAULT 0,
	currency text DEFAULT 'usd',
	status text NOT NULL DEFAULT 'open' CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
	period_start bigint,
	period_end bigint,
	due_date bigint,
	paid_at bigint,
	invoice_pdf text,
	hosted_invoice_url text,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT invoices_invoice_number_key UNIQUE (invoice_number)
);

CREATE INDEX idx_invoices_organization_id ON platform.invoices (organization_id, created_at DESC);

CREATE TRIGGER update_invoices_updated_at
	BEFORE UPDATE ON platform.invoices
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.payment_methods (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	stripe_payment_method_id text NOT NULL,
	type text NOT NULL DEFAULT 'card',
	is_default boolean DEFAULT false,
	card_brand text,
	card_last4 text CHECK (card_last4 ~ '^[0-9]{4}$'),
	card_exp_month integer CHECK (card_exp_month BETWEEN 1 AND 12),
	card_exp_year integer,
	billing_details jsonb DEFAULT '{}'::jsonb,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT payment_methods_stripe_payment_method_id_key UNIQUE (stripe_payment_method_id)
);

CREATE INDEX idx_payment_methods_organization_id ON platform.payment_methods (organization_id);

CREATE TRIGGER update_payment_methods_updated_at
	BEFORE UPDATE ON platform.payment_methods
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.tax_ids (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	type text NOT NULL,
	value text NOT NULL,
	country text,
	status text DEFAULT 'pending',
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT tax_ids_organization_type_value_key UNIQUE (organization_id, type, value)
);

CREATE TRIGGER update_tax_ids_updated_at
	BEFORE UPDATE ON platform.tax_ids
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.usage_metrics (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid REFERENCES platform.organizations (id) ON DELETE CASCADE,
	project_id uuid REFERENCES platform.projects (id) ON DELETE CASCADE,
	metric_type text NOT NULL,
	metric_value numeric NOT NULL,
	metric_unit text NOT NULL,
	period_start timestamptz NOT NULL,
	period_end timestamptz NOT NULL,
	cost numeric DEFAULT 0,
	metadata jsonb DEFAULT '{}'::jsonb,
	created_at timestamptz DEFAULT now(),
	CONSTRAINT usage_metrics_period_order CHECK (period_end >= period_start)
);

CREATE INDEX idx_usage_metrics_organization_period ON platform.usage_metrics (organization_id, period_start DESC);
CREATE INDEX idx_usage_metrics_project_id ON platform.usage_metrics (project_id);

CREATE TABLE platform.addons (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	addon_type text NOT NULL,
	addon_variant text NOT NULL,
	quantity integer DEFAULT 1 CHECK (quantity > 0),
	price_per_unit numeric DEFAULT 0,
	metadata jsonb DEFAULT '{}'::jsonb,
	status text DEFAULT 'active',
	activated_at timestamptz DEFAULT now(),
	deactivated_at timestamptz,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now()
);

CREATE INDEX idx_addons_project_id ON platform.addons (project_id);

CREATE TRIGGER update_addons_updated_at
	BEFORE UPDATE ON platform.addons
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.project_addons (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	addon_id text NOT NULL,
	addon_variant text,
	quantity integer DEFAULT 1 CHECK (quantity > 0),
	price_per_unit numeric DEFAULT 0,
	status text DEFAULT 'active',
	activated_at timestamptz DEFAULT now(),
	deactivated_at timestamptz,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now()
);

CREATE INDEX idx_project_addons_project_id ON platform.project_addons (project_id);

CREATE TRIGGER update_project_addons_updated_at
	BEFORE UPDATE ON platform.project_addons
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.customer_profiles (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	company_name text,
	address_line1 text,
	address_line2 text,
	city text,
	state text,
	postal_code text,
	country text,
	tax_id text,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT customer_profiles_organization_id_key UNIQUE (organization_id)
);

CREATE TRIGGER update_customer_profiles_updated_at
	BEFORE UPDATE ON platform.customer_profiles
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.credits (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	amount numeric NOT NULL,
	remaining numeric NOT NULL,
	description text,
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired', 'used')),
	expires_at timestamptz,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT credits_remaining_range CHECK (remaining >= 0 AND remaining <= amount)
);

CREATE INDEX idx_credits_organization_id ON platform.credits (organization_id);

CREATE TRIGGER update_credits_updated_at
	BEFORE UPDATE ON platform.credits
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.disk_config (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	size_gb integer NOT NULL DEFAULT 8 CHECK (size_gb > 0),
	io_budget integer NOT NULL DEFAULT 3000 CHECK (io_budget > 0),
	autoscale_enabled boolean DEFAULT false,
	autoscale_limit_gb integer,
	status text DEFAULT 'active',
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT disk_config_project_id_key UNIQUE (project_id)
);

CREATE TRIGGER update_disk_config_updated_at
	BEFORE UPDATE ON platform.disk_config
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.compute_config (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	instance_size text NOT NULL DEFAULT 'micro',
	cpu_cores numeric DEFAULT 2,
	memory_gb numeric DEFAULT 1,
	architecture text DEFAULT 'x86_64',
	is_dedicated boolean DEFAULT false,
	status text DEFAULT 'active',
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT compute_config_project_id_key UNIQUE (project_id)
);

CREATE TRIGGER update_compute_config_updated_at
	BEFORE UPDATE ON platform.compute_config
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.project_metrics (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	"timestamp" timestamptz NOT NULL DEFAULT now(),
	cpu_usage numeric,
	memory_usage numeric,
	disk_io_budget numeric,
	disk_usage_gb numeric,
	network_in_bytes bigint,
	network_out_bytes bigint,
	active_connections integer,
	query_count integer,
	created_at timestamptz DEFAULT now()
);

CREATE INDEX idx_project_metrics_project_timestamp ON platform.project_metrics (project_id, "timestamp" DESC);

CREATE FUNCTION platform.get_active_subscription(org_id uuid)
RETURNS SETOF platform.subscriptions
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM platform.subscriptions
	WHERE organization_id = org_id AND status IN ('trialing', 'active', 'past_due')
	ORDER BY created_at DESC
	LIMIT 1;
$$;

CREATE FUNCTION platform.is_free_tier(org_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce((SELECT bp.price = 0 FROM platform.get_active_subscription(org_id) s JOIN platform.billing_plans bp ON bp.id = s.plan_id), true);
$$;

CREATE FUNCTION platform.get_available_credits(org_id uuid)
RETURNS numeric
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(sum(remaining), 0) FROM platform.credits
	WHERE organization_id = org_id AND status = 'active' AND (expires_at IS NULL OR expires_at > now());
$$;

CREATE FUNCTION platform.calculate_usage_cost(org_id uuid, start_period timestamptz, end_period timestamptz)
RETURNS numeric
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(sum(cost), 0) FROM platform.usage_metrics
	WHERE organization_id = org_id AND period_start >= start_period AND period_end <= end_period;
$$;

CREATE FUNCTION platform.clean_old_metrics(days_to_keep integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	removed integer;
BEGIN
	IF days_to_keep IS NULL OR days_to_keep < 1 THEN
		RAISE EXCEPTION 'days_to_keep must be at least 1, got %', days_to_keep;
	END IF;
	DELETE FROM platform.project_metrics WHERE "timestamp" < now() - make_interval(days => days_to_keep);
	GET DIAGNOSTICS removed = ROW_COUNT;
	RETURN removed;
END;
$$;

CREATE VIEW platform.subscriptions_with_orgs AS
SELECT s.id, s.organization_id, o.name AS organization_name, o.slug AS organization_slug, s.plan_id, s.plan_name, s.status,
	s.current_period_start, s.current_period_end, s.usage_billing_enabled, s.spend_cap_enabled, s.created_at, s.updated_at
FROM platform.subscriptions s
JOIN platform.organizations o ON o.id = s.organization_id;

CREATE VIEW platform.organization_billing_overview AS
SELECT o.id AS organization_id, o.name, o.slug,
	s.plan_id, s.plan_name, s.status AS subscription_status,
	platform.get_available_credits(o.id) AS available_credits,
	(SELECT count(*) FROM platform.invoices i WHERE i.organization_id = o.id AND i.status = 'open') AS open_invoices,
	(SELECT coalesce(sum(i.amount_remaining), 0) FROM platform.invoices i WHERE i.organization_id = o.id AND i.status = 'open') AS amount_outstanding
FROM platform.organizations o
LEFT JOIN LATERAL platform.get_active_subscription(o.id) s ON true;

CREATE VIEW platform.project_resources AS
SELECT p.id AS project_id, p.name, p.ref, p.organization_id,
	c.instance_size, c.cpu_cores, c.memory_gb, d.size_gb AS disk_size_gb, d.io_budget AS disk_io_budget,
	(SELECT count(*) FROM platform.addons a WHERE a.project_id = p.id AND a.status = 'active') AS active_addons
FROM platform.projects p
LEFT JOIN platform.compute_config c ON c.project_id = p.id
LEFT JOIN platform.disk_config d ON d.project_id = p.id;

-- The four plans of the customer's catalogue (prices in USD per month).
INSERT INTO platform.billing_plans (id, name, description, price, interval, features, limits, max_projects, max_members, sort_order)
VALUES
	('free', 'Free', 'For hobby projects', 0, 'month', '["2 projects", "community support"]', '{"database_size_gb": 0.5}', 2, 2, 1),
	('pro', 'Pro', 'For production applications', 25, 'month', '["daily backups", "email support"]', '{"database_size_gb": 8}', 10, 10, 2),
	('team', 'Team', 'For growing teams', 599, 'month', '["SOC2", "priority support"]', '{"database_size_gb": 8}', NULL, NULL, 3),
	('enterprise', 'Enterprise', 'Custom terms', 0, 'month', '["dedicated support", "custom SLA"]', '{}', NULL, NULL, 4);
