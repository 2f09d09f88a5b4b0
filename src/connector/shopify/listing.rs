//! Reading one kind of item in ascending modified order: the connection sorted by
//! `UPDATED_AT`, filtered to `updated_at:>='since'`, paged by cursor. Cursor paging keeps its
//! place across changes (an item edited while the read runs moves past the cursor and is read
//! again, never skipped), so one query is paged to its end; each page is a window.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::connector::ConnectorError;
use crate::connector::remote::RemoteItem;
use crate::connector::remote::Window;
use crate::connector::shopify::bulk::{self, BulkSettings};
use crate::connector::shopify::client::AdminApi;
use crate::connector::shopify::model::{Connection, Kind, Node, format_time};
use crate::connector::shopify::queries;

/// Items per list request: the Admin API takes up to 250, but a page's cost grows with it and
/// 100 keeps a page of products with long descriptions well under the single-query limit.
pub const PAGE_SIZE: u32 = 100;
/// Items per window handed on from a bulk result.
const BULK_WINDOW: usize = 250;

/// Where the read of one kind stands.
#[derive(Debug, Clone)]
pub struct ShopifyPosition {
    kind: Kind,
    filter: Option<String>,
    after: Option<String>,
    done: bool,
    /// Set for a read from the beginning, which goes by bulk operation.
    bulk: Option<BulkSettings>,
    /// The bulk result not yet handed on.
    pending: Option<std::vec::IntoIter<RemoteItem>>,
    bulk_total: Option<u64>,
}

impl ShopifyPosition {
    pub fn new(
        kind: Kind,
        since: Option<DateTime<Utc>>,
        bulk: Option<BulkSettings>,
    ) -> ShopifyPosition {
        ShopifyPosition {
            bulk: bulk.filter(|_| since.is_none()),
            pending: None,
            bulk_total: None,
            kind,
            // Inclusive: items of the cursor's own second come again; the upsert ignores what
            // is not newer.
            filter: since.map(|since| format!("updated_at:>='{}'", format_time(since))),
            after: None,
            done: false,
        }
    }

    pub async fn next(&mut self, api: &AdminApi) -> Result<Option<Window>, ConnectorError> {
        if self.done {
            return Ok(None);
        }
        if let Some(settings) = &self.bulk {
            return self.next_from_bulk(api, settings.clone()).await;
        }
        let data: serde_json::Map<String, serde_json::Value> = api
            .run(
                self.kind.list_operation(),
                &queries::list(self.kind),
                json!({ "first": PAGE_SIZE, "after": self.after, "query": self.filter }),
            )
            .await?;
        let connection: Connection<Node> = data
            .get(self.kind.connection())
            .cloned()
            .ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "{}: the answer has no {}",
                    self.kind.list_operation(),
                    self.kind.connection()
                ))
            })
            .and_then(|value| {
                serde_json::from_value(value).map_err(|err| {
                    ConnectorError::Permanent(format!(
                        "{}: unexpected shape: {err}",
                        self.kind.list_operation()
                    ))
                })
            })?;
        match (
            connection.page_info.has_next_page,
            connection.page_info.end_cursor,
        ) {
            (true, Some(cursor)) => {
                if self.after.as_ref() == Some(&cursor) {
                    return Err(ConnectorError::Permanent(format!(
                        "{}: the shop answered the same page twice (cursor {cursor})",
                        self.kind.list_operation()
                    )));
                }
                self.after = Some(cursor);
            }
            _ => self.done = true,
        }
        if connection.nodes.is_empty() {
            self.done = true;
            return Ok(None);
        }
        let items = connection
            .nodes
            .into_iter()
            .map(|node| node.into_remote(self.kind))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Window {
            items,
            expected_total: None,
        }))
    }

    async fn next_from_bulk(
        &mut self,
        api: &AdminApi,
        settings: BulkSettings,
    ) -> Result<Option<Window>, ConnectorError> {
        if self.pending.is_none() {
            let items = bulk::read_all(api, &settings, self.kind).await?;
            self.bulk_total = Some(items.len() as u64);
            self.pending = Some(items.into_iter());
        }
        let pending = self.pending.as_mut().expect("set above");
        let items: Vec<RemoteItem> = pending.by_ref().take(BULK_WINDOW).collect();
        if items.is_empty() {
            // Windows already handed on may still be committing; should this run stop before
            // they do, the cursor they reach (or its absence) decides what the next run reads.
            bulk::finish(&settings, self.kind).await;
            self.done = true;
            return Ok(None);
        }
        Ok(Some(Window {
            items,
            expected_total: self.bulk_total,
        }))
    }
}
