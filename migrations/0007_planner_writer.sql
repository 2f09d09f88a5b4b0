-- Planner (keywords, clusters, content ideas) and writer (tasks, images). All of it is planned for a
-- site: cluster keywords feed that site's linker index and generated content lands on that site.
-- Created in dependency order: clusters, keywords, ideas, tasks, images.

-- A group of keywords about one topic, from auto-clustering or by hand. Named after its most
-- representative keyword.
CREATE TABLE clusters (
    account_id  bigint      NOT NULL,
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    site_id     bigint      NOT NULL,
    name        text        NOT NULL,
    description text,
    status      text        NOT NULL DEFAULT 'active',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clusters_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT clusters_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    -- Two clusters with one name on one site would be indistinguishable in the planner.
    CONSTRAINT clusters_name_key UNIQUE (account_id, site_id, name),
    CONSTRAINT clusters_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT clusters_status_check CHECK (status IN ('active', 'archived'))
);

CREATE TRIGGER clusters_set_updated_at BEFORE UPDATE ON clusters
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Search keywords the account wants to rank for, imported from CSV or added by hand. Unique per
-- site by normalised form, so a re-import or a case/spacing variant updates instead of duplicating;
-- the same keyword may be planned for two different sites.
CREATE TABLE keywords (
    account_id bigint      NOT NULL,
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    site_id    bigint      NOT NULL,
    -- Null until clustered; a keyword is in at most one cluster.
    cluster_id bigint,
    -- As the person typed it.
    keyword    text        NOT NULL,
    -- Case-folded, whitespace-collapsed form computed by the application; the dedupe key.
    normalized text        NOT NULL,
    -- Monthly search volume.
    volume     integer,
    -- 0 (easy) to 100 (hard), as keyword tools report it.
    difficulty smallint,
    intent     text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT keywords_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT keywords_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    -- Deleting a cluster returns its keywords to the unclustered pool.
    CONSTRAINT keywords_cluster_fkey FOREIGN KEY (account_id, cluster_id)
        REFERENCES clusters (account_id, id) ON DELETE SET NULL (cluster_id),
    CONSTRAINT keywords_normalized_key UNIQUE (account_id, site_id, normalized),
    CONSTRAINT keywords_keyword_not_blank CHECK (btrim(keyword) <> ''),
    CONSTRAINT keywords_normalized_not_blank CHECK (btrim(normalized) <> ''),
    CONSTRAINT keywords_volume_nonnegative CHECK (volume >= 0),
    CONSTRAINT keywords_difficulty_range CHECK (difficulty BETWEEN 0 AND 100),
    CONSTRAINT keywords_intent_check CHECK (
        intent IN ('informational', 'navigational', 'commercial', 'transactional')
    )
);

CREATE INDEX keywords_cluster_idx ON keywords (account_id, cluster_id) WHERE cluster_id IS NOT NULL;

CREATE TRIGGER keywords_set_updated_at BEFORE UPDATE ON keywords
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Article ideas for a cluster (title, angle, outline), generated or written by hand; a writer task
-- is made from one.
CREATE TABLE content_ideas (
    account_id           bigint      NOT NULL,
    id                   bigint      GENERATED ALWAYS AS IDENTITY,
    site_id              bigint      NOT NULL,
    cluster_id           bigint,
    title                text        NOT NULL,
    description          text,
    -- Headings and notes, as a JSON array of sections.
    outline              jsonb       NOT NULL DEFAULT '[]'::jsonb,
    -- Keyword strings the piece should target (copied, so the idea survives keyword edits).
    target_keywords      jsonb       NOT NULL DEFAULT '[]'::jsonb,
    intent               text,
    -- The remote object kind to create (post, page, product, article, a custom post type): an open
    -- set that follows the site's types, hence no CHECK.
    content_type         text        NOT NULL DEFAULT 'post',
    estimated_word_count integer,
    -- new: proposed; queued: a task was made from it; done: its content exists; archived: dropped.
    status               text        NOT NULL DEFAULT 'new',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT content_ideas_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT content_ideas_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    -- Ideas outlive their cluster being deleted; they just lose the grouping.
    CONSTRAINT content_ideas_cluster_fkey FOREIGN KEY (account_id, cluster_id)
        REFERENCES clusters (account_id, id) ON DELETE SET NULL (cluster_id),
    CONSTRAINT content_ideas_title_not_blank CHECK (btrim(title) <> ''),
    CONSTRAINT content_ideas_intent_check CHECK (
        intent IN ('informational', 'navigational', 'commercial', 'transactional')
    ),
    CONSTRAINT content_ideas_status_check CHECK (status IN ('new', 'queued', 'done', 'archived')),
    CONSTRAINT content_ideas_word_count_positive CHECK (estimated_word_count > 0),
    CONSTRAINT content_ideas_outline_array CHECK (jsonb_typeof(outline) = 'array'),
    CONSTRAINT content_ideas_target_keywords_array CHECK (jsonb_typeof(target_keywords) = 'array')
);

CREATE INDEX content_ideas_site_status_idx ON content_ideas (account_id, site_id, status);
CREATE INDEX content_ideas_cluster_idx ON content_ideas (account_id, cluster_id) WHERE cluster_id IS NOT NULL;

CREATE TRIGGER content_ideas_set_updated_at BEFORE UPDATE ON content_ideas
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Writer assignments: what to write (from an idea or by hand) and, once generated, the content row
-- it produced. Generation needs a language model and is charged per word.
CREATE TABLE tasks (
    account_id        bigint      NOT NULL,
    id                bigint      GENERATED ALWAYS AS IDENTITY,
    site_id           bigint      NOT NULL,
    idea_id           bigint,
    cluster_id        bigint,
    title             text        NOT NULL,
    -- Keyword strings to target.
    keywords          jsonb       NOT NULL DEFAULT '[]'::jsonb,
    -- Drives the credit estimate held before generation (1 credit per 100 words).
    target_word_count integer,
    outline           jsonb       NOT NULL DEFAULT '[]'::jsonb,
    content_type      text        NOT NULL DEFAULT 'post',
    status            text        NOT NULL DEFAULT 'pending',
    -- The generated content; regeneration replaces its body and keeps a content_revisions row.
    content_id        bigint,
    -- Model, prompt template and token counts of the last generation.
    ai_usage          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    credits_used      bigint      NOT NULL DEFAULT 0,
    error             text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tasks_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT tasks_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    CONSTRAINT tasks_idea_fkey FOREIGN KEY (account_id, idea_id)
        REFERENCES content_ideas (account_id, id) ON DELETE SET NULL (idea_id),
    CONSTRAINT tasks_cluster_fkey FOREIGN KEY (account_id, cluster_id)
        REFERENCES clusters (account_id, id) ON DELETE SET NULL (cluster_id),
    CONSTRAINT tasks_content_fkey FOREIGN KEY (account_id, content_id)
        REFERENCES content (account_id, id) ON DELETE SET NULL (content_id),
    CONSTRAINT tasks_title_not_blank CHECK (btrim(title) <> ''),
    CONSTRAINT tasks_status_check CHECK (
        status IN ('pending', 'generating', 'completed', 'failed', 'cancelled')
    ),
    CONSTRAINT tasks_target_word_count_positive CHECK (target_word_count > 0),
    CONSTRAINT tasks_credits_used_nonnegative CHECK (credits_used >= 0),
    CONSTRAINT tasks_keywords_array CHECK (jsonb_typeof(keywords) = 'array'),
    CONSTRAINT tasks_outline_array CHECK (jsonb_typeof(outline) = 'array'),
    CONSTRAINT tasks_ai_usage_object CHECK (jsonb_typeof(ai_usage) = 'object'),
    CONSTRAINT tasks_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL)
);

CREATE INDEX tasks_site_status_idx ON tasks (account_id, site_id, status);
CREATE INDEX tasks_idea_idx ON tasks (account_id, idea_id) WHERE idea_id IS NOT NULL;
CREATE INDEX tasks_cluster_idx ON tasks (account_id, cluster_id) WHERE cluster_id IS NOT NULL;
CREATE INDEX tasks_content_idx ON tasks (account_id, content_id) WHERE content_id IS NOT NULL;

CREATE TRIGGER tasks_set_updated_at BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Generated (or requested) images for content and tasks. The prompt is always recorded, so an
-- image can be regenerated or audited even when generation is not configured.
CREATE TABLE images (
    account_id   bigint      NOT NULL,
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    site_id      bigint      NOT NULL,
    content_id   bigint,
    task_id      bigint,
    -- Where the image goes: the featured image, inside the article, or a device-specific variant.
    image_type   text        NOT NULL DEFAULT 'in_article',
    prompt       text        NOT NULL,
    status       text        NOT NULL DEFAULT 'pending',
    -- The provider's URL and/or our stored copy, relative to the data directory.
    url          text,
    path         text,
    mime_type    text,
    width        integer,
    height       integer,
    alt_text     text,
    -- Order among a content item's in-article images.
    position     integer     NOT NULL DEFAULT 0,
    -- Provider and model used, for reproducibility and cost review.
    provider     text,
    model        text,
    credits_used bigint      NOT NULL DEFAULT 0,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT images_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT images_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    CONSTRAINT images_content_fkey FOREIGN KEY (account_id, content_id)
        REFERENCES content (account_id, id) ON DELETE CASCADE,
    CONSTRAINT images_task_fkey FOREIGN KEY (account_id, task_id)
        REFERENCES tasks (account_id, id) ON DELETE SET NULL (task_id),
    CONSTRAINT images_image_type_check CHECK (image_type IN ('featured', 'in_article', 'desktop', 'mobile')),
    CONSTRAINT images_status_check CHECK (status IN ('pending', 'generating', 'generated', 'failed')),
    CONSTRAINT images_prompt_not_blank CHECK (btrim(prompt) <> ''),
    -- A generated image can be found somewhere.
    CONSTRAINT images_generated_has_location CHECK (
        status <> 'generated' OR url IS NOT NULL OR path IS NOT NULL
    ),
    CONSTRAINT images_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL),
    CONSTRAINT images_dimensions_positive CHECK (width > 0 AND height > 0),
    CONSTRAINT images_position_nonnegative CHECK (position >= 0),
    CONSTRAINT images_credits_used_nonnegative CHECK (credits_used >= 0)
);

CREATE INDEX images_content_idx ON images (account_id, content_id, position) WHERE content_id IS NOT NULL;
CREATE INDEX images_task_idx ON images (account_id, task_id) WHERE task_id IS NOT NULL;

CREATE TRIGGER images_set_updated_at BEFORE UPDATE ON images
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
