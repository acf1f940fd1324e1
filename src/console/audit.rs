//! The audit trail: records with filters (time, actor, action, person, task), "Verify chain"
//! with the head to copy and keep elsewhere, and exports (CSV, JSON Lines) that end with their
//! signed checkpoint.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::render;
use super::session::{Act, SignedIn};
use super::view::{Frame, When, urlencode};
use crate::engine::audit_export::{ExportFormat, export_audit};
use crate::http::errors::WireError;
use crate::http::instant::{PeriodEdge, instant_param};
use crate::http::streaming::text_body;
use crate::store::audit::AuditFilter;

const PAGE: u64 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    from: Option<String>,
    to: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    /// A person's or a task's id, or any part of a target.
    target: Option<String>,
    after: Option<i64>,
    verify: Option<String>,
}

pub(super) struct Row {
    seq: i64,
    at: When,
    actor: String,
    action: String,
    target: String,
    detail: String,
}

pub(super) struct Verdict {
    ok: bool,
    records: u64,
    problem: String,
    head: Option<(i64, String)>,
}

#[derive(Template)]
#[template(path = "audit.html", config = "src/console/askama.toml")]
struct AuditPage {
    frame: Frame,
    from: String,
    to: String,
    actor: String,
    action: String,
    target: String,
    rows: Vec<Row>,
    next_page: Option<String>,
    verdict: Option<Verdict>,
}

fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

#[get("/audit")]
pub async fn page(me: SignedIn, query: web::Query<AuditQuery>) -> Result<HttpResponse, WireError> {
    let now = me.now();
    let tz = me.session.practice.time_zone.tz();
    let store = me.store();
    let (from, to) = (text(&query.from), text(&query.to));
    let filter = AuditFilter {
        from: instant_param("from", from.as_deref(), tz, PeriodEdge::Start)?,
        to: instant_param("to", to.as_deref(), tz, PeriodEdge::End)?,
        actor: text(&query.actor),
        action: text(&query.action),
        target: text(&query.target),
        exact_target: None,
        after_seq: query.after,
        up_to_seq: None,
        limit: PAGE,
    };
    let records = store.audit_records(&filter).await?;
    let keep = format!(
        "/console/audit?from={}&to={}&actor={}&action={}&target={}",
        urlencode(from.as_deref().unwrap_or("")),
        urlencode(to.as_deref().unwrap_or("")),
        urlencode(filter.actor.as_deref().unwrap_or("")),
        urlencode(filter.action.as_deref().unwrap_or("")),
        urlencode(filter.target.as_deref().unwrap_or("")),
    );
    let next_page = (records.len() as u64 == PAGE)
        .then(|| records.last().map(|r| format!("{keep}&after={}", r.seq)))
        .flatten();
    let verdict = if query.verify.is_some() {
        let key = me.state.audit_signer.public_key();
        let report = store.verify_audit(None, Some(key)).await?;
        Some(Verdict {
            ok: report.ok,
            records: report.records,
            problem: match (report.first_broken, report.reason) {
                (Some(seq), Some(reason)) => format!("record {seq}: {reason}"),
                (None, Some(reason)) => reason,
                _ => String::new(),
            },
            head: report.head.map(|h| (h.seq, h.hash)),
        })
    } else {
        None
    };
    render(&AuditPage {
        frame: Frame::load(&me, "Audit", "Audit").await?,
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
        actor: filter.actor.clone().unwrap_or_default(),
        action: filter.action.clone().unwrap_or_default(),
        target: filter.target.clone().unwrap_or_default(),
        rows: records
            .into_iter()
            .map(|r| Row {
                seq: r.seq,
                at: When::at(r.at, now, tz),
                actor: r.actor,
                action: r.action,
                target: r.target,
                detail: r.detail.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        next_page,
        verdict,
    })
}

#[derive(Debug, Deserialize)]
pub struct ExportForm {
    format: String,
    from: Option<String>,
    to: Option<String>,
}

/// `POST /console/audit/export`: a download of the period's records, after signing the chain's
/// head (a POST: it records a checkpoint).
#[post("/audit/export")]
pub async fn export(act: Act<ExportForm>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let format = match act.form.format.as_str() {
        "csv" => ExportFormat::Csv,
        _ => ExportFormat::JsonLines,
    };
    let tz = me.session.practice.time_zone.tz();
    let from = instant_param(
        "from",
        text(&act.form.from).as_deref(),
        tz,
        PeriodEdge::Start,
    )?;
    let to = instant_param("to", text(&act.form.to).as_deref(), tz, PeriodEdge::End)?;
    let lines = export_audit(
        me.state.store.clone(),
        me.session.practice.id,
        from,
        to,
        format,
        &me.state.audit_signer,
        &me.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"audit-{}.{}\"",
                me.session.practice.slug,
                format.extension()
            ),
        ))
        .streaming(text_body(lines)))
}
