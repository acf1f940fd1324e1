//! The audit trail: list it, and prove it unaltered.

use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::engine::audit_export::{ExportFormat, export_audit};
use crate::http::errors::WireError;
use crate::http::instant::{PeriodEdge, instant_param};
use crate::http::query::Query;
use crate::http::streaming::text_body;
use crate::state::Caller;
use crate::store::audit::{Anchor, AuditFilter, ChainReport};

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

list_of!(
    /// A page of audit records, oldest first.
    AuditPage,
    AuditEntry
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Records from this date (`2026-12-01`, a day in the practice's time zone) or instant
    /// (RFC 3339) on. Default: the beginning.
    pub from: Option<String>,
    /// Records before this instant, or up to the end of this date. Default: now.
    pub to: Option<String>,
    /// Whoever acted: an administrator's e-mail or name, a token's name or id, `system`,
    /// `cli`, or the actor exactly as recorded.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Part of the target: a person's or task's id.
    pub target: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u64>,
}

/// The practice's audit records, oldest first.
#[utoipa::path(
    tag = "admin",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit records", body = AuditPage),
        (status = 400, description = "Invalid parameter", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/audit")]
pub async fn list(call: Caller, query: Query<AuditQuery>) -> Result<HttpResponse, WireError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(WireError::bad_request("`limit` must be between 1 and 1000"));
    }
    let query = query.into_inner();
    let after_seq = query
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                WireError::bad_request("`cursor` must be the `next_cursor` of a previous page")
            })
        })
        .transpose()?;
    let tz = call.store().practice().await?.time_zone.tz();
    let records = call
        .store()
        .audit_records(&AuditFilter {
            from: instant_param("from", query.from.as_deref(), tz, PeriodEdge::Start)?,
            to: instant_param("to", query.to.as_deref(), tz, PeriodEdge::End)?,
            actor: query.actor,
            action: query.action,
            target: query.target,
            exact_target: None,
            after_seq,
            up_to_seq: None,
            limit,
        })
        .await?;
    let next_cursor = (records.len() as u64 == limit)
        .then(|| records.last().map(|r| r.seq.to_string()))
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
    Ok(HttpResponse::Ok().json(AuditPage { items, next_cursor }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// Sequence number of a head recorded earlier (from a previous verification's `head`).
    pub anchor_seq: Option<i64>,
    /// Its hash, 64 hexadecimal digits. Give both or neither.
    pub anchor_hash: Option<String>,
}

/// Recompute the practice's hash chain and report the first altered or missing record; check
/// that the chain still reaches every signed checkpoint (kept apart from the records, so a
/// trail cut short or emptied is caught) with the hash signed. With an anchor, also check that
/// the chain still passes through a head recorded earlier, which catches a trail rewritten from
/// scratch by someone with database access.
#[utoipa::path(
    tag = "admin",
    params(VerifyQuery),
    responses(
        (status = 200, description = "Whether the chain is intact", body = ChainReport),
        (status = 400, description = "Malformed anchor", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/audit/verify")]
pub async fn verify(call: Caller, query: Query<VerifyQuery>) -> Result<HttpResponse, WireError> {
    let anchor = match (query.anchor_seq, query.anchor_hash.as_deref()) {
        (None, None) => None,
        (Some(seq), Some(hash)) => Some(Anchor::parse(seq, hash).map_err(WireError::bad_request)?),
        _ => {
            return Err(WireError::bad_request(
                "give both `anchor_seq` and `anchor_hash`, or neither",
            ));
        }
    };
    let key = call.state.audit_signer.public_key();
    Ok(HttpResponse::Ok().json(
        call.store()
            .verify_audit(anchor.as_ref(), Some(key))
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Records from this date (`2026-12-01`, a day in the practice's time zone) or instant
    /// (RFC 3339) on. Default: the beginning (a whole export, checkable offline).
    pub from: Option<String>,
    /// Records before this instant, or up to the end of this date. Default: now.
    pub to: Option<String>,
    /// `jsonl` (JSON Lines, default) or `csv`.
    pub format: Option<String>,
}

/// Export the trail for a period, streamed in batches (a six-year trail is never held in
/// memory), as JSON Lines or CSV. The export first signs the chain's head: that checkpoint's
/// record (`audit.checkpoint`) is always the last line, so a file without it was cut short.
/// JSON Lines carry every field the hash covers (and `practice_id`, `prev_hash`), so
/// `portcullis audit verify-export` checks a whole export (without `from` and `to`) offline.
#[utoipa::path(
    tag = "admin",
    params(ExportQuery),
    responses(
        (status = 200, description = "The records, one per line, the export's signed checkpoint last", content_type = "application/x-ndjson", body = String),
        (status = 400, description = "Invalid format, or from/to outside the years 1 to 9999 (refused before the first byte)", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/audit/export")]
pub async fn export(call: Caller, query: Query<ExportQuery>) -> Result<HttpResponse, WireError> {
    let format = match query.format.as_deref() {
        None | Some("jsonl") => ExportFormat::JsonLines,
        Some("csv") => ExportFormat::Csv,
        Some(_) => return Err(WireError::bad_request("`format` must be jsonl or csv")),
    };
    // Checked before the first byte: a stream cut short could be taken for a whole export.
    let tz = call.store().practice().await?.time_zone.tz();
    let from = instant_param("from", query.from.as_deref(), tz, PeriodEdge::Start)?;
    let to = instant_param("to", query.to.as_deref(), tz, PeriodEdge::End)?;
    let lines = export_audit(
        call.state.store.clone(),
        call.principal.practice_id,
        from,
        to,
        format,
        &call.state.audit_signer,
        &call.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .streaming(text_body(lines)))
}
