//! Reports: leavers with each removal's SLA verdict, and current access; each downloadable as
//! CSV (the same columns as the admin API's) and printable (the stylesheet's print layout).

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::render;
use super::session::SignedIn;
use super::view::{Frame, When, urlencode, who};
use crate::domain::csv::csv_document;
use crate::domain::task::DeadlineVerdict;
use crate::domain::training::TrainingState;
use crate::engine::reports::{
    AccessLine, LeaverLine, RemovalStats, access_lines, leaver_lines, removal_stats,
};
use crate::http::errors::WireError;
use crate::http::instant::report_period;

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

pub(super) struct LeaverRow {
    person: String,
    portal: String,
    left: When,
    kind: String,
    due: When,
    done: String,
    verified: String,
    sla: String,
    late: bool,
}

pub(super) struct AccessRow {
    person: String,
    portal: String,
    username: String,
    roles: String,
    since: When,
    /// The person's training for the portal: "—" where none is required or recorded.
    training: String,
    untrained: bool,
}

#[derive(Template)]
#[template(path = "reports.html", config = "src/console/askama.toml")]
struct Reports {
    frame: Frame,
    from: String,
    to: String,
    query: String,
    stats: Shown,
    leavers: Vec<LeaverRow>,
    access: Vec<AccessRow>,
}

/// Removal figures as a page shows them.
pub(super) struct Shown {
    pub done: usize,
    pub median: String,
    pub p90: String,
    pub within_sla: String,
}

/// Hours as people read them: "40 min", "5.5 h", "3.2 days".
pub(super) fn hours_text(hours: f64) -> String {
    if hours < 1.0 {
        format!("{} min", (hours * 60.0).round())
    } else if hours < 48.0 {
        format!("{:.1} h", hours)
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

pub(super) fn shown(stats: &RemovalStats) -> Shown {
    let none = || "—".to_owned();
    Shown {
        done: stats.done,
        median: stats.median_hours.map_or_else(none, hours_text),
        p90: stats.p90_hours.map_or_else(none, hours_text),
        within_sla: stats
            .within_sla
            .map_or_else(none, |s| format!("{:.0} % of {}", s * 100.0, stats.judged)),
    }
}

#[get("/reports")]
pub async fn page(me: SignedIn, query: web::Query<PeriodQuery>) -> Result<HttpResponse, WireError> {
    let now = me.now();
    let tz = me.session.practice.time_zone.tz();
    let (from, to) = report_period(query.from.as_deref(), query.to.as_deref(), tz, now)?;
    let store = me.store();
    let lines = leaver_lines(&store, from, to, now).await?;
    let portals = store.practice_portals().await?;
    let portal_name = |slug: &Option<String>| {
        slug.as_ref()
            .map(|s| {
                portals
                    .get(s)
                    .map_or_else(|| s.clone(), |p| p.portal.name.clone())
            })
            .unwrap_or_else(|| "—".to_owned())
    };
    let by_when = |by: &Option<String>, at: Option<chrono::DateTime<chrono::Utc>>| match (by, at) {
        (Some(by), Some(at)) => format!("{} · {}", who(by), When::at(at, now, tz).text),
        _ => "—".to_owned(),
    };
    let leavers = lines
        .iter()
        .map(|l: &LeaverLine| LeaverRow {
            person: l.person_display.clone(),
            portal: portal_name(&l.portal),
            left: When::at(l.event_at, now, tz),
            kind: l.kind.to_string().replace('_', " "),
            due: When::due(l.due_at, now, tz, l.state.is_open()),
            done: by_when(&l.done_by, l.done_at),
            verified: by_when(&l.verified_by, l.verified_at),
            sla: l.sla.to_string(),
            late: l.sla == DeadlineVerdict::Missed,
        })
        .collect();
    let access = access_lines(&store)
        .await?
        .into_iter()
        .map(|a: AccessLine| AccessRow {
            portal: portal_name(&Some(a.portal.clone())),
            person: a.person_display,
            username: a.username.unwrap_or_default(),
            roles: a.roles.join(", "),
            since: When::at(a.updated_at, now, tz),
            untrained: a.training_required
                && !TrainingState::at(
                    a.training_completed_at.is_some(),
                    a.training_expires_at,
                    now,
                )
                .counts(),
            training: match (a.training_completed_at, a.training_expires_at) {
                (Some(done), Some(lapses)) => format!(
                    "{}, lapses {}",
                    When::at(done, now, tz).text,
                    When::at(lapses, now, tz).text
                ),
                (Some(done), None) => When::at(done, now, tz).text,
                (None, _) if a.training_required => "required, not recorded".to_owned(),
                (None, _) => "—".to_owned(),
            },
        })
        .collect();
    let day =
        |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&tz).format("%Y-%m-%d").to_string();
    let last_day = to - chrono::Duration::seconds(1);
    render(&Reports {
        frame: Frame::load(&me, "Reports", "Reports").await?,
        query: format!(
            "from={}&to={}",
            urlencode(&day(from)),
            urlencode(&day(last_day))
        ),
        from: day(from),
        to: day(last_day),
        stats: shown(&removal_stats(&lines, tz)),
        leavers,
        access,
    })
}

fn download(name: &str, document: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(document)
}

/// `GET /console/reports/leavers.csv`: the leaver report of the period, as the API's CSV.
#[get("/reports/leavers.csv")]
pub async fn leavers_csv(
    me: SignedIn,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, WireError> {
    let now = me.now();
    let tz = me.session.practice.time_zone.tz();
    let (from, to) = report_period(query.from.as_deref(), query.to.as_deref(), tz, now)?;
    let lines = leaver_lines(&me.store(), from, to, now).await?;
    Ok(download(
        &format!("leavers-{}.csv", me.session.practice.slug),
        csv_document(
            &LeaverLine::CSV_HEADER,
            lines.iter().map(LeaverLine::csv_row),
        ),
    ))
}

/// `GET /console/reports/access.csv`: who holds what now, as the API's CSV.
#[get("/reports/access.csv")]
pub async fn access_csv(me: SignedIn) -> Result<HttpResponse, WireError> {
    let lines = access_lines(&me.store()).await?;
    Ok(download(
        &format!("access-{}.csv", me.session.practice.slug),
        csv_document(
            &AccessLine::CSV_HEADER,
            lines.iter().map(AccessLine::csv_row),
        ),
    ))
}
