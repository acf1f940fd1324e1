//! Sorting: the ORDER BY of a listing's `sortBy`, where resources without the attribute go,
//! and id last so pages are stable.

use sea_orm::sea_query::{Expr, Order, SimpleExpr};
use sea_orm::{DbBackend, EntityTrait, QueryOrder, Select};

use super::Resource;
use crate::domain::query::{Sort, SortField};

/// `select` in a listing's order: the query's sort if any, then id.
pub fn in_listing_order<E: EntityTrait>(
    select: Select<E>,
    sort: Option<Sort>,
    resource: Resource,
    backend: DbBackend,
) -> Select<E> {
    let select = match sort {
        Some(sort) => select.order_by_with_nulls(
            sort_expr(sort, resource, backend),
            if sort.descending {
                Order::Desc
            } else {
                Order::Asc
            },
            missing_last(sort),
        ),
        None => select,
    };
    let table = resource.table();
    select.order_by(Expr::cust(format!("\"{table}\".\"id\"")), Order::Asc)
}

/// The ORDER BY expression for a sort, ascending or descending handled by the caller.
fn sort_expr(sort: Sort, resource: Resource, backend: DbBackend) -> SimpleExpr {
    let table = resource.table();
    let column = |c: &str| Expr::cust(format!("\"{table}\".\"{c}\""));
    match (sort.field, resource) {
        (SortField::Key, _) | (SortField::DisplayName, Resource::Group) => {
            column(resource.key_column())
        }
        (SortField::DisplayName, Resource::User) => match backend {
            DbBackend::Postgres => {
                Expr::cust(format!("(\"{table}\".\"search\" ->> 'displayName')"))
            }
            _ => Expr::cust(format!(
                "json_extract(\"{table}\".\"search\", '$.displayName')"
            )),
        },
        (SortField::Created, _) => column("created_at"),
        (SortField::LastModified, _) => column("updated_at"),
    }
}

/// Resources without the sort attribute come last ascending, first descending (RFC 7644
/// §3.4.2.3), the same on both backends.
fn missing_last(sort: Sort) -> sea_orm::sea_query::NullOrdering {
    if sort.descending {
        sea_orm::sea_query::NullOrdering::First
    } else {
        sea_orm::sea_query::NullOrdering::Last
    }
}
