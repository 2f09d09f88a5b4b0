-- Sites, the content pulled from (or written for) them, and the sync machinery of DESIGN §4:
-- cursors, run records, the push outbox and webhook deliveries.

-- A CMS (or folder) connected to an account. Declared in the config file or managed over the API;
-- config-declared sites are reconciled into this table at start and on reload, matched by name.
-- Sites are soft-deleted (deleted_at) so their content, runs and history survive a mistaken
-- delete; a hard delete cascades to everything the site owns.
CREATE TABLE sites (
    account_id          bigint      NOT NULL,
    id                  bigint      GENERATED ALWAYS AS IDENTITY,
    name                text        NOT NULL,
    connector           text        NOT NULL,
    -- Required for network connectors; a folder site (connector 'files') has a path in settings.
    base_url            text,
    -- Where the secret lives (a config key, a credentials file, a secret-store entry), never the
    -- secret itself, so a database dump leaks no CMS passwords.
    credentials_ref     text,
    -- Connector-specific options: post types, lookback seconds, username, API version, definition
    -- file, folder paths, ... Validated by the connector.
    settings            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- What the last feature probe found (CMS version, modified_after support, batch API, companion
    -- plugin), so a sync does not have to probe again.
    capabilities        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- Cron expression for the incremental pull; null means only manual syncs and webhook hints.
    schedule            text,
    -- What happens to pipeline results: off (never push), review (queue for a person), auto.
    push_policy         text        NOT NULL DEFAULT 'off',
    -- Whether synced content also goes through the linker (Writer content always does).
    link_enabled        boolean     NOT NULL DEFAULT false,
    -- True when the site is declared in the config file: the API then refuses to edit what the
    -- file owns, and a reload may rewrite it.
    config_managed      boolean     NOT NULL DEFAULT false,
    -- Site builder storage quota override in bytes; null means the configured default.
    storage_quota_bytes bigint,
    deleted_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sites_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT sites_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT sites_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT sites_connector_check CHECK (connector IN ('wordpress', 'shopify', 'rest', 'files')),
    CONSTRAINT sites_base_url_required CHECK (connector = 'files' OR base_url IS NOT NULL),
    CONSTRAINT sites_base_url_http CHECK (base_url IS NULL OR base_url ~* '^https?://'),
    CONSTRAINT sites_push_policy_check CHECK (push_policy IN ('off', 'review', 'auto')),
    CONSTRAINT sites_schedule_not_blank CHECK (schedule IS NULL OR btrim(schedule) <> ''),
    CONSTRAINT sites_storage_quota_positive CHECK (storage_quota_bytes > 0),
    CONSTRAINT sites_settings_object CHECK (jsonb_typeof(settings) = 'object'),
    CONSTRAINT sites_capabilities_object CHECK (jsonb_typeof(capabilities) = 'object')
);

-- Names identify sites in the config file and the CLI, so they are unique among live sites; a
-- deleted site's name can be reused.
CREATE UNIQUE INDEX sites_name_key ON sites (account_id, name) WHERE deleted_at IS NULL;

CREATE TRIGGER sites_set_updated_at BEFORE UPDATE ON sites
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Which sites an editor or viewer may touch. Owners and admins see every site of their account and
-- need no rows. A grant names either a user (and so every token of that user) or a single token,
-- because tokens made from the CLI belong to no user.
CREATE TABLE site_user_access (
    account_id   bigint      NOT NULL,
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    site_id      bigint      NOT NULL,
    user_id      bigint,
    api_token_id bigint,
    -- Caps the principal's role on this site: an editor granted 'view' can only read it. The
    -- effective right is the lower of the role and this level.
    access       text        NOT NULL DEFAULT 'edit',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT site_user_access_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT site_user_access_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    CONSTRAINT site_user_access_user_fkey FOREIGN KEY (account_id, user_id)
        REFERENCES users (account_id, id) ON DELETE CASCADE,
    CONSTRAINT site_user_access_api_token_fkey FOREIGN KEY (account_id, api_token_id)
        REFERENCES api_tokens (account_id, id) ON DELETE CASCADE,
    CONSTRAINT site_user_access_user_key UNIQUE (account_id, site_id, user_id),
    CONSTRAINT site_user_access_api_token_key UNIQUE (account_id, site_id, api_token_id),
    CONSTRAINT site_user_access_one_principal CHECK (num_nonnulls(user_id, api_token_id) = 1),
    CONSTRAINT site_user_access_access_check CHECK (access IN ('view', 'edit'))
);

-- Authorisation asks "which sites may this user / token see".
CREATE INDEX site_user_access_user_idx ON site_user_access (account_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX site_user_access_api_token_idx ON site_user_access (account_id, api_token_id)
    WHERE api_token_id IS NOT NULL;

CREATE TRIGGER site_user_access_set_updated_at BEFORE UPDATE ON site_user_access
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Every content item we know: pulled from a CMS, imported from a file, or written by igny8. It
-- records where the item came from (source, external_*), whether it agrees with the CMS
-- (sync_status, remote_modified, base_hash) and how far the pipeline has taken it (status,
-- *_version). content_raw is what we write back; content_rendered is only for analysis.
CREATE TABLE content (
    account_id          bigint      NOT NULL,
    id                  bigint      GENERATED ALWAYS AS IDENTITY,
    site_id             bigint      NOT NULL,
    source              text        NOT NULL,
    sync_status         text        NOT NULL,
    -- Pipeline stage: draft -> linked -> optimized -> review -> published.
    status              text        NOT NULL DEFAULT 'draft',
    -- Remote object kind (post, page, a custom post type, product, article, file) and id; both null
    -- for content that exists only here.
    external_type       text,
    external_id         text,
    external_url        text,
    -- Connector-specific remote facts that have no column (GUID, parent, template, raw API fields).
    sync_metadata       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- The CMS's own last-modified time of the version we hold: the pull cursor's sort key, the
    -- guard of the newer-only upsert and the push precondition.
    remote_modified     timestamptz,
    -- The CMS's publication status (publish, draft, private, pending, future, trash, ACTIVE, ...),
    -- kept verbatim because each CMS has its own set.
    remote_status       text,
    title               text        NOT NULL DEFAULT '',
    slug                text,
    excerpt             text,
    content_raw         text        NOT NULL DEFAULT '',
    content_rendered    text,
    -- Hash of content_raw as we hold it now.
    content_hash        bytea,
    -- Hash of the content as the CMS last held it (pulled, or read back after our push): the base
    -- of a three-way comparison, and the echo check that recognises our own write coming back.
    base_hash           bytea,
    -- Links the linker inserted: anchor, target, url, rule, score, matched terms, offset.
    internal_links      jsonb       NOT NULL DEFAULT '[]'::jsonb,
    -- Bumped by each stage, so a stage can tell whether its output is current.
    linker_version      integer     NOT NULL DEFAULT 0,
    optimizer_version   integer     NOT NULL DEFAULT 0,
    -- Latest analyzer scores (seo, readability, engagement, overall, per assessment).
    optimization_scores jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- The CMS author as the connector reports it (id or display name).
    author              text,
    categories          jsonb       NOT NULL DEFAULT '[]'::jsonb,
    tags                jsonb       NOT NULL DEFAULT '[]'::jsonb,
    -- SEO plugin fields (Yoast, Shopify SEO) where the CMS exposes them.
    focus_keyphrase     text,
    meta_description    text,
    -- The CMS's featured image reference (media id or URL).
    featured_media      text,
    -- BCP 47 tag; null means the site's default. Picks the analyzer's language rules.
    language            text,
    word_count          integer     NOT NULL DEFAULT 0,
    -- Cornerstone items rank first as link targets and use the stricter analyzer profile.
    is_cornerstone      boolean     NOT NULL DEFAULT false,
    published_at        timestamptz,
    -- When we last confirmed this row against the CMS (pull, sweep or push read-back).
    last_synced_at      timestamptz,
    -- The last sync problem for this item, when sync_status is 'error' or 'conflict'.
    sync_error          text,
    -- Optimistic concurrency: writers UPDATE ... WHERE version = $seen and bump it, so a pipeline
    -- result computed from an older version can never overwrite a newer pull or edit.
    version             bigint      NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT content_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT content_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    -- One row per remote object: the upsert target of every pull. NULL external ids (native
    -- content) never collide.
    CONSTRAINT content_site_external_key UNIQUE (account_id, site_id, external_type, external_id),
    CONSTRAINT content_source_check CHECK (source IN ('igny8', 'wordpress', 'shopify', 'custom')),
    CONSTRAINT content_sync_status_check CHECK (
        sync_status IN ('native', 'imported', 'synced', 'pending_push', 'conflict', 'deleted_remote', 'error')
    ),
    CONSTRAINT content_status_check CHECK (status IN ('draft', 'linked', 'optimized', 'review', 'published')),
    -- A remote reference is the pair (type, id); half of one cannot be matched on the next pull.
    CONSTRAINT content_external_ref_complete CHECK ((external_type IS NULL) = (external_id IS NULL)),
    -- Anything that came from outside has a remote id to sync against.
    CONSTRAINT content_external_source_has_id CHECK (source = 'igny8' OR external_id IS NOT NULL),
    -- 'native' means "exists only here", which only igny8-written content can be.
    CONSTRAINT content_native_is_igny8 CHECK (sync_status <> 'native' OR source = 'igny8'),
    CONSTRAINT content_versions_nonnegative CHECK (
        linker_version >= 0 AND optimizer_version >= 0 AND version >= 1
    ),
    CONSTRAINT content_word_count_nonnegative CHECK (word_count >= 0),
    CONSTRAINT content_internal_links_array CHECK (jsonb_typeof(internal_links) = 'array'),
    CONSTRAINT content_categories_array CHECK (jsonb_typeof(categories) = 'array'),
    CONSTRAINT content_tags_array CHECK (jsonb_typeof(tags) = 'array'),
    CONSTRAINT content_sync_metadata_object CHECK (jsonb_typeof(sync_metadata) = 'object'),
    CONSTRAINT content_optimization_scores_object CHECK (jsonb_typeof(optimization_scores) = 'object')
);

-- The content list filters by site and by sync or pipeline state; the pipeline and the push
-- policy look for items in a given state; the pull orders by remote_modified.
CREATE INDEX content_site_sync_status_idx ON content (account_id, site_id, sync_status);
CREATE INDEX content_site_status_idx ON content (account_id, site_id, status);
CREATE INDEX content_site_remote_modified_idx ON content (account_id, site_id, remote_modified);

CREATE TRIGGER content_set_updated_at BEFORE UPDATE ON content
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Earlier versions of a content item's body, kept when a pull, a pipeline stage or a regeneration
-- replaces it, so a person can compare or roll back and nothing is lost to an overwrite.
CREATE TABLE content_revisions (
    account_id   bigint      NOT NULL,
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    content_id   bigint      NOT NULL,
    -- content.version the snapshot was taken at.
    version      bigint      NOT NULL,
    -- What replaced this version.
    origin       text        NOT NULL,
    title        text        NOT NULL DEFAULT '',
    content_raw  text        NOT NULL,
    content_hash bytea,
    metadata     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT content_revisions_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT content_revisions_content_fkey FOREIGN KEY (account_id, content_id)
        REFERENCES content (account_id, id) ON DELETE CASCADE,
    CONSTRAINT content_revisions_version_key UNIQUE (account_id, content_id, version),
    CONSTRAINT content_revisions_origin_check CHECK (
        origin IN ('pull', 'import', 'push', 'writer', 'regenerate', 'linker', 'optimizer', 'ai_rewrite',
                   'manual')
    ),
    CONSTRAINT content_revisions_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

-- Where the incremental pull of one stream (post type, product, article, ...) of one site resumes:
-- the (remote_modified, external_id) of the last item committed, written in the same transaction as
-- that window's upserts so a crash resumes at the last whole window.
CREATE TABLE sync_cursors (
    account_id             bigint      NOT NULL,
    id                     bigint      GENERATED ALWAYS AS IDENTITY,
    site_id                bigint      NOT NULL,
    stream                 text        NOT NULL,
    -- Null until the first window commits: the next pull is then a full one.
    cursor_modified        timestamptz,
    -- Tie-breaker among items sharing cursor_modified.
    cursor_external_id     text,
    -- Connector resume state that is not a cursor, e.g. a running Shopify bulk operation's id so a
    -- crash resumes polling it instead of starting another.
    state                  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    full_sync_completed_at timestamptz,
    -- When the ID sweep last reconciled deletes for this stream; schedules the next sweep.
    last_reconciled_at     timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sync_cursors_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT sync_cursors_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    CONSTRAINT sync_cursors_stream_key UNIQUE (account_id, site_id, stream),
    CONSTRAINT sync_cursors_stream_not_blank CHECK (btrim(stream) <> ''),
    -- The tie-breaker means nothing without the time it breaks ties for.
    CONSTRAINT sync_cursors_external_id_needs_modified CHECK (
        cursor_external_id IS NULL OR cursor_modified IS NOT NULL
    ),
    CONSTRAINT sync_cursors_state_object CHECK (jsonb_typeof(state) = 'object')
);

CREATE TRIGGER sync_cursors_set_updated_at BEFORE UPDATE ON sync_cursors
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per sync run, with its counts, so runs are visible in the API and a run that breaks an
-- invariant (count mismatch, a cursor that stops advancing) fails loudly with its error kept.
CREATE TABLE sync_runs (
    account_id      bigint      NOT NULL,
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    site_id         bigint      NOT NULL,
    -- full: everything from scratch; incremental: cursor windows plus the trash pass; reconcile:
    -- the ID sweep for deletes; refetch: single items hinted by webhooks; import: a WXR/file import.
    kind            text        NOT NULL,
    status          text        NOT NULL DEFAULT 'running',
    triggered_by    text        NOT NULL DEFAULT 'schedule',
    -- The server's own item count where it reports one, checked against fetched_count.
    expected_count  integer,
    fetched_count   integer     NOT NULL DEFAULT 0,
    created_count   integer     NOT NULL DEFAULT 0,
    updated_count   integer     NOT NULL DEFAULT 0,
    unchanged_count integer     NOT NULL DEFAULT 0,
    deleted_count   integer     NOT NULL DEFAULT 0,
    error_count     integer     NOT NULL DEFAULT 0,
    -- Per-stream counts, windows and durations.
    stats           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error           text,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    CONSTRAINT sync_runs_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT sync_runs_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    CONSTRAINT sync_runs_kind_check CHECK (kind IN ('full', 'incremental', 'reconcile', 'refetch', 'import')),
    CONSTRAINT sync_runs_status_check CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    CONSTRAINT sync_runs_triggered_by_check CHECK (
        triggered_by IN ('schedule', 'manual', 'webhook', 'startup', 'automation')
    ),
    CONSTRAINT sync_runs_counts_nonnegative CHECK (
        fetched_count >= 0 AND created_count >= 0 AND updated_count >= 0 AND unchanged_count >= 0
        AND deleted_count >= 0 AND error_count >= 0 AND (expected_count IS NULL OR expected_count >= 0)
    ),
    -- A finished run has an end time, a running one does not.
    CONSTRAINT sync_runs_finished_iff_done CHECK ((status = 'running') = (finished_at IS NULL)),
    CONSTRAINT sync_runs_finished_after_start CHECK (finished_at IS NULL OR finished_at >= started_at),
    -- "No silent success": a failed run says why.
    CONSTRAINT sync_runs_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL),
    CONSTRAINT sync_runs_stats_object CHECK (jsonb_typeof(stats) = 'object')
);

CREATE INDEX sync_runs_site_started_idx ON sync_runs (account_id, site_id, started_at DESC);

-- The push outbox: one row per intended write to the CMS. A row moves
-- pending -> preflight -> writing -> verifying -> done | conflict | failed, and records the
-- precondition it was computed against (base_*) and the receipt of what the CMS holds afterwards
-- (receipt_*), so a crash in 'writing' resumes by re-reading and nothing a person wrote in the CMS
-- is overwritten silently.
CREATE TABLE push_jobs (
    account_id              bigint      NOT NULL,
    id                      bigint      GENERATED ALWAYS AS IDENTITY,
    site_id                 bigint      NOT NULL,
    content_id              bigint      NOT NULL,
    state                   text        NOT NULL DEFAULT 'pending',
    -- Derived from the content and the result being pushed (e.g. content id + content hash), so
    -- the same result is never queued twice.
    idempotency_key         text        NOT NULL,
    -- Only the fields the pipeline changed, with their new values: we patch, never replace.
    changed_fields          jsonb       NOT NULL,
    -- content.version the push was computed from.
    content_version         bigint      NOT NULL,
    -- Precondition: what the CMS held when we pulled. A different remote value at preflight is a
    -- conflict and nothing is written.
    base_remote_modified    timestamptz,
    base_hash               bytea,
    -- Receipt: the CMS's state read back after the write; recognises our own write when it comes
    -- back through a pull or webhook (no echo loop).
    receipt_remote_modified timestamptz,
    receipt_hash            bytea,
    attempts                integer     NOT NULL DEFAULT 0,
    last_error              text,
    -- Conflict or failure evidence for the API (remote modified time seen, CMS error body, ...).
    details                 jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    finished_at             timestamptz,
    CONSTRAINT push_jobs_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT push_jobs_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    CONSTRAINT push_jobs_content_fkey FOREIGN KEY (account_id, content_id)
        REFERENCES content (account_id, id) ON DELETE CASCADE,
    CONSTRAINT push_jobs_idempotency_key UNIQUE (account_id, idempotency_key),
    CONSTRAINT push_jobs_state_check CHECK (
        state IN ('pending', 'preflight', 'writing', 'verifying', 'done', 'conflict', 'failed')
    ),
    CONSTRAINT push_jobs_idempotency_key_not_blank CHECK (btrim(idempotency_key) <> ''),
    CONSTRAINT push_jobs_changed_fields_object CHECK (jsonb_typeof(changed_fields) = 'object'),
    CONSTRAINT push_jobs_details_object CHECK (jsonb_typeof(details) = 'object'),
    CONSTRAINT push_jobs_attempts_nonnegative CHECK (attempts >= 0),
    -- Every completed write has a read-back receipt.
    CONSTRAINT push_jobs_done_has_receipt CHECK (state <> 'done' OR receipt_hash IS NOT NULL),
    CONSTRAINT push_jobs_finished_iff_terminal CHECK (
        (state IN ('done', 'conflict', 'failed')) = (finished_at IS NOT NULL)
    )
);

-- At most one push per item in flight: two concurrent writes of one item would each see the
-- other's write as a conflict. A newer result replaces the pending row's fields or waits.
CREATE UNIQUE INDEX push_jobs_one_active_per_content ON push_jobs (account_id, content_id)
    WHERE state IN ('pending', 'preflight', 'writing', 'verifying');
-- Workers and the API look for a site's unfinished pushes.
CREATE INDEX push_jobs_site_active_idx ON push_jobs (account_id, site_id, created_at)
    WHERE state IN ('pending', 'preflight', 'writing', 'verifying');
CREATE INDEX push_jobs_content_idx ON push_jobs (account_id, content_id, created_at DESC);

CREATE TRIGGER push_jobs_set_updated_at BEFORE UPDATE ON push_jobs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Webhook deliveries accepted from a CMS. Webhooks are hints: the row exists to drop duplicate or
-- replayed deliveries (the unique key) and to trace which re-fetch a delivery caused. Only
-- deliveries with a valid signature are stored.
CREATE TABLE webhook_deliveries (
    account_id    bigint      NOT NULL,
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    site_id       bigint      NOT NULL,
    -- The sender's delivery id (X-Shopify-Webhook-Id, X-WC-Webhook-Delivery-ID, the companion
    -- plugin's id).
    delivery_id   text        NOT NULL,
    topic         text        NOT NULL,
    -- The item the hint is about, when the payload names one.
    external_type text,
    external_id   text,
    status        text        NOT NULL DEFAULT 'received',
    error         text,
    received_at   timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT webhook_deliveries_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    CONSTRAINT webhook_deliveries_delivery_key UNIQUE (account_id, site_id, delivery_id),
    CONSTRAINT webhook_deliveries_delivery_id_not_blank CHECK (btrim(delivery_id) <> ''),
    -- received: stored; queued: re-fetch enqueued; processed: re-fetch done; ignored: nothing to
    -- do (e.g. an echo of our own push); failed: the re-fetch failed.
    CONSTRAINT webhook_deliveries_status_check CHECK (
        status IN ('received', 'queued', 'processed', 'ignored', 'failed')
    ),
    CONSTRAINT webhook_deliveries_processed_after_received CHECK (
        processed_at IS NULL OR processed_at >= received_at
    )
);

-- Old deliveries are pruned by age once past the replay window.
CREATE INDEX webhook_deliveries_received_at_idx ON webhook_deliveries (received_at);
