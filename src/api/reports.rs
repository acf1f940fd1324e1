//! Reports, as JSON or CSV (`format=csv`): the leaver report an auditor asks for, and who has
//! what in which portal now.

use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::csv::csv_document;
use crate::engine::reports;
use crate::http::errors::WireError;
use crate::http::instant::report_period;
use crate::http::query::Query;
use crate::state::Caller;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaverQuery {
    /// Leaver events from this date (`2026-11-01`, a day in the practice's time zone) or
    /// instant (RFC 3339) on. Default: the start of the day 90 days before `to`.
    pub from: Option<String>,
    /// Leaver events before this instant, or up to the end of this date. Default: the end of
    /// today in the practice's time zone.
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeaverLine {
    pub person_id: Uuid,
    pub person_display: String,
    /// When the leaver signal arrived.
    pub event_at: DateTime<Utc>,
    pub portal: Option<String>,
    pub task_id: Uuid,
    pub kind: String,
    pub state: String,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<String>,
    /// Verified by the person who completed it: only possible where the practice turned
    /// four-eyes verification off (a single portal administrator).
    pub self_verified: bool,
    /// `met`, `missed`, `pending` (not done, not yet due), or `cancelled`.
    pub sla: String,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLine {
    pub person_id: Uuid,
    pub person_display: String,
    pub portal: String,
    pub username: Option<String>,
    pub roles: Vec<String>,
    pub updated_at: DateTime<Utc>,
    /// The portal requires training before access.
    pub training_required: bool,
    /// The person's training for the portal, when recorded, and when it lapses.
    pub training_completed_at: Option<DateTime<Utc>>,
    pub training_expires_at: Option<DateTime<Utc>>,
}

enum Format {
    Json,
    Csv,
}

fn format(text: &Option<String>) -> Result<Format, WireError> {
    match text.as_deref() {
        None | Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some(_) => Err(WireError::bad_request("`format` must be json or csv")),
    }
}

fn csv(document: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(document)
}

/// The leaver report: the period it covers, and one line per leaver and portal.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaverReport {
    /// The period covered (from inclusive, to exclusive), as asked or by default.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub items: Vec<LeaverLine>,
    /// Always `null`: the report comes whole.
    pub next_cursor: Option<String>,
}

list_of!(
    /// Who has what in which portal now.
    AccessReport,
    AccessLine
);

/// For each leaver and portal: when the signal came, when the work was due, done and verified,
/// by whom, and whether it met the SLA.
#[utoipa::path(
    tag = "admin",
    params(LeaverQuery),
    responses(
        (status = 200, description = "The leaver report (JSON, or CSV with format=csv)", body = LeaverReport),
        (status = 400, description = "Missing or invalid from/to/format", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/reports/leavers")]
pub async fn leavers(call: Caller, query: Query<LeaverQuery>) -> Result<HttpResponse, WireError> {
    let format = format(&query.format)?;
    let now = call.state.clock.now();
    let tz = call.store().practice().await?.time_zone.tz();
    let (from, to) = report_period(query.from.as_deref(), query.to.as_deref(), tz, now)?;
    let lines = reports::leaver_lines(&call.store(), from, to, now).await?;
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(LeaverReport {
            from,
            to,
            items: lines.into_iter().map(LeaverLine::from).collect(),
            next_cursor: None,
        }),
        Format::Csv => csv(csv_document(
            &reports::LeaverLine::CSV_HEADER,
            lines.iter().map(reports::LeaverLine::csv_row),
        )),
    })
}

impl From<reports::LeaverLine> for LeaverLine {
    fn from(l: reports::LeaverLine) -> Self {
        Self {
            person_id: l.person_id,
            person_display: l.person_display,
            event_at: l.event_at,
            portal: l.portal,
            task_id: l.task_id,
            kind: l.kind.to_string(),
            state: l.state.to_string(),
            due_at: l.due_at,
            done_at: l.done_at,
            done_by: l.done_by,
            verified_at: l.verified_at,
            verified_by: l.verified_by,
            self_verified: l.self_verified,
            sla: l.sla.to_string(),
            reason: l.reason,
        }
    }
}

/// Who has what in which portal now (active recorded accounts).
#[utoipa::path(
    tag = "admin",
    params(FormatQuery),
    responses((status = 200, description = "Current access (JSON array, or CSV with format=csv)", body = AccessReport))
)]
#[get("/reports/access")]
pub async fn access(call: Caller, query: Query<FormatQuery>) -> Result<HttpResponse, WireError> {
    let format = format(&query.format)?;
    let lines = reports::access_lines(&call.store()).await?;
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(AccessReport::whole(
            lines
                .into_iter()
                .map(|l| AccessLine {
                    person_id: l.person_id,
                    person_display: l.person_display,
                    portal: l.portal,
                    username: l.username,
                    roles: l.roles,
                    updated_at: l.updated_at,
                    training_required: l.training_required,
                    training_completed_at: l.training_completed_at,
                    training_expires_at: l.training_expires_at,
                })
                .collect(),
        )),
        Format::Csv => csv(csv_document(
            &reports::AccessLine::CSV_HEADER,
            lines.iter().map(reports::AccessLine::csv_row),
        )),
    })
}
