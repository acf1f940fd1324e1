//! Sorting: the ORDER BY expression of a listing's `sortBy`, and where resources without the
//! attribute go.

use sea_orm::DbBackend;
use sea_orm::sea_query::{Expr, SimpleExpr};

use super::Resource;
use crate::domain::query::{Sort, SortField};

/// The ORDER BY expression for a sort, ascending or descending handled by the caller.
pub fn sort_expr(sort: Sort, resource: Resource, backend: DbBackend) -> SimpleExpr {
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
pub fn missing_last(sort: Sort) -> sea_orm::sea_query::NullOrdering {
    if sort.descending {
        sea_orm::sea_query::NullOrdering::First
    } else {
        sea_orm::sea_query::NullOrdering::Last
    }
}
