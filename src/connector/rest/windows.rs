//! Reading a stream in windows of ascending modified time.
//!
//! Page numbers and offsets over a list sorted by modified time skip items when an item read
//! earlier is edited meanwhile (it moves to the end and everything after it shifts back). Where
//! the definition has an incremental filter, each window is therefore a fresh first page after
//! the last complete second read: the items of a full page's last second are held back and
//! come again at the head of the next query, and items already handed out are not handed out
//! twice. A full page that is all one second cannot move the filter; that second is read on by
//! page number. Cursor and `Link` paging follow the server's own tokens, and a stream without
//! a filter is read by page number from the start.

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use url::Url;

use crate::connector::ConnectorError;
use crate::connector::remote::{RemoteItem, Window};
use crate::connector::rest::api::RestApi;
use crate::connector::rest::definition::{Paging, StreamDefinition};
use crate::connector::rest::mapping;

const SECOND: Duration = Duration::seconds(1);

/// Where the read of one stream stands.
#[derive(Debug, Clone)]
pub struct RestPosition {
    stream: String,
    /// Items modified strictly after this are still to be read; `None` reads everything.
    since: Option<DateTime<Utc>>,
    /// Whether the filter is applied at all (a sweep reads everything).
    filtered: bool,
    step: Step,
    /// Items handed out whose modified time is not yet behind `since`, so a re-read of the
    /// held-back second does not hand them out again.
    handed_out: HashMap<String, DateTime<Utc>>,
    expected_total: Option<u64>,
    first: bool,
    done: bool,
}

/// The next request within the current query.
#[derive(Debug, Clone)]
enum Step {
    /// A page number (page paging) or an item offset (offset paging), 0-based in pages.
    Page(u32),
    Cursor(Option<String>),
    Link(Option<Url>),
}

/// One list answer, mapped.
pub struct Page {
    pub items: Vec<RemoteItem>,
    /// Whether the server has more after this page of the current query.
    pub more: bool,
    pub total: Option<u64>,
    next_step: Step,
}

impl RestPosition {
    pub fn new(stream: &StreamDefinition, since: Option<DateTime<Utc>>, filtered: bool) -> Self {
        RestPosition {
            stream: stream.name.clone(),
            since,
            filtered: filtered && stream.incremental.is_some(),
            step: first_step(&stream.paging),
            handed_out: HashMap::new(),
            expected_total: None,
            first: true,
            done: false,
        }
    }

    /// A position for a stream the definition no longer has (it changed since the pull
    /// started); reading it fails.
    pub fn unknown(name: &str) -> Self {
        RestPosition {
            stream: name.to_owned(),
            since: None,
            filtered: false,
            step: Step::Page(0),
            handed_out: HashMap::new(),
            expected_total: None,
            first: true,
            done: false,
        }
    }

    pub fn stream_name(&self) -> &str {
        &self.stream
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next window, or `None` at the end.
    pub async fn next_window(
        &mut self,
        api: &RestApi,
        stream: &StreamDefinition,
    ) -> Result<Option<Window>, ConnectorError> {
        if self.done {
            return Ok(None);
        }
        let page = self.read(api, stream).await?;
        if self.first {
            self.expected_total = page.total;
            self.first = false;
        }
        let restartable = self.filtered && matches!(self.step, Step::Page(_));
        let mut items = page.items;
        items.sort_by(|a, b| {
            (a.remote_modified, &a.external_id).cmp(&(b.remote_modified, &b.external_id))
        });
        if !page.more {
            self.done = true;
        } else if restartable {
            let last_second = items.last().map(|item| {
                item.remote_modified
                    .duration_trunc(SECOND)
                    .unwrap_or(item.remote_modified)
            });
            let earliest = items.first().map(|item| item.remote_modified);
            match (last_second, earliest) {
                (Some(last_second), Some(earliest)) if earliest < last_second => {
                    items.retain(|item| item.remote_modified < last_second);
                    self.since = Some(last_second - SECOND);
                    self.step = first_step(&stream.paging);
                    let since = last_second - SECOND;
                    self.handed_out.retain(|_, modified| *modified > since);
                }
                _ => self.step = page.next_step,
            }
        } else {
            self.step = page.next_step;
        }
        items.retain(|item| {
            let seen = self.handed_out.get(&item.external_id);
            seen.is_none_or(|modified| *modified < item.remote_modified)
        });
        for item in &items {
            self.handed_out
                .insert(item.external_id.clone(), item.remote_modified);
        }
        if items.is_empty() && self.done {
            return Ok(None);
        }
        Ok(Some(Window {
            items,
            expected_total: self.expected_total,
        }))
    }

    /// Reads the page the position points at.
    pub async fn read(
        &self,
        api: &RestApi,
        stream: &StreamDefinition,
    ) -> Result<Page, ConnectorError> {
        let url = match &self.step {
            Step::Link(Some(next)) => next.clone(),
            _ => api.url(stream.path.as_str(), &self.query(stream)),
        };
        let answer = api
            .get(&url)
            .await?
            .answer(&format!("listing stream {}", stream.name))?;
        let records = mapping::records(stream, &answer.body)?;
        let items = records
            .iter()
            .map(|record| mapping::item(stream, record))
            .collect::<Result<Vec<_>, _>>()?;
        let full = records.len() >= stream.paging.page_size() as usize;
        let total = stream
            .total
            .as_ref()
            .and_then(|pointer| pointer.find(&answer.body))
            .and_then(serde_json::Value::as_u64);
        let (more, next_step) = match (&stream.paging, &self.step) {
            (
                Paging::Page {
                    first_page,
                    next,
                    page_count,
                    ..
                },
                Step::Page(index),
            ) => {
                // The server's own word on what follows, where it gives one: it may answer
                // fewer items than asked (a server-side cap) without being at the end.
                let number = first_page + index;
                let more = match (next, page_count) {
                    (Some(next), _) => next.find(&answer.body).is_some(),
                    (None, Some(count)) => count
                        .find(&answer.body)
                        .and_then(serde_json::Value::as_u64)
                        .is_some_and(|count| u64::from(number) < count),
                    (None, None) => full,
                };
                (more && !records.is_empty(), Step::Page(index + 1))
            }
            (Paging::Offset { .. }, Step::Page(index)) => (full, Step::Page(index + 1)),
            (Paging::Cursor { next_cursor, .. }, _) => {
                let token = next_cursor.text(&answer.body);
                (token.is_some() && !records.is_empty(), Step::Cursor(token))
            }
            (Paging::Link { .. }, _) => (
                answer.next_link.is_some() && !records.is_empty(),
                Step::Link(answer.next_link.clone()),
            ),
            _ => (false, self.step.clone()),
        };
        Ok(Page {
            items,
            more,
            total,
            next_step,
        })
    }

    /// Advances a sweep (no restarts) past the page just read.
    pub fn advance(&mut self, page: &Page) {
        if page.more {
            self.step = page.next_step.clone();
        } else {
            self.done = true;
        }
    }

    fn query(&self, stream: &StreamDefinition) -> Vec<(String, String)> {
        let mut query: Vec<(String, String)> = stream
            .query
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let size = stream.paging.page_size();
        query.push((stream.paging.size_param().to_owned(), size.to_string()));
        match (&stream.paging, &self.step) {
            (
                Paging::Page {
                    page_param,
                    first_page,
                    ..
                },
                Step::Page(index),
            ) => query.push((page_param.clone(), (first_page + index).to_string())),
            (Paging::Offset { offset_param, .. }, Step::Page(index)) => query.push((
                offset_param.clone(),
                (u64::from(*index) * u64::from(size)).to_string(),
            )),
            (Paging::Cursor { cursor_param, .. }, Step::Cursor(Some(token))) => {
                query.push((cursor_param.clone(), token.clone()));
            }
            _ => {}
        }
        if let Some(incremental) = &stream.incremental {
            query.push((
                incremental.sort_param.clone(),
                incremental.sort_value.clone(),
            ));
            if let (true, Some(since)) = (self.filtered, self.since) {
                query.push((
                    incremental.param.clone(),
                    incremental.value.render(&incremental.format.format(since)),
                ));
            }
        }
        query
    }
}

fn first_step(paging: &Paging) -> Step {
    match paging {
        Paging::Page { .. } | Paging::Offset { .. } => Step::Page(0),
        Paging::Cursor { .. } => Step::Cursor(None),
        Paging::Link { .. } => Step::Link(None),
    }
}
