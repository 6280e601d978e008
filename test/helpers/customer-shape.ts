/**
 * The customer's pre-006 database as measured (shared CUSTOMER-DATABASE.md):
 * every platform table with its columns in order, `type` and `nn` for NOT
 * NULL, in the same notation. sql/001–005 must rebuild exactly this.
 */
export const CUSTOMER_TABLES: Readonly<Record<string, string>> = {
	addons: 'id uuid nn, project_id uuid nn, addon_type text nn, addon_variant text nn, quantity integer, price_per_unit numeric, metadata jsonb, status text, activated_at timestamptz, deactivated_at timestamptz, created_at timestamptz, updated_at timestamptz',
	api_keys: 'id uuid nn, organization_id uuid nn, user_id uuid nn, name text nn, key_prefix text nn, key_hash text nn, scopes jsonb, last_used_at timestamptz, expires_at timestamptz, revoked_at timestamptz, created_at timestamptz',
	audit_logs: 'id uuid nn, organization_id uuid, project_id uuid, user_id uuid, event_type text nn, resource_type text, resource_id uuid, action text nn, ip_address inet, user_agent text, metadata jsonb, severity text, created_at timestamptz',
	billing_plans: 'id text nn, name text nn, description text, price numeric nn, interval text nn, features jsonb, limits jsonb, max_projects integer, max_members integer, active boolean, sort_order integer, created_at timestamptz, updated_at timestamptz',
	compute_config: 'id uuid nn, project_id uuid nn, instance_size text nn, cpu_cores numeric, memory_gb numeric, architecture text, is_dedicated boolean, status text, created_at timestamptz, updated_at timestamptz',
	credentials: 'id uuid nn, project_id uuid nn, anon_key text nn, service_role_key text nn, jwt_secret text nn, created_at timestamptz nn, updated_at timestamptz nn',
	credits: 'id uuid nn, organization_id uuid nn, amount numeric nn, remaining numeric nn, description text, status text nn, expires_at timestamptz, created_at timestamptz, updated_at timestamptz',
	customer_profiles: 'id uuid nn, organization_id uuid nn, company_name text, address_line1 text, address_line2 text, city text, state text, postal_code text, country text, tax_id text, created_at timestamptz, updated_at timestamptz',
	disk_config: 'id uuid nn, project_id uuid nn, size_gb integer nn, io_budget integer nn, autoscale_enabled boolean, autoscale_limit_gb integer, status text, created_at timestamptz, updated_at timestamptz',
	feature_flags: 'id uuid nn, flag_key text nn, flag_name text nn, description text, enabled boolean, rollout_percentage integer, created_at timestamptz, updated_at timestamptz',
	invoices: 'id uuid nn, organization_id uuid nn, stripe_invoice_id text, invoice_number text, amount_due numeric nn, amount_paid numeric, amount_remaining numeric, currency text, status text nn, period_start bigint, period_end bigint, due_date bigint, paid_at bigint, invoice_pdf text, hosted_invoice_url text, created_at timestamptz, updated_at timestamptz',
	organization_feature_flags: 'id uuid nn, organization_id uuid nn, flag_id uuid nn, enabled boolean nn, created_at timestamptz, updated_at timestamptz',
	organization_invitations: 'id uuid nn, organization_id uuid nn, invited_email text nn, invited_by uuid nn, role text nn, token text nn, expires_at timestamptz nn, accepted_at timestamptz, created_at timestamptz',
	organization_members: 'id uuid nn, organization_id uuid nn, user_id uuid nn, role text nn, invited_at timestamptz, invited_by uuid, joined_at timestamptz, created_at timestamptz, updated_at timestamptz',
	organizations: 'id uuid nn, name text nn, slug text nn, billing_email text, created_at timestamptz nn, updated_at timestamptz nn',
	payment_methods: 'id uuid nn, organization_id uuid nn, stripe_payment_method_id text nn, type text nn, is_default boolean, card_brand text, card_last4 text, card_exp_month integer, card_exp_year integer, billing_details jsonb, created_at timestamptz, updated_at timestamptz',
	project_addons: 'id uuid nn, project_id uuid nn, addon_id text nn, addon_variant text, quantity integer, price_per_unit numeric, status text, activated_at timestamptz, deactivated_at timestamptz, created_at timestamptz, updated_at timestamptz',
	project_members: 'id uuid nn, project_id uuid nn, user_id uuid nn, role text nn, added_by uuid, created_at timestamptz, updated_at timestamptz',
	project_metrics: 'id uuid nn, project_id uuid nn, timestamp timestamptz nn, cpu_usage numeric, memory_usage numeric, disk_io_budget numeric, disk_usage_gb numeric, network_in_bytes bigint, network_out_bytes bigint, active_connections integer, query_count integer, created_at timestamptz',
	projects: 'id uuid nn, organization_id uuid nn, name text nn, slug text nn, ref text nn, database_host text nn, database_port integer nn, database_name text nn, database_user text nn, database_password text nn, postgres_meta_url text nn, supabase_url text nn, status text nn, created_at timestamptz nn, updated_at timestamptz nn, instance_size text, disk_size_gb integer, disk_io_budget integer',
	subscriptions: 'id uuid nn, organization_id uuid nn, plan_id text nn, plan_name text nn, status text nn, billing_cycle_anchor bigint, current_period_start bigint, current_period_end bigint, next_invoice_at bigint, usage_billing_enabled boolean, spend_cap_enabled boolean, spend_cap_amount numeric, customer_balance numeric, billing_via_partner boolean, billing_partner text, cached_egress_enabled boolean, stripe_customer_id text, stripe_subscription_id text, created_at timestamptz, updated_at timestamptz',
	tax_ids: 'id uuid nn, organization_id uuid nn, type text nn, value text nn, country text, status text, created_at timestamptz, updated_at timestamptz',
	usage_metrics: 'id uuid nn, organization_id uuid, project_id uuid, metric_type text nn, metric_value numeric nn, metric_unit text nn, period_start timestamptz nn, period_end timestamptz nn, cost numeric, metadata jsonb, created_at timestamptz',
	user_sessions: 'id uuid nn, user_id uuid nn, token text nn, refresh_token text, ip_address inet, user_agent text, expires_at timestamptz nn, last_activity_at timestamptz, created_at timestamptz',
	users: 'id uuid nn, email text nn, username text, first_name text, last_name text, avatar_url text, phone text, password_hash text, mfa_enabled boolean, email_confirmed_at timestamptz, banned_until timestamptz, deleted_at timestamptz, metadata jsonb, last_sign_in_at timestamptz, created_at timestamptz, updated_at timestamptz',
};

export const CUSTOMER_VIEWS = ['organization_billing_overview', 'organizations_with_stats', 'project_resources', 'projects_with_credentials', 'subscriptions_with_orgs'] as const;

/** Each function as `name(argument names and types)`, as pg_get_function_arguments shows them. */
export const CUSTOMER_FUNCTIONS = [
	'calculate_usage_cost(org_id uuid, start_period timestamptz, end_period timestamptz)',
	'clean_old_audit_logs(days_to_keep integer)',
	'clean_old_metrics(days_to_keep integer)',
	'generate_slug(input_text text)',
	'get_active_feature_flags(p_organization_id uuid)',
	'get_active_subscription(org_id uuid)',
	'get_available_credits(org_id uuid)',
	'get_credentials_by_project_ref(project_ref text)',
	'get_organization_by_slug(org_slug text)',
	'get_project_by_ref(project_ref text)',
	'has_project_access(p_user_id uuid, p_project_id uuid)',
	'is_free_tier(org_id uuid)',
	'is_organization_owner(p_user_id uuid, p_organization_id uuid)',
	'log_audit_event(p_user_id uuid, p_entity_type text, p_entity_id text, p_action text, p_changes jsonb, p_ip_address inet, p_user_agent text)',
	'update_updated_at_column()',
] as const;
