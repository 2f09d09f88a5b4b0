//! Lists are paginated with `page` (from 1) and `page_size` (1 to 100, default 20), and
//! answer with the total.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::store::{Page, Paged};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;
/// Deep enough for any real list; offsets beyond it only cost the database.
pub const MAX_PAGE: u32 = 1_000_000;

/// Checks the query's page parameters.
pub fn page(page: Option<u32>, page_size: Option<u32>) -> Result<Page, ApiError> {
    let page = page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::invalid(
            "page",
            format!("expected 1 to {MAX_PAGE}"),
        ));
    }
    let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(ApiError::invalid(
            "page_size",
            format!("expected 1 to {MAX_PAGE_SIZE}"),
        ));
    }
    Ok(Page { page, page_size })
}

/// The query of a list that takes nothing but the page parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
}

impl PageQuery {
    pub fn page(&self) -> Result<Page, ApiError> {
        page(self.page, self.page_size)
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub page_size: u32,
    pub total: i64,
}

impl<T> PageOf<T> {
    pub fn new<R>(page: Page, paged: Paged<R>, view: impl Fn(R) -> T) -> PageOf<T> {
        PageOf {
            items: paged.items.into_iter().map(view).collect(),
            page: page.page,
            page_size: page.page_size,
            total: paged.total,
        }
    }
}
