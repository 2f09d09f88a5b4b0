//! Reading a post type in windows of ascending modified time.
//!
//! WordPress compares `modified_after` strictly against `post_modified` at one-second
//! resolution and cannot sort on a second key, so page numbers over a changing list skip and
//! repeat items. Each window is therefore a fresh first page starting just before the last
//! second read, so the rest of that second comes again (duplicates are harmless: the upsert
//! ignores what is not newer). A page that is all one second cannot move the window; that
//! second alone is then read by id, page by page. Sites without `modified_after` (before 5.7)
//! are read whole, by page.

use chrono::{DateTime, Duration, Utc};

use crate::connector::ConnectorError;
use crate::connector::remote::{RemoteItem, Window};
use crate::connector::wordpress::api::{ListQuery, MAX_PER_PAGE, WpApi};
use crate::connector::wordpress::model::{TermNames, WpPost};

const SECOND: Duration = Duration::seconds(1);

/// Where the read of one stream stands.
#[derive(Debug, Clone)]
pub struct WpPosition {
    route: String,
    status: &'static str,
    /// Items modified after this (strictly) are still to be read.
    since: Option<DateTime<Utc>>,
    /// Reading one crowded second by id: the second and the next page.
    crowded: Option<(DateTime<Utc>, u32)>,
    /// Paging through everything, for sites without `modified_after`.
    full_scan_page: Option<u32>,
    expected_total: Option<u64>,
    first: bool,
    done: bool,
}

impl WpPosition {
    pub fn new(
        route: String,
        status: &'static str,
        since: Option<DateTime<Utc>>,
        modified_after: bool,
    ) -> WpPosition {
        WpPosition {
            route,
            status,
            since,
            crowded: None,
            full_scan_page: (!modified_after).then_some(1),
            expected_total: None,
            first: true,
            done: false,
        }
    }

    fn query(&self) -> ListQuery {
        ListQuery {
            status: Some(self.status.to_owned()),
            edit_context: true,
            per_page: MAX_PER_PAGE,
            page: 1,
            orderby: Some("modified"),
            ..ListQuery::default()
        }
    }

    pub async fn next(
        &mut self,
        api: &WpApi,
        terms: &TermNames,
    ) -> Result<Option<Window>, ConnectorError> {
        while !self.done {
            if let Some((second, page)) = self.crowded {
                let query = ListQuery {
                    page,
                    orderby: Some("id"),
                    modified_after: Some(second - SECOND),
                    modified_before: Some(second + SECOND),
                    ..self.query()
                };
                let listed = api.list::<WpPost>(&self.route, &query).await?;
                if listed.items.is_empty() || !listed.has_next {
                    self.crowded = None;
                    self.since = Some(second);
                } else {
                    self.crowded = Some((second, page + 1));
                }
                if listed.items.is_empty() {
                    continue;
                }
                return self.window(listed.items, terms).map(Some);
            }

            if let Some(page) = self.full_scan_page {
                let query = ListQuery {
                    page,
                    ..self.query()
                };
                let listed = api.list::<WpPost>(&self.route, &query).await?;
                self.full_scan_page = Some(page + 1);
                self.done = listed.items.is_empty() || !listed.has_next;
                let since = self.since;
                let mut items = self.items(listed.items, terms)?;
                items.retain(|item| since.is_none_or(|s| item.remote_modified > s));
                if items.is_empty() {
                    continue;
                }
                return Ok(Some(Window {
                    items,
                    expected_total: None,
                }));
            }

            let query = ListQuery {
                modified_after: self.since,
                ..self.query()
            };
            let listed = api.list::<WpPost>(&self.route, &query).await?;
            if self.first {
                self.first = false;
                self.expected_total = listed.total;
                if listed.items.is_empty() && listed.total.unwrap_or(0) > 0 {
                    return Err(ConnectorError::Permanent(format!(
                        "{} counted {} changed items but returned none: the credential may not be \
                         allowed to edit them",
                        self.route,
                        listed.total.unwrap_or(0)
                    )));
                }
            }
            if listed.items.is_empty() {
                self.done = true;
                continue;
            }
            let items = self.items(listed.items, terms)?;
            let newest = items
                .iter()
                .map(|i| i.remote_modified)
                .max()
                .expect("not empty");
            let oldest = items
                .iter()
                .map(|i| i.remote_modified)
                .min()
                .expect("not empty");
            if !listed.has_next {
                self.done = true;
            } else if oldest == newest {
                self.crowded = Some((newest, 1));
            } else {
                let next = newest - SECOND;
                if self.since.is_some_and(|since| next <= since) {
                    return Err(ConnectorError::Permanent(format!(
                        "{}: the pull stopped advancing at {newest}",
                        self.route
                    )));
                }
                self.since = Some(next);
            }
            return Ok(Some(Window {
                items,
                expected_total: self.expected_total,
            }));
        }
        Ok(None)
    }

    fn items(
        &self,
        posts: Vec<WpPost>,
        terms: &TermNames,
    ) -> Result<Vec<RemoteItem>, ConnectorError> {
        posts
            .into_iter()
            .map(|post| post.into_remote(terms).map_err(ConnectorError::Permanent))
            .collect()
    }

    fn window(&self, posts: Vec<WpPost>, terms: &TermNames) -> Result<Window, ConnectorError> {
        Ok(Window {
            items: self.items(posts, terms)?,
            expected_total: self.expected_total,
        })
    }
}
