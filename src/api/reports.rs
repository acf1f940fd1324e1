//! Reports, as JSON or CSV (`format=csv`): the leaver report an auditor asks for, and who has
//! what in which portal now.

use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::task::DeadlineVerdict;
use crate::http::csv::csv_field;
use crate::http::errors::WireError;
use crate::http::instant::{PeriodEdge, day_start, in_range, instant_param};
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

fn csv(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> HttpResponse {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(out)
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.to_rfc3339()).unwrap_or_default()
}

async fn display_names(
    call: &Caller,
    people: impl Iterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, String>, WireError> {
    let mut ids: Vec<Uuid> = people.collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(call.store().display_names(&ids).await?)
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

/// Without `from`, a leaver report covers this many days before `to`: a quarter, the period of
/// an access review.
const DEFAULT_REPORT_DAYS: u64 = 90;

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
    // By default, whole days in the practice's time zone: the last 90, today included.
    let today = now.with_timezone(&tz).date_naive();
    let to = match instant_param("to", query.to.as_deref(), tz, PeriodEdge::End)? {
        Some(to) => to,
        None => day_start(today + chrono::Days::new(1), tz),
    };
    let from = match instant_param("from", query.from.as_deref(), tz, PeriodEdge::Start)? {
        Some(from) => from,
        None => to
            .with_timezone(&tz)
            .date_naive()
            .checked_sub_days(chrono::Days::new(DEFAULT_REPORT_DAYS))
            .map(|day| day_start(day, tz))
            .ok_or_else(|| WireError::bad_request("`to` is too early: give `from` as well"))
            .and_then(|from| in_range("from", from))?,
    };
    if from >= to {
        return Err(WireError::bad_request("`from` must come before `to`"));
    }
    let rows = call.store().leaver_rows(from, to).await?;
    let names = display_names(&call, rows.iter().map(|r| r.person_id)).await?;
    let lines: Vec<LeaverLine> = rows
        .into_iter()
        .map(|r| LeaverLine {
            sla: DeadlineVerdict::of(r.state, r.due_at, r.done_at, now).to_string(),
            person_display: names.get(&r.person_id).cloned().unwrap_or_default(),
            person_id: r.person_id,
            event_at: r.event_at,
            portal: r.portal,
            task_id: r.task_id,
            kind: r.kind.to_string(),
            state: r.state.to_string(),
            due_at: r.due_at,
            self_verified: r.verified_by.is_some() && r.verified_by == r.done_by,
            done_at: r.done_at,
            done_by: r.done_by,
            verified_at: r.verified_at,
            verified_by: r.verified_by,
            reason: r.reason,
        })
        .collect();
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(LeaverReport {
            from,
            to,
            items: lines,
            next_cursor: None,
        }),
        Format::Csv => csv(
            &[
                "person_id",
                "person",
                "event_at",
                "portal",
                "task_id",
                "kind",
                "state",
                "due_at",
                "done_at",
                "done_by",
                "verified_at",
                "verified_by",
                "self_verified",
                "sla",
                "reason",
            ],
            lines.into_iter().map(|l| {
                vec![
                    l.person_id.to_string(),
                    l.person_display,
                    l.event_at.to_rfc3339(),
                    l.portal.unwrap_or_default(),
                    l.task_id.to_string(),
                    l.kind,
                    l.state,
                    l.due_at.to_rfc3339(),
                    time(l.done_at),
                    l.done_by.unwrap_or_default(),
                    time(l.verified_at),
                    l.verified_by.unwrap_or_default(),
                    l.self_verified.to_string(),
                    l.sla,
                    l.reason.unwrap_or_default(),
                ]
            }),
        ),
    })
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
    let rows = call.store().access_rows().await?;
    let names = display_names(&call, rows.iter().map(|r| r.person_id)).await?;
    let lines: Vec<AccessLine> = rows
        .into_iter()
        .map(|r| AccessLine {
            person_display: names.get(&r.person_id).cloned().unwrap_or_default(),
            person_id: r.person_id,
            portal: r.portal,
            username: r.username,
            roles: r.roles,
            updated_at: r.updated_at,
        })
        .collect();
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(AccessReport::whole(lines)),
        Format::Csv => csv(
            &[
                "person_id",
                "person",
                "portal",
                "username",
                "roles",
                "updated_at",
            ],
            lines.into_iter().map(|l| {
                vec![
                    l.person_id.to_string(),
                    l.person_display,
                    l.portal,
                    l.username.unwrap_or_default(),
                    l.roles.join(" "),
                    l.updated_at.to_rfc3339(),
                ]
            }),
        ),
    })
}
