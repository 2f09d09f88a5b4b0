-- A site has at most one blueprint: its files live under {data_dir}/sites/{site_id}/v{version}/,
-- so two blueprints of one site would write the same version directories.
DROP INDEX site_blueprints_site_idx;
CREATE UNIQUE INDEX site_blueprints_site_key ON site_blueprints (account_id, site_id);
