-- The pipeline's persistent records (DESIGN §5): optimizer runs with their before/after evidence,
-- and the curated keyword rules the linker matches.

-- One optimizer run over one content item. Scores and HTML before and after are kept so every
-- change is explainable and reversible, and so the API can show what a run did and what it cost.
CREATE TABLE optimization_tasks (
    account_id      bigint      NOT NULL,
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    content_id      bigint      NOT NULL,
    status          text        NOT NULL DEFAULT 'pending',
    -- How the content reached the optimizer; decides what happens to the result (push policy,
    -- review).
    entry_point     text        NOT NULL DEFAULT 'manual',
    -- rules: the deterministic optimizer; ai: a model rewrite, kept only if scores do not drop.
    mode            text        NOT NULL DEFAULT 'rules',
    -- Ruleset profile and version the run used, so a result can be reproduced byte for byte.
    ruleset_profile text        NOT NULL DEFAULT 'default',
    ruleset_version text        NOT NULL,
    -- content.version the run started from; its result is applied only if the item is unchanged.
    content_version bigint      NOT NULL,
    scores_before   jsonb,
    scores_after    jsonb,
    html_before     text,
    html_after      text,
    -- Each applied patch with its rule, the score change it predicted and the change measured.
    changes         jsonb       NOT NULL DEFAULT '[]'::jsonb,
    credits_used    bigint      NOT NULL DEFAULT 0,
    -- The credit hold taken for this run, while it runs and for audit afterwards.
    credit_hold_id  bigint,
    error           text,
    started_at      timestamptz,
    finished_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT optimization_tasks_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT optimization_tasks_content_fkey FOREIGN KEY (account_id, content_id)
        REFERENCES content (account_id, id) ON DELETE CASCADE,
    CONSTRAINT optimization_tasks_credit_hold_fkey FOREIGN KEY (account_id, credit_hold_id)
        REFERENCES credit_holds (account_id, id),
    -- rejected: an AI rewrite that lowered scores or touched protected regions, discarded.
    CONSTRAINT optimization_tasks_status_check CHECK (
        status IN ('pending', 'running', 'completed', 'failed', 'skipped', 'rejected')
    ),
    CONSTRAINT optimization_tasks_entry_point_check CHECK (
        entry_point IN ('writer', 'wordpress_sync', 'external_sync', 'manual', 'automation')
    ),
    CONSTRAINT optimization_tasks_mode_check CHECK (mode IN ('rules', 'ai')),
    CONSTRAINT optimization_tasks_ruleset_profile_check CHECK (ruleset_profile IN ('default', 'cornerstone')),
    CONSTRAINT optimization_tasks_credits_used_nonnegative CHECK (credits_used >= 0),
    CONSTRAINT optimization_tasks_changes_array CHECK (jsonb_typeof(changes) = 'array'),
    -- A completed run has both sides of the comparison.
    CONSTRAINT optimization_tasks_completed_has_result CHECK (
        status <> 'completed' OR (scores_after IS NOT NULL AND html_after IS NOT NULL)
    ),
    CONSTRAINT optimization_tasks_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL),
    CONSTRAINT optimization_tasks_finished_after_start CHECK (
        finished_at IS NULL OR started_at IS NULL OR finished_at >= started_at
    )
);

CREATE INDEX optimization_tasks_content_idx ON optimization_tasks (account_id, content_id, created_at DESC);
CREATE INDEX optimization_tasks_open_idx ON optimization_tasks (account_id, status)
    WHERE status IN ('pending', 'running');
CREATE INDEX optimization_tasks_credit_hold_idx ON optimization_tasks (account_id, credit_hold_id)
    WHERE credit_hold_id IS NOT NULL;

CREATE TRIGGER optimization_tasks_set_updated_at BEFORE UPDATE ON optimization_tasks
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Curated keyword -> target rules: "link this phrase to that page". They rank above the phrases
-- the linker derives on its own, and each inserted link records its rule, so removing or disabling
-- a rule removes exactly its links on the next run.
CREATE TABLE link_rules (
    account_id         bigint      NOT NULL,
    id                 bigint      GENERATED ALWAYS AS IDENTITY,
    site_id            bigint      NOT NULL,
    -- The anchor phrase, stored case-folded and whitespace-normalised by the application so the
    -- unique key catches duplicates that differ only in case.
    keyword            text        NOT NULL,
    -- The target: one of our content items, or an arbitrary URL (e.g. a page we do not sync).
    target_content_id  bigint,
    target_url         text,
    -- Higher wins when two rules match the same text.
    priority           integer     NOT NULL DEFAULT 0,
    -- Null means the configured per-post cap.
    max_links_per_post integer,
    is_active          boolean     NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT link_rules_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT link_rules_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    CONSTRAINT link_rules_target_content_fkey FOREIGN KEY (account_id, target_content_id)
        REFERENCES content (account_id, id) ON DELETE CASCADE,
    -- DESIGN §5: one link per keyword, so one rule per phrase and site.
    CONSTRAINT link_rules_keyword_key UNIQUE (account_id, site_id, keyword),
    CONSTRAINT link_rules_keyword_not_blank CHECK (btrim(keyword) <> ''),
    CONSTRAINT link_rules_one_target CHECK (num_nonnulls(target_content_id, target_url) = 1),
    CONSTRAINT link_rules_max_links_positive CHECK (max_links_per_post > 0)
);

CREATE INDEX link_rules_target_content_idx ON link_rules (account_id, target_content_id)
    WHERE target_content_id IS NOT NULL;

CREATE TRIGGER link_rules_set_updated_at BEFORE UPDATE ON link_rules
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
