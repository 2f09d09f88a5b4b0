-- Site builder (DESIGN §9): a blueprint describes a whole site to generate and deploy; its pages are
-- page blueprints. Deployed files live under {data_dir}/sites/{site_id}/v{version}/, so a
-- blueprint belongs to a site.

-- A site to build: the brief it is generated from (config_json), the generated structure, and which
-- version is deployed. version and deployed_version name directories on disk; deploy writes
-- v{version} and rollback points deployed_version back at an earlier one that still exists.
CREATE TABLE site_blueprints (
    account_id       bigint      NOT NULL,
    id               bigint      GENERATED ALWAYS AS IDENTITY,
    site_id          bigint      NOT NULL,
    name             text        NOT NULL,
    description      text,
    -- The brief: business_type, industry, audience, brief, objectives, style {palette, typography,
    -- personality}. Validated by the application.
    config_json      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- The generated structure: pages[slug, title, type, blocks], layout, theme. Null until the
    -- first generation succeeds.
    structure_json   jsonb,
    status           text        NOT NULL DEFAULT 'draft',
    hosting_type     text        NOT NULL DEFAULT 'igny8_sites',
    version          integer     NOT NULL DEFAULT 1,
    deployed_version integer,
    -- Why the last generation failed; the blueprint goes back to draft and keeps this for the API.
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT site_blueprints_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT site_blueprints_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    CONSTRAINT site_blueprints_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT site_blueprints_status_check CHECK (status IN ('draft', 'generating', 'ready', 'deployed')),
    CONSTRAINT site_blueprints_hosting_type_check CHECK (
        hosting_type IN ('igny8_sites', 'wordpress', 'shopify', 'multi')
    ),
    CONSTRAINT site_blueprints_version_positive CHECK (version >= 1),
    -- Only a version that was built can be deployed.
    CONSTRAINT site_blueprints_deployed_version_range CHECK (
        deployed_version IS NULL OR deployed_version BETWEEN 1 AND version
    ),
    CONSTRAINT site_blueprints_deployed_has_version CHECK (
        status <> 'deployed' OR deployed_version IS NOT NULL
    ),
    CONSTRAINT site_blueprints_config_json_object CHECK (jsonb_typeof(config_json) = 'object'),
    CONSTRAINT site_blueprints_structure_json_object CHECK (
        structure_json IS NULL OR jsonb_typeof(structure_json) = 'object'
    )
);

CREATE INDEX site_blueprints_site_idx ON site_blueprints (account_id, site_id);

CREATE TRIGGER site_blueprints_set_updated_at BEFORE UPDATE ON site_blueprints
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One page of a blueprint: its slug, type, blocks and place in the navigation. Structure
-- generation creates, updates and deletes these to match the structure; page content generation
-- goes through a writer task and lands in the blocks and in a content row.
CREATE TABLE page_blueprints (
    account_id        bigint      NOT NULL,
    id                bigint      GENERATED ALWAYS AS IDENTITY,
    site_blueprint_id bigint      NOT NULL,
    -- Also the file name pages/{slug}.json on deploy, hence the strict format.
    slug              text        NOT NULL,
    title             text        NOT NULL,
    type              text        NOT NULL DEFAULT 'custom',
    -- The page's blocks (hero, feature_grid, stats, testimonials, cta, text, contact_form, ...).
    blocks_json       jsonb       NOT NULL DEFAULT '[]'::jsonb,
    status            text        NOT NULL DEFAULT 'draft',
    -- Position in the navigation; `order` in the API (a reserved word in SQL).
    sort_order        integer     NOT NULL DEFAULT 0,
    -- The writer task and content row of the last page content generation.
    task_id           bigint,
    content_id        bigint,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT page_blueprints_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT page_blueprints_site_blueprint_fkey FOREIGN KEY (account_id, site_blueprint_id)
        REFERENCES site_blueprints (account_id, id) ON DELETE CASCADE,
    CONSTRAINT page_blueprints_task_fkey FOREIGN KEY (account_id, task_id)
        REFERENCES tasks (account_id, id) ON DELETE SET NULL (task_id),
    CONSTRAINT page_blueprints_content_fkey FOREIGN KEY (account_id, content_id)
        REFERENCES content (account_id, id) ON DELETE SET NULL (content_id),
    CONSTRAINT page_blueprints_slug_key UNIQUE (account_id, site_blueprint_id, slug),
    -- Lowercase letters, digits, '-' and '_', starting with a letter or digit: safe as a URL
    -- segment and a file name (no dots, slashes or hidden files).
    CONSTRAINT page_blueprints_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
    CONSTRAINT page_blueprints_title_not_blank CHECK (btrim(title) <> ''),
    CONSTRAINT page_blueprints_type_check CHECK (
        type IN ('home', 'about', 'services', 'products', 'blog', 'contact', 'custom')
    ),
    CONSTRAINT page_blueprints_status_check CHECK (status IN ('draft', 'generating', 'ready')),
    CONSTRAINT page_blueprints_blocks_json_array CHECK (jsonb_typeof(blocks_json) = 'array')
);

-- Pages are listed and rendered in navigation order.
CREATE INDEX page_blueprints_order_idx ON page_blueprints (account_id, site_blueprint_id, sort_order, id);
CREATE INDEX page_blueprints_task_idx ON page_blueprints (account_id, task_id) WHERE task_id IS NOT NULL;
CREATE INDEX page_blueprints_content_idx ON page_blueprints (account_id, content_id)
    WHERE content_id IS NOT NULL;

CREATE TRIGGER page_blueprints_set_updated_at BEFORE UPDATE ON page_blueprints
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
