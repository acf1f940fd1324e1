//! HR roster imports (`/api/v1/roster/imports`), for HR systems without SCIM: upload a
//! roster to preview what it changes in the directory, then commit it. `engine::rosters`
//! does the work; the command line (`portcullis roster import`) and the console call the same.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::upload::{CsvUpload, csv_upload};
use crate::domain::roster::{RosterColumns, RosterPlan};
use crate::engine::rosters;
use crate::http::errors::WireError;
use crate::http::json::parse_body;
use crate::state::Caller;
use crate::store::rosters::RosterImportRecord;

/// A roster import: the file, who previewed and committed it, and what it changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterImportView {
    pub id: Uuid,
    pub file_name: String,
    /// Hex SHA-256 of the file; the directory's changes name it (`roster import <sha256>`).
    pub sha256: String,
    pub size: u64,
    /// `previewed` (nothing changed yet) or `committed`.
    pub state: String,
    pub columns: RosterColumns,
    /// People on the roster.
    pub listed: usize,
    pub previewed_by: String,
    pub previewed_at: DateTime<Utc>,
    pub committed_by: Option<String>,
    pub committed_at: Option<DateTime<Utc>>,
    /// Joiners, movers, leavers (terminated), people no longer listed (leavers too), and
    /// how many rows change nothing.
    pub plan: RosterPlan,
    /// Whether committing needs `confirm_missing` (more people no longer listed than the
    /// shrink guard's share of the active people).
    pub needs_confirmation: bool,
    pub confirmed_missing: Option<u32>,
    /// On a commit: the same file had been committed before, so nothing changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<bool>,
}

impl RosterImportView {
    fn of(r: RosterImportRecord, share: f64) -> Self {
        Self {
            needs_confirmation: r.plan.needs_confirmation(share),
            id: r.id,
            file_name: r.file_name,
            sha256: r.sha256,
            size: r.size,
            state: if r.committed {
                "committed"
            } else {
                "previewed"
            }
            .to_owned(),
            columns: r.columns,
            listed: r.people.len(),
            previewed_by: r.previewed_by,
            previewed_at: r.previewed_at,
            committed_by: r.committed_by,
            committed_at: r.committed_at,
            plan: r.plan,
            confirmed_missing: r.confirmed_missing,
            replayed: None,
        }
    }
}

list_of!(
    /// The practice's roster imports, newest first.
    RosterImportList,
    RosterImportView
);

/// Preview an HR roster: a CSV file (multipart field `file`, at most 10 MiB) and, optionally,
/// a field `columns` with the column mapping as JSON (`{"email": "Work Email", "title": "Job
/// Title", …}`); without one, the practice's remembered mapping, else the usual header names.
/// The roster is the whole workforce: new rows are joiners, changed rows movers, terminated
/// rows and people no longer listed leavers. Nothing changes until it is committed.
#[utoipa::path(
    tag = "admin",
    request_body(content = Object, content_type = "multipart/form-data", description = "A `file` field, and optionally a `columns` field (JSON)"),
    responses(
        (status = 201, description = "Previewed: what the roster changes", body = RosterImportView),
        (status = 400, description = "Malformed multipart body or `columns`", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 413, description = "File too large", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "A file that cannot be used: the row and column to fix", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/roster/imports")]
pub async fn preview(call: Caller, form: Multipart) -> Result<HttpResponse, WireError> {
    let upload: CsvUpload<RosterColumns> = csv_upload(
        form,
        "rosters",
        r#"{"email": "Work Email", "title": "Job Title"}"#,
    )
    .await?;
    let record = rosters::preview(
        &call.store(),
        &upload.file_name,
        &upload.bytes,
        upload.columns,
        &call.actor(),
    )
    .await?;
    Ok(HttpResponse::Created().json(RosterImportView::of(record, call.state.import_shrink_share)))
}

/// The practice's roster imports, newest first.
#[utoipa::path(
    tag = "admin",
    responses((status = 200, description = "Roster imports", body = RosterImportList))
)]
#[get("/roster/imports")]
pub async fn list(call: Caller) -> Result<HttpResponse, WireError> {
    let share = call.state.import_shrink_share;
    let items = call
        .store()
        .roster_imports(100)
        .await?
        .into_iter()
        .map(|r| RosterImportView::of(r, share))
        .collect();
    Ok(HttpResponse::Ok().json(RosterImportList::whole(items)))
}

fn import_id(raw: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(raw).map_err(|_| WireError::not_found("roster import not found"))
}

/// One roster import with its plan.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The import's id")),
    responses(
        (status = 200, description = "The import", body = RosterImportView),
        (status = 404, description = "No such import", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/roster/imports/{id}")]
pub async fn show(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let record = call.store().roster_import(import_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(RosterImportView::of(record, call.state.import_shrink_share)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterCommitInput {
    /// The number of people no longer on the roster, when the preview says it needs
    /// confirmation (the shrink guard).
    pub confirm_missing: Option<usize>,
}

/// Commit a previewed roster: the directory is written as the preview said, with the actor
/// `roster import <sha256>`, and the lifecycle engine plans every change as for an identity
/// provider's. 409 when the directory changed since the preview, when the shrink guard needs
/// `confirm_missing`, or when the practice's people come from SCIM. The same file again
/// changes nothing (`replayed: true`).
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The import's id")),
    request_body(content = RosterCommitInput, description = "Optional: `confirm_missing`"),
    responses(
        (status = 200, description = "Committed (or replayed)", body = RosterImportView),
        (status = 404, description = "No such import", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 409, description = "Changed since the preview, the shrink guard, or a practice fed by SCIM", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/roster/imports/{id}/commit")]
pub async fn commit(
    call: Caller,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WireError> {
    let id = import_id(&id)?;
    let input: RosterCommitInput = if body.iter().all(u8::is_ascii_whitespace) {
        RosterCommitInput::default()
    } else {
        parse_body(&body)?
    };
    let share = call.state.import_shrink_share;
    let done = rosters::commit(
        &call.store(),
        id,
        input.confirm_missing,
        share,
        &call.actor(),
    )
    .await?;
    let mut view = RosterImportView::of(done.import, share);
    view.replayed = Some(done.replayed);
    Ok(HttpResponse::Ok().json(view))
}
