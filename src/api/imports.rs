//! Portal user-list imports (`/api/v1/practice-portals/{portal}/imports`): upload a list to
//! preview what it shows against the records, then commit the preview; and the decisions
//! about listed accounts nobody is known for (link one to a person, accept one as a service
//! account). The engine (`engine::imports`) does the work; the console calls the same.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::upload::{CsvUpload, csv_upload};
use crate::domain::reconcile::{Finding, FindingKind, ListColumns};
use crate::engine::imports::{self, Upload};
use crate::http::errors::WireError;
use crate::http::instant::{PeriodEdge, instant_param};
use crate::http::json::{Json, parse_body};
use crate::state::Caller;
use crate::store::imports::ImportRecord;

/// An import: the file, who previewed and committed it, and what the list showed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    pub id: Uuid,
    pub portal: String,
    pub file_name: String,
    /// Hex SHA-256 of the file as uploaded.
    pub sha256: String,
    pub size: u64,
    /// `previewed` (nothing changed yet) or `committed`.
    pub state: String,
    /// The column mapping used (remembered for the portal when committed).
    pub columns: ListColumns,
    pub previewed_by: String,
    pub previewed_at: DateTime<Utc>,
    pub committed_by: Option<String>,
    pub committed_at: Option<DateTime<Utc>>,
    /// Accounts the list holds, matched to a person, and agreeing with the records.
    pub listed: usize,
    pub matched: usize,
    pub in_step: usize,
    /// Accounts recorded active for the portal when the list was reconciled.
    pub recorded_active: usize,
    /// Findings of each kind.
    #[schema(value_type = Object)]
    pub counts: std::collections::BTreeMap<FindingKind, usize>,
    /// Recorded accounts the commit marks gone, and whether that needs `confirm_missing`
    /// (more than the shrink guard's share of the portal's recorded accounts).
    pub missing: usize,
    pub needs_confirmation: bool,
    /// The number the committer confirmed, when the shrink guard asked.
    pub confirmed_missing: Option<u32>,
    /// Every finding with what the commit does (did) about it; left out of lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<Finding>>,
    /// On a commit: the same file had been committed before, so nothing changed (this is
    /// that earlier import).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<bool>,
}

impl ImportView {
    fn of(record: ImportRecord, share: f64, with_findings: bool) -> Self {
        let needs_confirmation = record.findings.needs_confirmation(share);
        Self {
            id: record.id,
            portal: record.portal,
            file_name: record.file_name,
            sha256: record.sha256,
            size: record.size,
            state: if record.committed {
                "committed"
            } else {
                "previewed"
            }
            .to_owned(),
            columns: record.columns,
            previewed_by: record.previewed_by,
            previewed_at: record.previewed_at,
            committed_by: record.committed_by,
            committed_at: record.committed_at,
            listed: record.findings.listed,
            matched: record.findings.matched,
            in_step: record.findings.in_step,
            recorded_active: record.findings.recorded_active,
            missing: record.findings.missing(),
            counts: record.findings.counts.clone(),
            needs_confirmation,
            confirmed_missing: record.confirmed_missing,
            findings: with_findings.then_some(record.findings.findings),
            replayed: None,
        }
    }
}

list_of!(
    /// A portal's imports, newest first.
    ImportList,
    ImportView
);

fn import_id(raw: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(raw).map_err(|_| WireError::not_found("import not found"))
}

/// Preview a portal's user list: a CSV file (multipart field `file`, at most 10 MiB; UTF-8,
/// comma, semicolon or tab separated) and, optionally, a field `columns` holding the column
/// mapping as JSON (`{"username": "User ID", "roles": "Functions", …}`). Without one, the
/// practice's remembered mapping is used, else the catalogue's, else the usual header names
/// are recognised. Nothing changes but the import record: commit it to act on its findings.
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug")),
    request_body(content = Object, content_type = "multipart/form-data", description = "A `file` field, and optionally a `columns` field (JSON)"),
    responses(
        (status = 201, description = "Previewed: the findings, and what a commit would do", body = ImportView),
        (status = 400, description = "Malformed multipart body or `columns`", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "The practice does not use this portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 413, description = "File too large", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "A file that cannot be used: the row and column to fix", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/practice-portals/{portal}/imports")]
pub async fn preview(
    call: Caller,
    portal: web::Path<String>,
    form: Multipart,
) -> Result<HttpResponse, WireError> {
    let sent: CsvUpload<ListColumns> = csv_upload(
        form,
        "user lists",
        r#"{"username": "User ID", "roles": "Functions"}"#,
    )
    .await?;
    let upload = Upload {
        portal: &portal,
        file_name: &sent.file_name,
        bytes: &sent.bytes,
        columns: sent.columns,
    };
    let record = imports::preview(&call.store(), upload, &call.actor()).await?;
    Ok(HttpResponse::Created().json(ImportView::of(record, call.state.import_shrink_share, true)))
}

/// The portal's imports, newest first (without their findings).
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug")),
    responses((status = 200, description = "Imports", body = ImportList))
)]
#[get("/practice-portals/{portal}/imports")]
pub async fn list(call: Caller, portal: web::Path<String>) -> Result<HttpResponse, WireError> {
    let share = call.state.import_shrink_share;
    let items = call
        .store()
        .imports(&portal, 100)
        .await?
        .into_iter()
        .map(|r| ImportView::of(r, share, false))
        .collect();
    Ok(HttpResponse::Ok().json(ImportList::whole(items)))
}

/// One import with its findings.
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug"), ("id" = String, Path, description = "The import's id")),
    responses(
        (status = 200, description = "The import", body = ImportView),
        (status = 404, description = "No such import for this portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/practice-portals/{portal}/imports/{id}")]
pub async fn show(
    call: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WireError> {
    let id = import_id(&path.1)?;
    let record = call.store().import(&path.0, id).await?;
    Ok(HttpResponse::Ok().json(ImportView::of(record, call.state.import_shrink_share, true)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitInput {
    /// The number of accounts the list marks gone, when the preview says it needs
    /// confirmation (the shrink guard).
    pub confirm_missing: Option<usize>,
}

/// Commit a previewed import: verify the removals it confirms, reopen those it contradicts,
/// record role drift and accounts of leavers, mark missing accounts gone, open tasks for
/// unmatched accounts and shared logins, alert on administrators near lockout; then policy
/// plans everyone touched. The same findings as the preview, or 409. Committing the same
/// file again changes nothing (`replayed: true`).
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug"), ("id" = String, Path, description = "The import's id")),
    request_body(content = CommitInput, description = "Optional: `confirm_missing`"),
    responses(
        (status = 200, description = "Committed (or replayed)", body = ImportView),
        (status = 404, description = "No such import for this portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 409, description = "The records changed since the preview, or the shrink guard needs `confirm_missing`", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/practice-portals/{portal}/imports/{id}/commit")]
pub async fn commit(
    call: Caller,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, WireError> {
    let id = import_id(&path.1)?;
    // The body is optional: empty means nothing to confirm.
    let input: CommitInput = if body.iter().all(u8::is_ascii_whitespace) {
        CommitInput::default()
    } else {
        parse_body(&body)?
    };
    let share = call.state.import_shrink_share;
    let done = imports::commit(
        &call.store(),
        &path.0,
        id,
        input.confirm_missing,
        share,
        &call.actor(),
    )
    .await?;
    let mut view = ImportView::of(done.import, share, true);
    view.replayed = Some(done.replayed);
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// The username the portal's list shows.
    pub username: String,
    /// The person (SCIM id) the account belongs to.
    pub person_id: String,
}

/// Link a listed account nobody was known for to the person it belongs to: their account is
/// recorded (with the roles the latest list showed), its pending removal cancelled, and
/// policy decides what else they need. Audited (`account.linked`).
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug")),
    request_body = LinkInput,
    responses(
        (status = 204, description = "Linked"),
        (status = 404, description = "No such person, or the practice does not use the portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "No username", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/practice-portals/{portal}/accounts/link")]
pub async fn link(
    call: Caller,
    portal: web::Path<String>,
    body: Json<LinkInput>,
) -> Result<HttpResponse, WireError> {
    let input = body.into_inner();
    let person = super::people::person_id(&input.person_id)?;
    imports::link_account(
        &call.store(),
        &portal,
        &input.username,
        person,
        &call.actor(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccountInput {
    pub username: String,
    /// Why the account is nobody's (an interface, a clearinghouse connection).
    pub reason: String,
    /// When the practice checks it again: a date (the practice's time zone) or RFC 3339, in
    /// the future. Until then imports list it as a service account; after, as unmatched.
    pub review_at: String,
}

/// A service account as kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceAccountView {
    /// Lower case.
    pub username: String,
    pub reason: String,
    pub review_at: DateTime<Utc>,
    pub marked_by: String,
    pub marked_at: DateTime<Utc>,
}

list_of!(
    /// The portal's service accounts, review date first.
    ServiceAccountList,
    ServiceAccountView
);

/// Accept a listed account as a service account until a review date, with a reason; its
/// pending removal is cancelled. Audited (`service_account.marked`).
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug")),
    request_body = ServiceAccountInput,
    responses(
        (status = 204, description = "Marked"),
        (status = 400, description = "Malformed body or date", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "The practice does not use the portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "No reason, or a review date not in the future", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/practice-portals/{portal}/service-accounts")]
pub async fn mark_service(
    call: Caller,
    portal: web::Path<String>,
    body: Json<ServiceAccountInput>,
) -> Result<HttpResponse, WireError> {
    let input = body.into_inner();
    let store = call.store();
    let tz = store.practice().await?.time_zone.tz();
    let review_at = instant_param("review_at", Some(&input.review_at), tz, PeriodEdge::Start)?
        .unwrap_or_else(|| call.state.clock.now());
    imports::mark_service_account(
        &store,
        &portal,
        &input.username,
        &input.reason,
        review_at,
        &call.actor(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The portal's service accounts.
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug")),
    responses((status = 200, description = "Service accounts", body = ServiceAccountList))
)]
#[get("/practice-portals/{portal}/service-accounts")]
pub async fn service_accounts(
    call: Caller,
    portal: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let items = call
        .store()
        .service_accounts(&portal)
        .await?
        .into_iter()
        .map(|s| ServiceAccountView {
            username: s.username,
            reason: s.reason,
            review_at: s.review_at,
            marked_by: s.marked_by,
            marked_at: s.marked_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(ServiceAccountList::whole(items)))
}
