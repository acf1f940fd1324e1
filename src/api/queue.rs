//! The pending work, as an administrator or a dashboard sees it.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Task, task_view};
use crate::domain::task::TaskState;
use crate::http::errors::WireError;
use crate::http::query::Query;
use crate::state::Caller;
use crate::store::tasks::TaskFilter;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only this portal's work.
    pub portal: Option<String>,
    /// At most this many tasks (1 to 500, default 200).
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortalQueue {
    pub portal: Option<String>,
    pub portal_name: Option<String>,
    pub open: u64,
    pub overdue: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Queue {
    /// Open and claimed tasks: overdue first (they have the earliest deadlines), then by due
    /// date; at most `limit`.
    pub items: Vec<Task>,
    /// Always `null`: the queue is one page (`limit`); `/tasks` pages through everything.
    pub next_cursor: Option<String>,
    pub open: u64,
    pub overdue: u64,
    pub by_portal: Vec<PortalQueue>,
}

/// The practice's open work, overdue first, with counts per portal.
#[utoipa::path(tag = "admin", params(QueueQuery), responses((status = 200, description = "The queue", body = Queue)))]
#[get("/queue")]
pub async fn queue(call: Caller, query: Query<QueueQuery>) -> Result<HttpResponse, WireError> {
    let limit = query.limit.unwrap_or(200);
    if !(1..=500).contains(&limit) {
        return Err(WireError::bad_request("`limit` must be between 1 and 500"));
    }
    let store = call.store();
    let now = call.state.clock.now();
    let records = store
        .tasks(&TaskFilter {
            states: TaskState::OPEN.to_vec(),
            portal: query.portal.clone(),
            limit,
            ..Default::default()
        })
        .await?;
    let portals = store.practice_portals().await?;
    let counts = store.task_counts(now).await?;
    let mut by_portal: BTreeMap<Option<String>, (u64, u64)> = BTreeMap::new();
    for (state, _, portal, n) in &counts.by_state_kind_portal {
        if state.is_open() {
            by_portal.entry(portal.clone()).or_default().0 += n;
        }
    }
    for (portal, n) in &counts.overdue_by_portal {
        by_portal.entry(portal.clone()).or_default().1 += n;
    }
    if let Some(only) = &query.portal {
        by_portal.retain(|p, _| p.as_deref() == Some(only.as_str()));
    }
    let (open, overdue) = by_portal
        .values()
        .fold((0, 0), |(o, d), (a, b)| (o + a, d + b));
    Ok(HttpResponse::Ok().json(Queue {
        items: records
            .into_iter()
            .map(|t| task_view(t, &portals, now))
            .collect(),
        next_cursor: None,
        open,
        overdue,
        by_portal: by_portal
            .into_iter()
            .map(|(portal, (open, overdue))| PortalQueue {
                portal_name: portal
                    .as_ref()
                    .and_then(|p| portals.get(p))
                    .map(|p| p.portal.name.clone()),
                portal,
                open,
                overdue,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueSummary {
    pub by_state: BTreeMap<String, u64>,
    pub by_kind: BTreeMap<String, u64>,
    /// Open and claimed tasks per portal (`-` for work outside portals).
    pub open_by_portal: BTreeMap<String, u64>,
    pub overdue: u64,
    /// The task that is most overdue, if any.
    pub oldest_overdue: Option<Task>,
}

/// Counts by state, kind, portal and overdue, and the most overdue task: for dashboards.
#[utoipa::path(tag = "admin", responses((status = 200, description = "Queue counts", body = QueueSummary)))]
#[get("/queue/summary")]
pub async fn summary(call: Caller) -> Result<HttpResponse, WireError> {
    let store = call.store();
    let now = call.state.clock.now();
    let counts = store.task_counts(now).await?;
    let mut by_state = BTreeMap::new();
    let mut by_kind = BTreeMap::new();
    let mut open_by_portal = BTreeMap::new();
    for (state, kind, portal, n) in counts.by_state_kind_portal {
        *by_state.entry(state.to_string()).or_insert(0) += n;
        *by_kind.entry(kind.to_string()).or_insert(0) += n;
        if state.is_open() {
            *open_by_portal
                .entry(portal.unwrap_or_else(|| "-".into()))
                .or_insert(0) += n;
        }
    }
    let overdue = counts.overdue_by_portal.iter().map(|(_, n)| n).sum();
    let portals = store.practice_portals().await?;
    let oldest_overdue = store
        .tasks(&TaskFilter {
            overdue_at: Some(now),
            limit: 1,
            ..Default::default()
        })
        .await?
        .pop()
        .map(|t| task_view(t, &portals, now));
    Ok(HttpResponse::Ok().json(QueueSummary {
        by_state,
        by_kind,
        open_by_portal,
        overdue,
        oldest_overdue,
    }))
}
