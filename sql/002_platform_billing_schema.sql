-- 002_platform_billing_schema.sql
--
-- Prerequisite of migration 006: the billing tables (12): billing_plans,
-- subscriptions, invoices, payment_methods, tax_ids, usage_metrics, addons,
-- project_addons, customer_profiles, credits, disk_config, compute_config.
--
-- Transaction: this file contains no BEGIN/COMMIT. The runner applies it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
--
-- Security: no grants to PUBLIC (see 001).

CREATE TABLE platform.billing_plans (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	plan_id text NOT NULL,
	name text NOT NULL,
	price_cents integer NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
	billing_interval text NOT NULL DEFAULT 'month' CHECK (billing_interval IN ('month', 'year')),
	is_active boolean NOT NULL DEFAULT true,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT billing_plans_plan_id_key UNIQUE (plan_id)
);

CREATE TRIGGER update_billing_plans_updated_at
	BEFORE UPDATE ON platform.billing_plans
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.subscriptions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	billing_plan_id uuid NOT NULL REFERENCES platform.billing_plans (id),
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
	current_period_start timestamptz NOT NULL,
	current_period_end timestamptz NOT NULL,
	canceled_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (current_period_end > current_period_start)
);

CREATE INDEX idx_subscriptions_organization_id ON platform.subscriptions (organization_id);

CREATE TRIGGER update_subscriptions_updated_at
	BEFORE UPDATE ON platform.subscriptions
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.invoices (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	subscription_id uuid REFERENCES platform.subscriptions (id) ON DELETE SET NULL,
	number text NOT NULL,
	amount_cents integer NOT NULL CHECK (amount_cents >= 0),
	currency text NOT NULL DEFAULT 'usd',
	status text NOT NULL DEFAULT 'open' CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
	period_start timestamptz NOT NULL,
	period_end timestamptz NOT NULL,
	issued_at timestamptz NOT NULL DEFAULT now(),
	paid_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT invoices_number_key UNIQUE (number)
);

CREATE INDEX idx_invoices_organization_issued ON platform.invoices (organization_id, issued_at DESC);

CREATE TABLE platform.payment_methods (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	provider text NOT NULL DEFAULT 'stripe',
	provider_payment_method_id text NOT NULL,
	card_brand text,
	card_last4 text CHECK (card_last4 ~ '^[0-9]{4}$'),
	exp_month smallint CHECK (exp_month BETWEEN 1 AND 12),
	exp_year smallint,
	is_default boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
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
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT tax_ids_organization_type_value_key UNIQUE (organization_id, type, value)
);

CREATE TABLE platform.usage_metrics (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	project_id uuid REFERENCES platform.projects (id) ON DELETE CASCADE,
	metric text NOT NULL,
	value numeric NOT NULL,
	period_start timestamptz NOT NULL,
	period_end timestamptz NOT NULL,
	recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_usage_metrics_org_metric_period ON platform.usage_metrics (organization_id, metric, period_start DESC);
CREATE INDEX idx_usage_metrics_project_id ON platform.usage_metrics (project_id);

CREATE TABLE platform.addons (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	addon_type text NOT NULL,
	variant text NOT NULL,
	name text NOT NULL,
	price_cents integer NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT addons_type_variant_key UNIQUE (addon_type, variant)
);

CREATE TABLE platform.project_addons (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	addon_id uuid NOT NULL REFERENCES platform.addons (id),
	quantity integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT project_addons_project_addon_key UNIQUE (project_id, addon_id)
);

CREATE TRIGGER update_project_addons_updated_at
	BEFORE UPDATE ON platform.project_addons
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.customer_profiles (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	billing_name text,
	address jsonb NOT NULL DEFAULT '{}'::jsonb,
	provider_customer_id text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT customer_profiles_organization_id_key UNIQUE (organization_id)
);

CREATE TRIGGER update_customer_profiles_updated_at
	BEFORE UPDATE ON platform.customer_profiles
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.credits (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	amount_cents integer NOT NULL,
	reason text NOT NULL,
	expires_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_credits_organization_id ON platform.credits (organization_id);

CREATE TABLE platform.disk_config (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	size_gb integer NOT NULL DEFAULT 8 CHECK (size_gb > 0),
	iops integer NOT NULL DEFAULT 3000 CHECK (iops > 0),
	disk_type text NOT NULL DEFAULT 'gp3',
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT disk_config_project_id_key UNIQUE (project_id)
);

CREATE TRIGGER update_disk_config_updated_at
	BEFORE UPDATE ON platform.disk_config
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.compute_config (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	instance_size text NOT NULL DEFAULT 'micro',
	cpu_cores smallint NOT NULL DEFAULT 2 CHECK (cpu_cores > 0),
	memory_gb numeric NOT NULL DEFAULT 1 CHECK (memory_gb > 0),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT compute_config_project_id_key UNIQUE (project_id)
);

CREATE TRIGGER update_compute_config_updated_at
	BEFORE UPDATE ON platform.compute_config
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();
