//! Sites read through definitions: an end-to-end pull of a configured Ghost site into
//! PostgreSQL through the sync engine, a broken definition that stops only its own site, and a
//! definition re-read after its file changed.

use std::path::Path;

use igny8::app::App;
use igny8::connector::rest::definition::DefinitionError;
use igny8::connector::rest::definitions::Definitions;
use igny8::domain::ids::{AccountId, SiteId};
use igny8::domain::site::{DefinitionName, SiteName};
use igny8::jobs::handler::JobError;
use igny8::store::Store;
use igny8::store::sync_runs::Trigger;
use igny8::sync::jobs::{PullPayload, SyncServices, run_pull};
use igny8::sync::site_connector::check_site;
use serde_json::json;
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::fake::{FakeCms, Flavour, GHOST_KEY_ID, GHOST_SECRET, repo};
use crate::support::settings_for;

fn rest_site(name: &str, account: i64, definition: &str, base_url: &str) -> String {
    format!(
        "[[sites]]\nname = \"{name}\"\naccount = {account}\nconnector = \"rest\"\n\
         definition = \"{definition}\"\nbase_url = \"{base_url}\"\n\
         api_key = \"{GHOST_KEY_ID}:{GHOST_SECRET}\"\n"
    )
}

async fn ghost_with_posts(count: usize, lists: u64) -> FakeCms {
    let cms = FakeCms::start(Flavour::Ghost, FakeCms::items(Flavour::Ghost, count)).await;
    cms.serve(lists, 0).await;
    Mock::given(method("GET"))
        .and(path("/ghost/api/admin/pages/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "pages": [],
            "meta": {"pagination": {"page": 1, "limit": 100, "pages": 1, "total": 0,
                                    "next": null, "prev": null}}})))
        .expect(lists)
        .mount(&cms.server)
        .await;
    cms
}

async fn site_id(store: &Store, name: &str) -> (AccountId, SiteId) {
    let sites = store
        .sites_named(&SiteName::parse(name).unwrap())
        .await
        .unwrap();
    (sites[0].account_id, sites[0].id)
}

async fn pull(services: &SyncServices, store: &Store, name: &str) -> Result<(), JobError> {
    let (account_id, site_id) = site_id(store, name).await;
    run_pull(
        services,
        store,
        &PullPayload {
            account_id,
            site_id,
            full: false,
            trigger: Trigger::Manual,
        },
    )
    .await
}

#[sqlx::test]
async fn a_configured_ghost_site_is_pulled_into_postgres(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let account = store.create_account("rest", None).await.unwrap().id.get();
    // The pull and the first ID sweep each probe and then list both streams once.
    let cms = ghost_with_posts(3, 4).await;
    let settings = settings_for(
        &pool,
        &format!(
            "[connectors]\ndefinitions_dir = {:?}\n{}",
            repo().join("connectors").display().to_string(),
            rest_site("journal", account, "ghost", &cms.server.uri())
        ),
    );
    let app = App::build_with_store(settings.clone(), store.clone())
        .await
        .unwrap();
    let services = SyncServices::new(&settings, app.config_sites().secrets()).unwrap();

    pull(&services, &store, "journal").await.unwrap();

    let (_, site) = site_id(&store, "journal").await;
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT external_type, external_id, content_raw, source::text FROM content \
         WHERE site_id = $1 ORDER BY external_id",
    )
    .bind(site.get())
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected: Vec<(String, String, String, String)> = FakeCms::items(Flavour::Ghost, 3)
        .into_iter()
        .map(|item| ("post".to_owned(), item.id, item.html, "custom".to_owned()))
        .collect();
    assert_eq!(rows, expected);
    let (status, fetched): (String, i32) = sqlx::query_as(
        "SELECT status::text, fetched_count FROM sync_runs WHERE site_id = $1 AND kind = 'incremental'",
    )
    .bind(site.get())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), fetched), ("succeeded", 3));
}

#[sqlx::test]
async fn a_broken_definition_stops_only_its_own_site(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let account = store.create_account("rest", None).await.unwrap().id.get();
    // The journal's pull and first ID sweep each probe and then list both streams once, and
    // its check below lists them once more.
    let cms = ghost_with_posts(2, 5).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("connectors/ghost.toml"),
        dir.path().join("ghost.toml"),
    )
    .unwrap();
    let broken = std::fs::read_to_string(repo().join("connectors/ghost.toml"))
        .unwrap()
        .replacen("records = \"/posts\"", "records = \"posts\"", 1);
    std::fs::write(dir.path().join("broken.toml"), &broken).unwrap();
    let settings = settings_for(
        &pool,
        &format!(
            "[connectors]\ndefinitions_dir = {:?}\n{}{}",
            dir.path().display().to_string(),
            rest_site("journal", account, "ghost", &cms.server.uri()),
            rest_site("other", account, "broken", &cms.server.uri())
        ),
    );

    // Start-up goes on.
    let app = App::build_with_store(settings.clone(), store.clone())
        .await
        .unwrap();
    let services = SyncServices::new(&settings, app.config_sites().secrets()).unwrap();

    let err = pull(&services, &store, "other").await.unwrap_err();
    let JobError::Permanent(message) = &err else {
        panic!("expected a permanent failure, got {err:?}");
    };
    let line = broken
        .lines()
        .position(|line| line == "records = \"posts\"")
        .unwrap()
        + 1;
    assert!(message.contains("broken.toml"), "{message}");
    assert!(message.contains(&format!("line {line}")), "{message}");
    assert!(message.contains("streams[0].records"), "{message}");
    pull(&services, &store, "journal").await.unwrap();

    // `site check` names the same cause, and finds the other site sound.
    let check = |name: &'static str| {
        let (store, services) = (store.clone(), services.clone());
        async move {
            let (account, id) = site_id(&store, name).await;
            let site = store.site(account, id).await.unwrap();
            check_site(
                &site,
                services.http.clone(),
                &services.secrets(),
                &services.definitions,
            )
            .await
        }
    };
    let broken_check = check("other").await;
    assert_eq!(
        (broken_check.ok, broken_check.code),
        (false, "misconfigured")
    );
    assert!(
        broken_check.message.contains("broken.toml"),
        "{}",
        broken_check.message
    );
    let sound = check("journal").await;
    assert_eq!((sound.ok, sound.code), (true, "ok"), "{}", sound.message);
}

#[test]
fn a_definition_is_read_again_after_its_file_changed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cms.toml");
    let original = std::fs::read_to_string(repo().join("connectors/strapi.toml")).unwrap();
    let write = |text: &str| std::fs::write(&file, text).unwrap();
    let definitions = Definitions::new(dir.path().to_path_buf());
    let name = DefinitionName::parse("cms").unwrap();

    write(&original);
    let first = definitions.get(&name).unwrap();
    assert_eq!(first.streams[0].get_ref().paging.page_size(), 100);
    assert!(std::sync::Arc::ptr_eq(
        &first,
        &definitions.get(&name).unwrap()
    ));

    write(&original.replace("page_size = 100", "page_size = 0"));
    let err = definitions.get(&name).unwrap_err();
    assert!(
        matches!(&err, DefinitionError::Invalid { key, file: f, .. }
            if key == "streams[0].paging" && f == Path::new(&file)),
        "{err}"
    );

    write(&original.replace("page_size = 100", "page_size = 50"));
    assert_eq!(
        definitions.get(&name).unwrap().streams[0]
            .get_ref()
            .paging
            .page_size(),
        50
    );
}
