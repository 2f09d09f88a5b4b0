//! `/api/v1/planner`: keywords (CRUD and CSV import), clusters (CRUD, auto-clustering, ideas
//! for clusters) and ideas (CRUD). Every route needs the planner module; reading needs the
//! site in the caller's view, changing needs edit access to it (editor or higher).

use axum::Json as ResponseJson;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::ai::{OutlineSection, Usage};
use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::detach::run_detached;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::{Json, OptionalIdempotencyKey, Path, Query};
use crate::api::pagination::{PageOf, page};
use crate::api::responses::CommonErrors;
use crate::api::sites::{operable_site, scope};
use crate::domain::event::Causation;
use crate::domain::ids::{ClusterId, IdeaId, KeywordId, SiteId};
use crate::domain::intent::SearchIntent;
use crate::planner::{MAX_IDEA_CLUSTERS, checked_ids, new_keyword};
use crate::processing::RunKey;
use crate::store::clusters::{Cluster, ClusterChange, NewCluster};
use crate::store::content_ideas::{Idea, IdeaFields};
use crate::store::keywords::Keyword;

/// Reads need the site in the caller's view.
pub(crate) async fn visible_site(
    state: &AppState,
    principal: &Principal,
    site: SiteId,
) -> Result<(), ApiError> {
    state.store.site_in_scope(scope(principal), site).await?;
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct KeywordView {
    pub id: KeywordId,
    pub site_id: SiteId,
    pub cluster_id: Option<ClusterId>,
    pub keyword: String,
    /// Case-folded, whitespace-collapsed: the dedupe key within a site.
    pub normalized: String,
    pub volume: Option<i32>,
    pub difficulty: Option<i16>,
    pub intent: Option<SearchIntent>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Keyword> for KeywordView {
    fn from(k: Keyword) -> Self {
        KeywordView {
            id: k.id,
            site_id: k.site_id,
            cluster_id: k.cluster_id,
            keyword: k.keyword,
            normalized: k.normalized,
            volume: k.volume,
            difficulty: k.difficulty,
            intent: k.intent,
            created_at: k.created_at,
            updated_at: k.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClusterView {
    pub id: ClusterId,
    pub site_id: SiteId,
    pub name: String,
    pub description: Option<String>,
    /// active or archived.
    pub status: String,
    pub keyword_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Cluster> for ClusterView {
    fn from(c: Cluster) -> Self {
        ClusterView {
            id: c.id,
            site_id: c.site_id,
            name: c.name,
            description: c.description,
            status: c.status,
            keyword_count: c.keyword_count,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct IdeaView {
    pub id: IdeaId,
    pub site_id: SiteId,
    pub cluster_id: Option<ClusterId>,
    pub title: String,
    pub description: Option<String>,
    #[schema(value_type = Vec<OutlineSection>)]
    pub outline: Value,
    #[schema(value_type = Vec<String>)]
    pub target_keywords: Value,
    pub intent: Option<SearchIntent>,
    pub content_type: String,
    pub estimated_word_count: Option<i32>,
    /// new, queued, done or archived.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Idea> for IdeaView {
    fn from(i: Idea) -> Self {
        IdeaView {
            id: i.id,
            site_id: i.site_id,
            cluster_id: i.cluster_id,
            title: i.title,
            description: i.description,
            outline: i.outline,
            target_keywords: i.target_keywords,
            intent: i.intent,
            content_type: i.content_type,
            estimated_word_count: i.estimated_word_count,
            status: i.status,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// Tokens a model spent on a request.
#[derive(Serialize, ToSchema)]
pub struct UsageView {
    /// offline or openai.
    pub provider: String,
    pub model: Option<String>,
    pub attempts: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

impl From<Usage> for UsageView {
    fn from(u: Usage) -> Self {
        UsageView {
            provider: u.provider.to_owned(),
            model: u.model,
            attempts: u.attempts,
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.total_tokens,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlannerListQuery {
    /// The site whose rows to list.
    site_id: SiteId,
    /// Only rows of this cluster (keywords and ideas).
    cluster_id: Option<ClusterId>,
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
}

// ---- keywords ----

/// One page of a site's keywords, by id.
#[utoipa::path(get, path = "/planner/keywords", tag = "planner", params(PlannerListQuery),
    responses((status = 200, body = PageOf<KeywordView>), CommonErrors))]
pub async fn list_keywords(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PlannerListQuery>,
) -> Result<ResponseJson<PageOf<KeywordView>>, ApiError> {
    let page = page(query.page, query.page_size)?;
    visible_site(&state, &principal, query.site_id).await?;
    let keywords = state
        .store
        .keywords_page(principal.account_id, query.site_id, query.cluster_id, page)
        .await?;
    Ok(ResponseJson(PageOf::new(page, keywords, KeywordView::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyword {
    pub site_id: SiteId,
    #[schema(min_length = 1, max_length = 255)]
    pub keyword: String,
    #[schema(minimum = 0)]
    pub volume: Option<i64>,
    #[schema(minimum = 0, maximum = 100)]
    pub difficulty: Option<i64>,
    pub intent: Option<SearchIntent>,
}

/// Adds a keyword (editor or higher); 409 `keyword_exists` when the site has it already in any
/// case or spacing.
#[utoipa::path(post, path = "/planner/keywords", tag = "planner", request_body = CreateKeyword,
    responses((status = 201, body = KeywordView),
              (status = 409, body = ErrorBody, description = "The site has this keyword"),
              CommonErrors))]
pub async fn create_keyword(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<CreateKeyword>,
) -> Result<(StatusCode, ResponseJson<KeywordView>), ApiError> {
    let site = operable_site(&state, &principal, body.site_id).await?;
    let new = new_keyword(&body.keyword, body.volume, body.difficulty, body.intent)?;
    let keyword = state
        .store
        .insert_keyword(principal.account_id, site.id, &new)
        .await
        .map_err(crate::planner::PlannerError::from)?;
    Ok((StatusCode::CREATED, ResponseJson(keyword.into())))
}

/// A keyword.
#[utoipa::path(get, path = "/planner/keywords/{id}", tag = "planner",
    params(("id" = i64, Path, description = "Keyword id")),
    responses((status = 200, body = KeywordView), CommonErrors))]
pub async fn get_keyword(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<KeywordId>,
) -> Result<ResponseJson<KeywordView>, ApiError> {
    let keyword = state.store.keyword(principal.account_id, id).await?;
    visible_site(&state, &principal, keyword.site_id).await?;
    Ok(ResponseJson(keyword.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyword {
    #[schema(min_length = 1, max_length = 255)]
    pub keyword: Option<String>,
    #[schema(minimum = 0)]
    pub volume: Option<i64>,
    #[schema(minimum = 0, maximum = 100)]
    pub difficulty: Option<i64>,
    pub intent: Option<SearchIntent>,
}

/// Changes the fields given (editor or higher).
#[utoipa::path(patch, path = "/planner/keywords/{id}", tag = "planner",
    request_body = UpdateKeyword,
    params(("id" = i64, Path, description = "Keyword id")),
    responses((status = 200, body = KeywordView), CommonErrors))]
pub async fn update_keyword(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<KeywordId>,
    Json(body): Json<UpdateKeyword>,
) -> Result<ResponseJson<KeywordView>, ApiError> {
    let current = state.store.keyword(principal.account_id, id).await?;
    operable_site(&state, &principal, current.site_id).await?;
    let new = new_keyword(
        body.keyword.as_deref().unwrap_or(&current.keyword),
        body.volume.or(current.volume.map(i64::from)),
        body.difficulty.or(current.difficulty.map(i64::from)),
        body.intent.or(current.intent),
    )?;
    let keyword = state
        .store
        .update_keyword(principal.account_id, id, &new)
        .await
        .map_err(crate::planner::PlannerError::from)?;
    Ok(ResponseJson(keyword.into()))
}

/// Deletes a keyword (editor or higher).
#[utoipa::path(delete, path = "/planner/keywords/{id}", tag = "planner",
    params(("id" = i64, Path, description = "Keyword id")),
    responses((status = 204, description = "Deleted"), CommonErrors))]
pub async fn delete_keyword(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<KeywordId>,
) -> Result<StatusCode, ApiError> {
    let current = state.store.keyword(principal.account_id, id).await?;
    operable_site(&state, &principal, current.site_id).await?;
    state.store.delete_keyword(principal.account_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The site the keywords are for.
    site_id: SiteId,
}

#[derive(Serialize, ToSchema)]
pub struct ImportView {
    /// Keywords new to the site.
    pub created: usize,
    /// Keywords the site had already, updated with the file's values.
    pub updated: usize,
    /// Rows that repeated an earlier row's keyword.
    pub duplicates: usize,
    pub keywords: Vec<KeywordView>,
}

/// Imports keywords from a CSV body (editor or higher): a header naming `keyword` and
/// optionally `volume`, `difficulty`, `intent`. Keywords are deduplicated by normalised form,
/// in the file and against the site. A bad file is 422 naming each row and column.
#[utoipa::path(post, path = "/planner/keywords/bulk_import", tag = "planner",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportView), CommonErrors))]
pub async fn bulk_import(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Result<ResponseJson<ImportView>, ApiError> {
    let site = operable_site(&state, &principal, query.site_id).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|err| ApiError::invalid("body", format!("expected UTF-8 CSV text: {err}")))?;
    let (imported, duplicates) = state
        .planner
        .import_csv(principal.account_id, site.id, text)
        .await?;
    Ok(ResponseJson(ImportView {
        created: imported.created.len(),
        updated: imported.updated.len(),
        duplicates,
        keywords: imported
            .created
            .into_iter()
            .chain(imported.updated)
            .map(KeywordView::from)
            .collect(),
    }))
}

// ---- clusters ----

/// One page of a site's clusters, by id.
#[utoipa::path(get, path = "/planner/clusters", tag = "planner", params(PlannerListQuery),
    responses((status = 200, body = PageOf<ClusterView>), CommonErrors))]
pub async fn list_clusters(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PlannerListQuery>,
) -> Result<ResponseJson<PageOf<ClusterView>>, ApiError> {
    let page = page(query.page, query.page_size)?;
    if query.cluster_id.is_some() {
        return Err(ApiError::invalid(
            "cluster_id",
            "clusters are not listed by cluster",
        ));
    }
    visible_site(&state, &principal, query.site_id).await?;
    let clusters = state
        .store
        .clusters_page(principal.account_id, query.site_id, page)
        .await?;
    Ok(ResponseJson(PageOf::new(page, clusters, ClusterView::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCluster {
    pub site_id: SiteId,
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    pub description: Option<String>,
    /// Keywords of the site to move into the cluster.
    #[serde(default)]
    pub keyword_ids: Vec<KeywordId>,
}

/// Creates a cluster by hand (editor or higher); 409 `cluster_name_taken` for a name the site
/// uses.
#[utoipa::path(post, path = "/planner/clusters", tag = "planner", request_body = CreateCluster,
    responses((status = 201, body = ClusterView), CommonErrors))]
pub async fn create_cluster(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<CreateCluster>,
) -> Result<(StatusCode, ResponseJson<ClusterView>), ApiError> {
    let site = operable_site(&state, &principal, body.site_id).await?;
    let name = checked_name(&body.name)?;
    if !body.keyword_ids.is_empty() {
        let (of, _) = state
            .planner
            .keywords_of_one_site(principal.account_id, &body.keyword_ids)
            .await?;
        if of != site.id {
            return Err(ApiError::invalid(
                "keyword_ids",
                format!("expected keywords of site {}, found site {of}", site.id),
            ));
        }
    }
    let new = NewCluster {
        name,
        description: body.description,
        keywords: body.keyword_ids,
    };
    let mut created = state
        .store
        .create_clusters(
            principal.account_id,
            site.id,
            &[new],
            false,
            &Causation::root(),
        )
        .await
        .map_err(crate::planner::PlannerError::from)?;
    Ok((StatusCode::CREATED, ResponseJson(created.remove(0).into())))
}

fn checked_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(ApiError::invalid("name", "expected 1 to 255 characters"));
    }
    Ok(name.to_owned())
}

/// A cluster.
#[utoipa::path(get, path = "/planner/clusters/{id}", tag = "planner",
    params(("id" = i64, Path, description = "Cluster id")),
    responses((status = 200, body = ClusterView), CommonErrors))]
pub async fn get_cluster(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ClusterId>,
) -> Result<ResponseJson<ClusterView>, ApiError> {
    let cluster = state.store.cluster(principal.account_id, id).await?;
    visible_site(&state, &principal, cluster.site_id).await?;
    Ok(ResponseJson(cluster.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCluster {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    pub description: Option<String>,
    /// active or archived.
    pub status: Option<String>,
    /// The cluster's keywords from now on: these move in from wherever they are, the others
    /// leave it for the unclustered pool.
    pub keyword_ids: Option<Vec<KeywordId>>,
}

/// Changes a cluster and moves keywords into or out of it (editor or higher).
#[utoipa::path(patch, path = "/planner/clusters/{id}", tag = "planner",
    request_body = UpdateCluster,
    params(("id" = i64, Path, description = "Cluster id")),
    responses((status = 200, body = ClusterView), CommonErrors))]
pub async fn update_cluster(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ClusterId>,
    Json(body): Json<UpdateCluster>,
) -> Result<ResponseJson<ClusterView>, ApiError> {
    let cluster = state.store.cluster(principal.account_id, id).await?;
    operable_site(&state, &principal, cluster.site_id).await?;
    let change = ClusterChange {
        name: body.name.as_deref().map(checked_name).transpose()?,
        description: body.description.map(Some),
        status: body.status,
        keywords: body.keyword_ids,
    };
    let cluster = state
        .planner
        .update_cluster(principal.account_id, &cluster, &change)
        .await?;
    Ok(ResponseJson(cluster.into()))
}

/// Deletes a cluster (editor or higher); its keywords return to the unclustered pool, its ideas
/// lose the grouping.
#[utoipa::path(delete, path = "/planner/clusters/{id}", tag = "planner",
    params(("id" = i64, Path, description = "Cluster id")),
    responses((status = 204, description = "Deleted"), CommonErrors))]
pub async fn delete_cluster(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ClusterId>,
) -> Result<StatusCode, ApiError> {
    let cluster = state.store.cluster(principal.account_id, id).await?;
    operable_site(&state, &principal, cluster.site_id).await?;
    state.store.delete_cluster(principal.account_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoClusterRequest {
    /// Keywords of one site, 1 to 10,000.
    #[schema(min_items = 1, max_items = 10000)]
    pub keyword_ids: Vec<KeywordId>,
}

#[derive(Serialize, ToSchema)]
pub struct ClusteredView {
    pub clusters: Vec<ClusterView>,
    /// 10 per request.
    pub credits_used: i64,
    pub usage: UsageView,
}

/// Clusters keywords of one site (editor or higher; 10 credits, held first and released when
/// clustering fails). Offline: the local algorithm; openai: the model, whose answer must put
/// every keyword in exactly one cluster. An `Idempotency-Key` makes a retry reuse the hold.
#[utoipa::path(post, path = "/planner/clusters/auto_cluster", tag = "planner",
    request_body = AutoClusterRequest,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
        pattern = "^[!-~]+$", description = "Names the run for the credit ledger")),
    responses((status = 200, body = ClusteredView),
              (status = 402, body = ErrorBody, description = "Not enough credits"),
              (status = 502, body = ErrorBody, description = "The model gave no usable answer"),
              CommonErrors))]
pub async fn auto_cluster(
    State(state): State<AppState>,
    principal: Principal,
    OptionalIdempotencyKey(key): OptionalIdempotencyKey,
    Json(body): Json<AutoClusterRequest>,
) -> Result<ResponseJson<ClusteredView>, ApiError> {
    principal.require(crate::domain::role::Role::Editor)?;
    let (site, keywords) = state
        .planner
        .keywords_of_one_site(principal.account_id, &body.keyword_ids)
        .await?;
    operable_site(&state, &principal, site).await?;
    let (planner, account) = (state.planner.clone(), principal.account_id);
    let run = RunKey::request(key.as_ref());
    let clustered = run_detached(async move {
        planner
            .cluster_keywords(account, site, &keywords, &run)
            .await
    })
    .await?;
    Ok(ResponseJson(ClusteredView {
        clusters: clustered
            .clusters
            .into_iter()
            .map(ClusterView::from)
            .collect(),
        credits_used: clustered.credits_used,
        usage: clustered.usage.into(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateIdeasRequest {
    /// 1 to 50 clusters.
    #[schema(min_items = 1, max_items = 50)]
    pub cluster_ids: Vec<ClusterId>,
}

#[derive(Serialize, ToSchema)]
pub struct IdeasView {
    pub ideas: Vec<IdeaView>,
    /// 15 per cluster.
    pub credits_used: i64,
    pub usage: UsageView,
}

/// Proposes article ideas for clusters (editor or higher; 15 credits per cluster, held first).
/// Offline: templates chosen by the cluster's search intent; openai: the model.
#[utoipa::path(post, path = "/planner/clusters/auto_generate_ideas", tag = "planner",
    request_body = GenerateIdeasRequest,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
        pattern = "^[!-~]+$", description = "Names the run for the credit ledger")),
    responses((status = 200, body = IdeasView),
              (status = 402, body = ErrorBody, description = "Not enough credits"),
              (status = 502, body = ErrorBody, description = "The model gave no usable answer"),
              CommonErrors))]
pub async fn auto_generate_ideas(
    State(state): State<AppState>,
    principal: Principal,
    OptionalIdempotencyKey(key): OptionalIdempotencyKey,
    Json(body): Json<GenerateIdeasRequest>,
) -> Result<ResponseJson<IdeasView>, ApiError> {
    principal.require(crate::domain::role::Role::Editor)?;
    checked_ids("cluster_ids", &body.cluster_ids, MAX_IDEA_CLUSTERS)?;
    let clusters = state
        .store
        .clusters_by_ids(principal.account_id, &body.cluster_ids)
        .await?;
    for (i, id) in body.cluster_ids.iter().enumerate() {
        let Some(cluster) = clusters.iter().find(|c| c.id == *id) else {
            return Err(ApiError::invalid(
                format!("cluster_ids[{i}]"),
                format!("there is no cluster {id}"),
            ));
        };
        operable_site(&state, &principal, cluster.site_id).await?;
    }
    let (planner, account) = (state.planner.clone(), principal.account_id);
    let run = RunKey::request(key.as_ref());
    let ideas =
        run_detached(async move { planner.generate_ideas(account, &clusters, &run).await }).await?;
    Ok(ResponseJson(IdeasView {
        ideas: ideas.ideas.into_iter().map(IdeaView::from).collect(),
        credits_used: ideas.credits_used,
        usage: ideas.usage.into(),
    }))
}

// ---- ideas ----

/// One page of a site's ideas, by id.
#[utoipa::path(get, path = "/planner/ideas", tag = "planner", params(PlannerListQuery),
    responses((status = 200, body = PageOf<IdeaView>), CommonErrors))]
pub async fn list_ideas(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PlannerListQuery>,
) -> Result<ResponseJson<PageOf<IdeaView>>, ApiError> {
    let page = page(query.page, query.page_size)?;
    visible_site(&state, &principal, query.site_id).await?;
    let ideas = state
        .store
        .ideas_page(principal.account_id, query.site_id, query.cluster_id, page)
        .await?;
    Ok(ResponseJson(PageOf::new(page, ideas, IdeaView::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdeaInput {
    /// Required when creating; an idea cannot move to another site.
    pub site_id: Option<SiteId>,
    pub cluster_id: Option<ClusterId>,
    #[schema(min_length = 1)]
    pub title: Option<String>,
    pub description: Option<String>,
    pub outline: Option<Vec<OutlineSection>>,
    pub target_keywords: Option<Vec<String>>,
    pub intent: Option<SearchIntent>,
    /// post, page, product, ... (default post).
    pub content_type: Option<String>,
    #[schema(minimum = 1)]
    pub estimated_word_count: Option<i32>,
    /// new, queued, done or archived.
    pub status: Option<String>,
}

/// The idea's fields: `input` over `current` (or the defaults).
async fn idea_fields(
    state: &AppState,
    principal: &Principal,
    site: SiteId,
    input: IdeaInput,
    current: Option<Idea>,
) -> Result<IdeaFields, ApiError> {
    let title = match (input.title, &current) {
        (Some(title), _) => title,
        (None, Some(current)) => current.title.clone(),
        (None, None) => return Err(ApiError::invalid("title", "expected a title")),
    };
    if title.trim().is_empty() {
        return Err(ApiError::invalid(
            "title",
            "expected a title, found nothing",
        ));
    }
    let cluster_id = input
        .cluster_id
        .or(current.as_ref().and_then(|c| c.cluster_id));
    if let Some(cluster) = input.cluster_id {
        let cluster = state
            .store
            .cluster(principal.account_id, cluster)
            .await
            .map_err(|_| {
                ApiError::invalid("cluster_id", format!("there is no cluster {cluster}"))
            })?;
        if cluster.site_id != site {
            return Err(ApiError::invalid(
                "cluster_id",
                format!("expected a cluster of site {site}"),
            ));
        }
    }
    let status = input
        .status
        .or(current.as_ref().map(|c| c.status.clone()))
        .unwrap_or_else(|| "new".to_owned());
    if !["new", "queued", "done", "archived"].contains(&status.as_str()) {
        return Err(ApiError::invalid(
            "status",
            "expected new, queued, done or archived",
        ));
    }
    if input.estimated_word_count.is_some_and(|w| w < 1) {
        return Err(ApiError::invalid(
            "estimated_word_count",
            "expected 1 or more",
        ));
    }
    let content_type = input
        .content_type
        .or(current.as_ref().map(|c| c.content_type.clone()))
        .unwrap_or_else(|| "post".to_owned());
    if content_type.trim().is_empty() {
        return Err(ApiError::invalid(
            "content_type",
            "expected a content type such as post",
        ));
    }
    Ok(IdeaFields {
        cluster_id,
        title,
        description: input
            .description
            .or(current.as_ref().and_then(|c| c.description.clone())),
        outline: input
            .outline
            .map(|o| json!(o))
            .or(current.as_ref().map(|c| c.outline.clone()))
            .unwrap_or_else(|| json!([])),
        target_keywords: input
            .target_keywords
            .map(|k| json!(k))
            .or(current.as_ref().map(|c| c.target_keywords.clone()))
            .unwrap_or_else(|| json!([])),
        intent: input.intent.or(current.as_ref().and_then(|c| c.intent)),
        content_type,
        estimated_word_count: input
            .estimated_word_count
            .or(current.as_ref().and_then(|c| c.estimated_word_count)),
        status,
    })
}

/// Adds an idea by hand (editor or higher).
#[utoipa::path(post, path = "/planner/ideas", tag = "planner", request_body = IdeaInput,
    responses((status = 201, body = IdeaView), CommonErrors))]
pub async fn create_idea(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<IdeaInput>,
) -> Result<(StatusCode, ResponseJson<IdeaView>), ApiError> {
    let Some(site) = body.site_id else {
        return Err(ApiError::invalid(
            "site_id",
            "expected the site the idea is for",
        ));
    };
    let site = operable_site(&state, &principal, site).await?;
    let fields = idea_fields(&state, &principal, site.id, body, None).await?;
    let mut ideas = state
        .store
        .create_ideas(principal.account_id, site.id, &[fields], &Causation::root())
        .await?;
    Ok((StatusCode::CREATED, ResponseJson(ideas.remove(0).into())))
}

/// An idea.
#[utoipa::path(get, path = "/planner/ideas/{id}", tag = "planner",
    params(("id" = i64, Path, description = "Idea id")),
    responses((status = 200, body = IdeaView), CommonErrors))]
pub async fn get_idea(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<IdeaId>,
) -> Result<ResponseJson<IdeaView>, ApiError> {
    let idea = state.store.idea(principal.account_id, id).await?;
    visible_site(&state, &principal, idea.site_id).await?;
    Ok(ResponseJson(idea.into()))
}

/// Changes the fields given (editor or higher).
#[utoipa::path(patch, path = "/planner/ideas/{id}", tag = "planner", request_body = IdeaInput,
    params(("id" = i64, Path, description = "Idea id")),
    responses((status = 200, body = IdeaView), CommonErrors))]
pub async fn update_idea(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<IdeaId>,
    Json(body): Json<IdeaInput>,
) -> Result<ResponseJson<IdeaView>, ApiError> {
    let current = state.store.idea(principal.account_id, id).await?;
    let site = current.site_id;
    operable_site(&state, &principal, site).await?;
    if body.site_id.is_some_and(|s| s != site) {
        return Err(ApiError::invalid(
            "site_id",
            "an idea cannot move to another site",
        ));
    }
    let fields = idea_fields(&state, &principal, site, body, Some(current)).await?;
    let idea = state
        .store
        .update_idea(principal.account_id, id, &fields)
        .await?;
    Ok(ResponseJson(idea.into()))
}

/// Deletes an idea (editor or higher).
#[utoipa::path(delete, path = "/planner/ideas/{id}", tag = "planner",
    params(("id" = i64, Path, description = "Idea id")),
    responses((status = 204, description = "Deleted"), CommonErrors))]
pub async fn delete_idea(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<IdeaId>,
) -> Result<StatusCode, ApiError> {
    let idea = state.store.idea(principal.account_id, id).await?;
    operable_site(&state, &principal, idea.site_id).await?;
    state.store.delete_idea(principal.account_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
