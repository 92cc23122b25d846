//! Relay cursor connections over keyset pagination.
//!
//! Rows are ordered by their time-ordered v7 id; `after`/`before` bound the id range and
//! `first`/`last` choose the direction and page size. One extra row is fetched to learn whether
//! another page exists. `totalCount` is a separate COUNT query, run only when a client asks for it.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Object, OutputType};
use futures::future::BoxFuture;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};
use uuid::Uuid;

use super::ids::IdCursor;
use super::joins::Join;
use crate::config::Limits;
use crate::error::{ApiError, GqlResult};

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub forward: bool,
    pub size: u64,
    pub after: Option<Uuid>,
    pub before: Option<Uuid>,
}

impl Page {
    pub fn new(
        limits: &Limits,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page, ApiError> {
        use async_graphql::connection::CursorType;
        let check =
            |name: &str, n: i32| {
                usize::try_from(n).ok().filter(|n| *n <= limits.max_page_size).map(|n| n as u64).ok_or_else(|| {
                    ApiError::bad_input(format!("`{name}` must be between 0 and {}", limits.max_page_size))
                })
            };
        let (forward, size) = match (first, last) {
            (Some(_), Some(_)) => return Err(ApiError::bad_input("pass `first` or `last`, not both")),
            (Some(n), None) => (true, check("first", n)?),
            (None, Some(n)) => (false, check("last", n)?),
            (None, None) => (before.is_none() || after.is_some(), limits.default_page_size as u64),
        };
        let after = after.as_deref().map(IdCursor::decode_cursor).transpose()?.map(|c| c.0);
        let before = before.as_deref().map(IdCursor::decode_cursor).transpose()?.map(|c| c.0);
        Ok(Page { forward, size, after, before })
    }
}

/// The page size a connection field will return, for complexity weighting.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).map_or(50, |n| usize::try_from(n).unwrap_or(0)).max(1);
    size.saturating_mul(child_complexity.max(1))
}

/// `totalCount`, counted lazily.
pub struct TotalCount {
    count: Arc<dyn Fn() -> BoxFuture<'static, Result<u64, DbErr>> + Send + Sync>,
}

#[Object]
impl TotalCount {
    /// How many rows match, across all pages.
    async fn total_count(&self) -> GqlResult<i64> {
        let n = (self.count)().await?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

pub type Conn<N> = Connection<IdCursor, N, TotalCount, EmptyFields>;

/// Runs one page of `select` (already filtered and scoped) and wraps it as a connection; with
/// `join`, the rows the nodes' selection follows by to-one fields come in the same query.
pub async fn paginate<E, N>(
    db: &DatabaseConnection,
    select: Select<E>,
    id: E::Column,
    page: Page,
    id_of: fn(&E::Model) -> Uuid,
    node: impl Fn(E::Model) -> N,
    join: Option<Join<'_>>,
) -> Result<Conn<N>, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    N: OutputType,
{
    let counter = {
        let (db, select) = (db.clone(), select.clone());
        TotalCount {
            count: Arc::new(move || {
                let (db, select) = (db.clone(), select.clone());
                Box::pin(async move { select.count(&db).await })
            }),
        }
    };
    let mut query = super::lean::lean(select, db.get_database_backend());
    if let Some(after) = page.after {
        query = query.filter(id.gt(after));
    }
    if let Some(before) = page.before {
        query = query.filter(id.lt(before));
    }
    query = if page.forward { query.order_by_asc(id) } else { query.order_by_desc(id) };
    let query = query.limit(page.size + 1);
    let mut rows = match join {
        Some(join) if !join.joins.is_empty() => join.all::<E>(db, query.into_query()).await?,
        _ => query.all(db).await?,
    };
    let more = rows.len() as u64 > page.size;
    rows.truncate(usize::try_from(page.size).unwrap_or(usize::MAX));
    if !page.forward {
        rows.reverse();
    }
    let (has_previous, has_next) =
        if page.forward { (page.after.is_some(), more) } else { (more, page.before.is_some()) };
    let mut connection = Connection::with_additional_fields(has_previous, has_next, counter);
    connection.edges.extend(rows.into_iter().map(|row| Edge::new(IdCursor(id_of(&row)), node(row))));
    Ok(connection)
}
