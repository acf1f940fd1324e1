//! The audit trail: list it, and prove it unaltered.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::caller::Caller;
use crate::http::errors::WireError;
use crate::store::audit::{AuditFilter, ChainReport};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the practice's chain: 1, 2, 3, …
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The credential or administrator that acted, or `system`.
    pub actor: String,
    /// e.g. `scim.user.updated`, `lifecycle.leaver`, `task.created`, `task.complete`.
    pub action: String,
    pub target: String,
    pub detail: Option<serde_json::Value>,
    pub request_id: Option<String>,
    /// Hex SHA-256 chaining this record to the previous one.
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Records at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Records before this instant.
    pub to: Option<DateTime<Utc>>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Part of the target: a person's or task's id.
    pub target: Option<String>,
    /// Continue after this `seq`.
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u64>,
}

/// The practice's audit records, oldest first.
#[utoipa::path(
    tag = "admin",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit records", body = AuditPage),
        (status = 400, description = "Invalid parameter", content_type = "application/problem+json", body = crate::api::Problem),
    )
)]
#[get("/audit")]
pub async fn list(call: Caller, query: web::Query<AuditQuery>) -> Result<HttpResponse, WireError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(WireError::bad_request("`limit` must be between 1 and 1000"));
    }
    let query = query.into_inner();
    let records = call
        .store()
        .audit_records(&AuditFilter {
            from: query.from,
            to: query.to,
            actor: query.actor,
            action: query.action,
            target: query.target,
            after_seq: query.after,
            limit,
        })
        .await?;
    let next_after = (records.len() as u64 == limit)
        .then(|| records.last().map(|r| r.seq))
        .flatten();
    let items = records
        .into_iter()
        .map(|r| AuditEntry {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            detail: r.detail,
            request_id: r.request_id,
            hash: r.hash,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { items, next_after }))
}

/// Recompute the practice's hash chain and report the first altered or missing record.
#[utoipa::path(
    tag = "admin",
    responses((status = 200, description = "Whether the chain is intact", body = ChainReport))
)]
#[get("/audit/verify")]
pub async fn verify(call: Caller) -> Result<HttpResponse, WireError> {
    Ok(HttpResponse::Ok().json(call.store().verify_audit().await?))
}
