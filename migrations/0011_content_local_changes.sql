-- Items holding a change made here that the CMS does not have yet (the body differs from the
-- last version the CMS held). A pull keeps such a body as a revision before replacing it, and
-- looks for them by remote reference on every window: this index holds only those few rows, so
-- the lookup stays one cheap probe however large the site, whatever the table statistics say.
CREATE INDEX content_local_changes_idx ON content (account_id, site_id, external_type, external_id)
    WHERE content_hash IS DISTINCT FROM base_hash;
