-- Tenancy and access: plans, accounts, users, API tokens and per-account module switches.
-- (Site access grants live with the sites table in 0005, because they reference it.)

-- Commercial plans an account can be on. Operators create them; no plan is seeded, because prices
-- and credit allowances are a business decision, not a schema fact. Plans carry no usage limits:
-- credits are the only meter. This is a small, rarely written reference table with no account_id,
-- so it can be replicated to every node and referenced from any shard.
CREATE TABLE plans (
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    name            text        NOT NULL,
    -- Credits added on the 1st of each month by the replenishment job.
    monthly_credits bigint      NOT NULL DEFAULT 0,
    support_level   text        NOT NULL DEFAULT 'standard',
    billing_cycle   text        NOT NULL DEFAULT 'monthly',
    -- In minor currency units (cents), so no rounding ever happens in the database.
    price           bigint      NOT NULL DEFAULT 0,
    currency        text        NOT NULL DEFAULT 'USD',
    -- Feature flags or a feature list shown to customers; not enforced by the schema.
    features        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- Inactive plans stay referenced by existing accounts but are no longer offered.
    is_active       boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT plans_pkey PRIMARY KEY (id),
    CONSTRAINT plans_name_key UNIQUE (name),
    CONSTRAINT plans_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT plans_monthly_credits_nonnegative CHECK (monthly_credits >= 0),
    CONSTRAINT plans_support_level_check CHECK (support_level IN ('standard', 'priority', 'dedicated')),
    CONSTRAINT plans_billing_cycle_check CHECK (billing_cycle IN ('monthly', 'yearly')),
    CONSTRAINT plans_price_nonnegative CHECK (price >= 0),
    -- ISO 4217 alphabetic code.
    CONSTRAINT plans_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT plans_features_shape CHECK (jsonb_typeof(features) IN ('object', 'array'))
);

CREATE TRIGGER plans_set_updated_at BEFORE UPDATE ON plans
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per tenant. Its id is the distribution key of every other tenant table. The credit
-- balance lives here so that a deduction is a single conditional UPDATE of one row; the ledger in
-- credit_transactions explains every change to it. Accounts are closed, not deleted: the ledger is
-- append-only and keeps referencing them.
CREATE TABLE accounts (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    name         text        NOT NULL,
    -- Nullable: an account may exist before it is put on a plan (it then gets no monthly grant).
    plan_id      bigint,
    status       text        NOT NULL DEFAULT 'active',
    -- IANA zone name. "Per day" limits (automation max_executions_per_day) and the account-local
    -- date are computed in this zone; validated by the application, which knows the zone database.
    timezone     text        NOT NULL DEFAULT 'UTC',
    -- Spendable balance including credits currently held.
    credits      bigint      NOT NULL DEFAULT 0,
    -- Sum of pending credit_holds; what is free to hold or spend is credits - credits_held.
    credits_held bigint      NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_pkey PRIMARY KEY (id),
    CONSTRAINT accounts_plan_fkey FOREIGN KEY (plan_id) REFERENCES plans (id),
    CONSTRAINT accounts_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT accounts_status_check CHECK (status IN ('active', 'suspended', 'closed')),
    CONSTRAINT accounts_timezone_not_blank CHECK (btrim(timezone) <> ''),
    -- The last line of defence against overspending: a deduction that would go below zero fails
    -- here even if the application's conditional UPDATE were wrong.
    CONSTRAINT accounts_credits_nonnegative CHECK (credits >= 0),
    CONSTRAINT accounts_credits_held_nonnegative CHECK (credits_held >= 0),
    -- Holds reserve existing credits; they can never promise more than the balance. Vacuous for a
    -- negative balance so that case is always reported as accounts_credits_nonnegative (checks run
    -- in name order and this one would otherwise fire first).
    CONSTRAINT accounts_credits_held_within_balance CHECK (credits < 0 OR credits_held <= credits)
);

CREATE INDEX accounts_plan_id_idx ON accounts (plan_id);

CREATE TRIGGER accounts_set_updated_at BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- People who belong to an account. The admin API authenticates API tokens, not passwords; a user
-- gives tokens and site grants a person to hang on. Users are scoped to one account, so the same
-- e-mail in two accounts is two rows.
CREATE TABLE users (
    account_id bigint      NOT NULL,
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    -- Stored lower-cased by the application so uniqueness is case-insensitive with a
    -- plain unique key.
    email      text        NOT NULL,
    name       text        NOT NULL DEFAULT '',
    role       text        NOT NULL DEFAULT 'viewer',
    -- A deactivated user's tokens stop authenticating without being deleted.
    is_active  boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT users_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT users_email_key UNIQUE (account_id, email),
    CONSTRAINT users_email_lowercase CHECK (email = lower(email)),
    CONSTRAINT users_email_format CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    CONSTRAINT users_role_check CHECK (role IN ('owner', 'admin', 'editor', 'viewer'))
);

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Bearer tokens for the admin API. Only a SHA-256 of the whole token is stored; the token itself is
-- shown once at creation. The token text carries its account id, so the lookup is
-- `WHERE account_id = $1 AND token_hash = $2`: it stays on one shard, and because the hash covers
-- the account id part too, editing that part of a token cannot make it valid for another account.
-- Tokens are revoked, not deleted, so audit trails keep resolving.
CREATE TABLE api_tokens (
    account_id   bigint      NOT NULL,
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    -- Optional owner: tokens made by `igny8 account create` / `token create` belong to no user;
    -- a token with a user also inherits that user's site grants.
    user_id      bigint,
    name         text        NOT NULL,
    -- The first few characters of the token, so a person can tell tokens apart in listings
    -- without the secret ever being stored.
    prefix       text        NOT NULL,
    token_hash   bytea       NOT NULL,
    role         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Written at most about once a minute per token by the application, so authentication does not
    -- turn every read request into a write.
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT api_tokens_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT api_tokens_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT api_tokens_user_fkey FOREIGN KEY (account_id, user_id)
        REFERENCES users (account_id, id) ON DELETE CASCADE,
    CONSTRAINT api_tokens_token_hash_key UNIQUE (account_id, token_hash),
    CONSTRAINT api_tokens_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT api_tokens_prefix_not_blank CHECK (btrim(prefix) <> ''),
    -- SHA-256 digests are exactly 32 bytes; anything else is a bug that would never match.
    CONSTRAINT api_tokens_token_hash_length CHECK (octet_length(token_hash) = 32),
    CONSTRAINT api_tokens_role_check CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    CONSTRAINT api_tokens_expiry_after_creation CHECK (expires_at IS NULL OR expires_at > created_at)
);

CREATE INDEX api_tokens_user_id_idx ON api_tokens (account_id, user_id) WHERE user_id IS NOT NULL;

-- Per-account switch and settings for each product module. A missing row means "use the
-- configured default" (modules.defaults.<module>), so new accounts need no rows and a config change
-- reaches every account that never overrode it.
CREATE TABLE module_settings (
    account_id bigint      NOT NULL,
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    module     text        NOT NULL,
    enabled    boolean     NOT NULL,
    -- Module-specific options; validated by the module that reads them.
    settings   jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT module_settings_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT module_settings_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT module_settings_module_key UNIQUE (account_id, module),
    CONSTRAINT module_settings_module_check CHECK (
        module IN ('planner', 'writer', 'automation', 'site_builder', 'linker', 'optimizer')
    ),
    CONSTRAINT module_settings_settings_object CHECK (jsonb_typeof(settings) = 'object')
);

CREATE TRIGGER module_settings_set_updated_at BEFORE UPDATE ON module_settings
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
