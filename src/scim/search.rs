//! `POST /scim/v2/.search` (RFC 7644 §3.4.3): one search over Users and Groups. Results are
//! users, then groups; paging runs over that concatenation. A filter naming an attribute one
//! resource type lacks (e.g. `userName`) matches nothing of that type.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};

use super::list::{ListRequest, list_response};
use super::resource::{ResourceKind, render_group};
use super::users::render_all;
use super::wire::{ScimCall, parse_body, respond};
use crate::domain::query::{ListQuery, Predicate};
use crate::http::errors::WireError;

/// Search users and groups at once.
#[utoipa::path(
    tag = "scim",
    request_body(content = Object, content_type = "application/scim+json", description = "A SearchRequest"),
    responses(
        (status = 200, description = "A ListResponse of users, then groups", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid filter or parameter", content_type = "application/scim+json", body = Object),
    )
)]
#[post("/.search")]
pub async fn search_all(call: ScimCall, body: web::Bytes) -> Result<HttpResponse, WireError> {
    let request = ListRequest::from_search_body(&parse_body(&body)?)?;
    let projection = request.projection()?;
    let (users_query, groups_query) = match (
        request.query(ResourceKind::User),
        request.query(ResourceKind::Group),
    ) {
        (Err(e), Err(_)) => return Err(e),
        (Ok(users), Ok(groups)) => (users, groups),
        (Ok(users), Err(_)) => {
            let groups = matching_nothing(&users);
            (users, groups)
        }
        (Err(_), Ok(groups)) => {
            let users = matching_nothing(&groups);
            (users, groups)
        }
    };
    let store = call.store();
    let (start, count) = (users_query.start_index, users_query.count);
    let users_total = store
        .list_users(
            &ListQuery {
                count: 0,
                ..users_query.clone()
            },
            false,
        )
        .await?
        .total;

    let mut resources = Vec::new();
    let users = if start <= users_total && count > 0 {
        store
            .list_users(&users_query, projection.wants("groups"))
            .await?
            .items
    } else {
        Vec::new()
    };
    resources.extend(render_all(&call, users, &projection).await?);

    let room = count.saturating_sub(resources.len() as u64);
    let group_start = start.saturating_sub(users_total).max(1);
    let groups_page = store
        .list_groups(
            &ListQuery {
                start_index: group_start,
                count: room,
                ..groups_query
            },
            projection.wants("members"),
        )
        .await?;
    let base = call.base_url();
    resources.extend(
        groups_page
            .items
            .iter()
            .map(|g| projection.apply(render_group(g, &base))),
    );
    Ok(respond(
        StatusCode::OK,
        &list_response(users_total + groups_page.total, start, resources),
    ))
}

fn matching_nothing(like: &ListQuery) -> ListQuery {
    ListQuery {
        filter: Some(Predicate::Constant(false)),
        sort: None,
        ..like.clone()
    }
}
