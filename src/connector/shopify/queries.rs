//! The GraphQL documents igny8 sends to the Admin API, one per operation, named so logs and
//! the shop's own request logs say which is which. Fields follow the Admin API's Product,
//! Article and Page objects (2024-10 and later: articles and pages came to GraphQL then).

use crate::connector::shopify::model::Kind;

/// The fields read of each type, in lists, fetches, mutation payloads and bulk queries alike.
pub const PRODUCT_SELECTION: &str = "id title handle descriptionHtml status updatedAt createdAt \
     publishedAt onlineStoreUrl seo { title description }";
pub const ARTICLE_SELECTION: &str = "id title handle body summary isPublished updatedAt createdAt \
     publishedAt tags author { name } blog { id handle title }";
pub const PAGE_SELECTION: &str =
    "id title handle body bodySummary isPublished updatedAt createdAt publishedAt";

/// The named fragment of a type's fields.
pub fn fragment(kind: Kind) -> String {
    format!(
        "fragment {} on {} {{ {} }}",
        kind.fragment_name(),
        kind.typename(),
        kind.selection()
    )
}

pub const SHOP: &str = "query Shop { shop { name myshopifyDomain } }";

/// Items by id, whatever their type; ids the shop no longer has come back null.
pub fn nodes() -> String {
    format!(
        "query Nodes($ids: [ID!]!) {{ nodes(ids: $ids) {{ __typename \
         ... on Product {{ ...ProductFields }} ... on Article {{ ...ArticleFields }} \
         ... on Page {{ ...PageFields }} }} }} {} {} {}",
        fragment(Kind::Product),
        fragment(Kind::Article),
        fragment(Kind::Page)
    )
}

/// The modified time of one item (and the body of a page, which `pageUpdate` needs again:
/// it blanks a body left out of its input).
pub const CURRENT_VERSION: &str = "query CurrentVersion($id: ID!) { node(id: $id) { id \
     ... on Product { updatedAt } ... on Article { updatedAt } ... on Page { updatedAt body } } }";

/// A page of one kind's items, oldest change first, filtered by the search syntax in
/// `$query` (`updated_at:>='…'`).
pub fn list(kind: Kind) -> String {
    format!(
        "query {op}($first: Int!, $after: String, $query: String) {{ \
         {connection}(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{ \
         pageInfo {{ hasNextPage endCursor }} nodes {{ ...{fragment} }} }} }} {fields}",
        op = kind.list_operation(),
        connection = kind.connection(),
        fragment = kind.fragment_name(),
        fields = fragment(kind),
    )
}

/// A page of one kind's ids and modified times, for the ID sweep.
pub fn stubs(kind: Kind) -> String {
    format!(
        "query {op}($first: Int!, $after: String) {{ \
         {connection}(first: $first, after: $after, sortKey: ID) {{ \
         pageInfo {{ hasNextPage endCursor }} nodes {{ id updatedAt {status} }} }} }}",
        op = kind.stub_operation(),
        connection = kind.connection(),
        status = kind.status_field(),
    )
}

/// The update mutation of one kind, selecting the item as written and `userErrors`.
pub fn update(kind: Kind) -> String {
    let (signature, call, field) = match kind {
        Kind::Product => (
            "$product: ProductUpdateInput!",
            "productUpdate(product: $product)",
            "product",
        ),
        Kind::Article => (
            "$id: ID!, $article: ArticleUpdateInput!",
            "articleUpdate(id: $id, article: $article)",
            "article",
        ),
        Kind::Page => (
            "$id: ID!, $page: PageUpdateInput!",
            "pageUpdate(id: $id, page: $page)",
            "page",
        ),
    };
    format!(
        "mutation {op}({signature}) {{ {call} {{ {field} {{ ...{fragment} }} \
         userErrors {{ field message }} }} }} {fields}",
        op = kind.update_operation(),
        fragment = kind.fragment_name(),
        fields = fragment(kind),
    )
}

/// The query a bulk operation runs over every item of one kind: a connection in the
/// `edges { node }` form bulk queries take, without fragments.
pub fn bulk_items(kind: Kind) -> String {
    format!(
        "{{ {}(sortKey: UPDATED_AT) {{ edges {{ node {{ {} }} }} }} }}",
        kind.connection(),
        kind.selection()
    )
}

pub const BULK_RUN: &str = "mutation BulkRun($query: String!) { bulkOperationRunQuery(query: \
     $query) { bulkOperation { id status } userErrors { field message } } }";

pub const BULK_STATUS: &str = "query BulkStatus($id: ID!) { node(id: $id) { ... on \
     BulkOperation { id status errorCode objectCount url partialDataUrl } } }";
