//! Reviews: access review campaigns with their progress, "Open a review", and a campaign's
//! items with the context a reviewer needs and "Keep" / "Revoke" / "Reduce" per account (or
//! several kept at once with a comment). Decisions go through `engine::reviews`, as in the
//! API: a revocation opens its removal task at once.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use uuid::Uuid;

use super::session::{Act, SignedIn};
use super::view::{Frame, NoticeQuery, When, notice_link};
use super::{render, see_other};
use crate::domain::admin::{AdminRole, Need};
use crate::domain::escalation::Interval;
use crate::domain::review::schedule::{Cadence, ReviewSchedule, default_reminders};
use crate::domain::review::{CampaignState, Decision, NoAnswer, ReviewScope};
use crate::engine::reviews::{self, Decider, DecisionRequest};
use crate::http::errors::WireError;
use crate::http::instant::day_start;
use crate::store::StoreError;
use crate::store::reviews::{ItemFilter, NewCampaign};

struct CampaignRow {
    id: String,
    name: String,
    state: String,
    deadline: When,
    items: u64,
    decided: u64,
    mine: u64,
}

/// The schedule as the Reviews page shows it, and its form's current values.
struct ScheduleRow {
    /// In words: "every quarter, on the first Monday of …".
    text: String,
    /// The next scheduled review: its start and deadline.
    next: Option<(When, When)>,
    cadence: &'static str,
    months: String,
    from: String,
    open_days: u16,
    close_after_days: u16,
    no_answer: &'static str,
    reminders: String,
}

impl ScheduleRow {
    fn of(schedule: &ReviewSchedule, me: &SignedIn) -> Self {
        let tz = me.session.practice.time_zone.tz();
        let now = me.now();
        let text = match schedule.cadence {
            Cadence::Quarterly => "Every quarter: reviews open on the first Monday of January, April, July and October".to_owned(),
            Cadence::EveryMonths => format!(
                "Every {} months from {}",
                schedule.months.unwrap_or(0),
                schedule.from.map(|d| d.to_string()).unwrap_or_default()
            ),
            Cadence::Once => format!(
                "Once, on {}",
                schedule.from.map(|d| d.to_string()).unwrap_or_default()
            ),
            Cadence::Off => "Off: reviews are opened by hand".to_owned(),
        };
        let cadence = match schedule.cadence {
            Cadence::Quarterly => "quarterly",
            Cadence::EveryMonths => "every_months",
            Cadence::Once => "once",
            Cadence::Off => "off",
        };
        Self {
            text,
            next: schedule.next(now, tz).map(|p| {
                (
                    When::at(p.starts_at, now, tz),
                    When::at(p.deadline, now, tz),
                )
            }),
            cadence,
            months: schedule.months.map(|m| m.to_string()).unwrap_or_default(),
            from: schedule.from.map(|d| d.to_string()).unwrap_or_default(),
            open_days: schedule.open_days,
            close_after_days: schedule.close_after_days,
            no_answer: schedule.no_answer.as_str(),
            reminders: schedule
                .reminders
                .iter()
                .map(|r| spoken(r.0))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// A reminder offset as a person writes it and the form reads it back: `7d`, `48h`, `90m`.
fn spoken(span: chrono::Duration) -> String {
    let seconds = span.num_seconds();
    if seconds % 86_400 == 0 && seconds >= 3 * 86_400 {
        format!("{}d", seconds / 86_400)
    } else if seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else {
        format!("{}m", seconds / 60)
    }
}

#[derive(Template)]
#[template(path = "reviews.html", config = "src/console/askama.toml")]
struct ReviewsPage {
    frame: Frame,
    campaigns: Vec<CampaignRow>,
    schedule: ScheduleRow,
    portals: Vec<(String, String)>,
    default_deadline: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn reviews_page(
    me: &SignedIn,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, WireError> {
    let store = me.store();
    let tz = me.session.practice.time_zone.tz();
    let now = me.now();
    let mine = store.undecided_for(me.session.admin.id).await?;
    let campaigns = store
        .campaigns()
        .await?
        .into_iter()
        .map(|c| {
            let open = c.state == CampaignState::Open.as_str();
            (c, open)
        })
        .map(|(c, open)| CampaignRow {
            id: c.id.to_string(),
            deadline: When::due(c.deadline, now, tz, open),
            mine: if open {
                mine.get(&c.id).copied().unwrap_or(0)
            } else {
                0
            },
            state: if c.completed_at.is_some() {
                "complete".to_owned()
            } else {
                c.state
            },
            name: c.name,
            items: c.items,
            decided: c.decided,
        })
        .collect();
    let portals = store
        .practice_portals()
        .await?
        .into_values()
        .map(|p| (p.portal.slug, p.portal.name))
        .collect();
    let today = now.with_timezone(&tz).date_naive();
    let default_deadline = today
        .checked_add_days(chrono::Days::new(30))
        .unwrap_or(today)
        .to_string();
    let status = if error.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let mut response = render(&ReviewsPage {
        frame: Frame::load(me, "Reviews", "Reviews").await?,
        campaigns,
        schedule: ScheduleRow::of(&store.review_schedule().await?, me),
        portals,
        default_deadline,
        notice,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /console/reviews`: the campaigns, with how far each has come.
#[get("/reviews")]
pub async fn list(me: SignedIn, query: web::Query<NoticeQuery>) -> Result<HttpResponse, WireError> {
    reviews_page(&me, query.shown(&me), None).await
}

#[derive(Debug, Deserialize)]
pub struct OpenForm {
    name: String,
    deadline: String,
    no_answer: String,
}

/// `POST /console/reviews`: open a campaign (its snapshot is taken now).
#[post("/reviews")]
pub async fn open_review(act: Act<OpenForm>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let form = &act.form;
    let tz = me.session.practice.time_zone.tz();
    let portals: Vec<String> = act
        .fields
        .iter()
        .filter(|(k, _)| k == "portal")
        .map(|(_, v)| v.clone())
        .collect();
    let checked = (|| {
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err("the name is 1 to 200 characters".to_owned());
        }
        let day = NaiveDate::parse_from_str(form.deadline.trim(), "%Y-%m-%d")
            .map_err(|_| "the deadline is a date such as 2027-01-31".to_owned())?;
        let deadline = day_start(
            day.checked_add_days(chrono::Days::new(1)).unwrap_or(day),
            tz,
        );
        if deadline <= me.now() || day.year() > 9999 {
            return Err("the deadline must be in the future".to_owned());
        }
        let no_answer = NoAnswer::parse(&form.no_answer)
            .ok_or_else(|| "choose what happens to an item nobody decided".to_owned())?;
        Ok((name.to_owned(), deadline, no_answer))
    })();
    let (name, deadline, no_answer) = match checked {
        Ok(found) => found,
        Err(why) => return reviews_page(me, None, Some(why)).await,
    };
    let new = NewCampaign {
        name,
        scope: ReviewScope {
            portals,
            sensitivities: Vec::new(),
        },
        starts_at: me.now(),
        deadline,
        no_answer,
        portal_reviewers: Default::default(),
        period_key: None,
        reminders: default_reminders(),
        closes_at: None,
    };
    let opened = reviews::open(
        &me.store(),
        &me.session.practice,
        new,
        &me.actor(),
        &me.state.public_url,
    )
    .await;
    match opened {
        Ok(campaign) => Ok(see_other(&notice_link(
            me,
            &format!("/console/reviews/{}", campaign.id),
            &format!("Review opened: {} accounts to decide.", campaign.items),
        ))),
        Err(StoreError::Refused(why)) => reviews_page(me, None, Some(why)).await,
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ScheduleForm {
    cadence: String,
    #[serde(default)]
    months: String,
    #[serde(default)]
    from: String,
    open_days: String,
    close_after_days: String,
    no_answer: String,
    #[serde(default)]
    reminders: String,
}

impl ScheduleForm {
    /// The schedule the form describes, or what to fix, in words.
    fn schedule(&self) -> Result<ReviewSchedule, String> {
        let cadence = match self.cadence.as_str() {
            "quarterly" => Cadence::Quarterly,
            "every_months" => Cadence::EveryMonths,
            "once" => Cadence::Once,
            "off" => Cadence::Off,
            _ => return Err("choose how often reviews open".into()),
        };
        let months = match self.months.trim() {
            "" => None,
            m => Some(
                m.parse::<u8>()
                    .map_err(|_| "months is a whole number from 1 to 24".to_owned())?,
            ),
        };
        let from = match self.from.trim() {
            "" => None,
            d => Some(
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| "the date is written like 2027-01-04".to_owned())?,
            ),
        };
        let days = |text: &str, what: &str| {
            text.trim()
                .parse::<u16>()
                .map_err(|_| format!("{what} is a whole number of days"))
        };
        let reminders = self
            .reminders
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| Interval::try_from(r.to_owned()))
            .collect::<Result<Vec<_>, _>>()?;
        let schedule = ReviewSchedule {
            cadence,
            months: months.filter(|_| cadence == Cadence::EveryMonths),
            from: from.filter(|_| matches!(cadence, Cadence::EveryMonths | Cadence::Once)),
            open_days: days(&self.open_days, "the time reviewers have")?,
            close_after_days: days(&self.close_after_days, "the time after the deadline")?,
            no_answer: NoAnswer::parse(&self.no_answer)
                .ok_or_else(|| "choose what happens to an item nobody decided".to_owned())?,
            scope: ReviewScope::default(),
            reminders,
        };
        schedule.check().map_err(|e| e.0)?;
        Ok(schedule)
    }
}

/// `POST /console/reviews/schedule`: when reviews open by themselves.
#[post("/reviews/schedule")]
pub async fn set_schedule(act: Act<ScheduleForm>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let store = me.store();
    let mut schedule = match act.form.schedule() {
        Ok(schedule) => schedule,
        Err(why) => {
            return reviews_page(me, None, Some(format!("Schedule not saved: {why}."))).await;
        }
    };
    // The console does not edit the scope: keep the one set through the API.
    schedule.scope = store.review_schedule().await?.scope;
    store.set_review_schedule(&schedule, &me.actor()).await?;
    Ok(see_other(&notice_link(
        me,
        "/console/reviews",
        "Review schedule saved.",
    )))
}

struct ItemRow {
    id: String,
    person: String,
    user_name: String,
    status: String,
    /// The person left after the snapshot: when, in words.
    left_during: Option<String>,
    title: String,
    department: String,
    manager: String,
    portal: String,
    username: String,
    roles: Vec<(String, bool)>,
    open_tasks: u64,
    reviewer: String,
    decision: String,
    comment: String,
    outcome: String,
    may_decide: bool,
}

#[derive(Template)]
#[template(path = "review.html", config = "src/console/askama.toml")]
struct ReviewPage {
    frame: Frame,
    id: String,
    name: String,
    open: bool,
    deadline: When,
    items_total: u64,
    decided: u64,
    rows: Vec<ItemRow>,
    mine_only: bool,
    /// Who an item can be handed to: every active administrator (id, name).
    admins: Vec<(String, String)>,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ReviewQuery {
    mine: Option<String>,
    notice: Option<String>,
    ns: Option<String>,
}

fn review_id(text: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(text).map_err(|_| WireError::not_found("review not found"))
}

/// `GET /console/reviews/{id}[?mine=1]`: the items, each with what the reviewer needs.
#[get("/reviews/{id}")]
pub async fn page(
    me: SignedIn,
    id: web::Path<String>,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, WireError> {
    let id = review_id(&id)?;
    let store = me.store();
    let campaign = store.campaign(id).await?;
    let mine_only = query.mine.is_some();
    let filter = ItemFilter {
        reviewer: mine_only.then_some(me.session.admin.id),
        ..ItemFilter::default()
    };
    let listed = store.list_admins().await?;
    let admins: std::collections::HashMap<Uuid, String> = listed
        .iter()
        .map(|a| (a.admin.id, a.admin.name.clone()))
        .collect();
    let hand_to: Vec<(String, String)> = listed
        .iter()
        .filter(|a| a.admin.active && a.removed_at.is_none())
        .map(|a| {
            (
                a.admin.id.to_string(),
                format!("{} ({})", a.admin.name, a.admin.email),
            )
        })
        .collect();
    let is_open = campaign.state == CampaignState::Open.as_str();
    let oversees = me.may(Need::Oversee);
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let rows = store
        .review_items(id, &filter)
        .await?
        .into_iter()
        .map(|i| {
            let context = &i.context;
            ItemRow {
                id: i.id.to_string(),
                person: text(&context["person"]),
                user_name: text(&context["user_name"]),
                status: text(&context["status"]),
                left_during: i
                    .left_during_review
                    .map(|at| When::at(at, me.now(), me.session.practice.time_zone.tz()).text),
                title: text(&context["title"]),
                department: text(&context["department"]),
                manager: text(&context["manager"]),
                portal: text(&context["portal_name"]),
                username: i.username.clone().unwrap_or_default(),
                roles: i
                    .roles
                    .iter()
                    .map(|r| {
                        let granted = context["granted_by_policy"][r].as_bool().unwrap_or(false);
                        (r.clone(), granted)
                    })
                    .collect(),
                open_tasks: context["open_tasks"].as_u64().unwrap_or(0),
                reviewer: i
                    .reviewer_id
                    .and_then(|r| admins.get(&r).cloned())
                    .unwrap_or_else(|| {
                        "unassigned: any manager or portal administrator but the person".to_owned()
                    }),
                decision: i.decision.clone().unwrap_or_default(),
                comment: i.comment.clone().unwrap_or_default(),
                outcome: i.outcome.clone().unwrap_or_default(),
                may_decide: is_open && (i.reviewer_id == Some(me.session.admin.id) || oversees),
            }
        })
        .collect();
    let tz = me.session.practice.time_zone.tz();
    render(&ReviewPage {
        frame: Frame::load(&me, campaign.name.clone(), "Reviews").await?,
        id: id.to_string(),
        name: campaign.name,
        open: is_open,
        deadline: When::due(campaign.deadline, me.now(), tz, is_open),
        items_total: campaign.items,
        decided: campaign.decided,
        rows,
        mine_only,
        admins: hand_to,
        notice: super::view::shown_notice(&me, &query.notice, &query.ns),
    })
}

#[derive(Debug, Deserialize)]
pub struct DelegateForm {
    to: String,
    #[serde(default)]
    comment: String,
}

/// `POST /console/reviews/{id}/items/{item}/delegate`: hand an item to another administrator.
#[post("/reviews/{id}/items/{item}/delegate")]
pub async fn delegate(
    act: Act<DelegateForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let (id, item) = path.into_inner();
    let review = review_id(&id)?;
    let item = Uuid::try_parse(&item).map_err(|_| WireError::not_found("review item not found"))?;
    let store = me.store();
    if store.review_item(item).await?.campaign_id != review {
        return Err(WireError::not_found("review item not found"));
    }
    let said = match Uuid::try_parse(act.form.to.trim()) {
        Err(_) => "Not handed over: choose an administrator.".to_owned(),
        Ok(to) => {
            let comment = Some(act.form.comment.trim()).filter(|c| !c.is_empty());
            match reviews::delegate(&store, item, to, comment, decider(me), &me.actor()).await {
                Ok(_) => "Handed over: it is theirs to decide now.".to_owned(),
                Err(StoreError::Refused(why)) => format!("Not handed over: {why}."),
                Err(other) => return Err(other.into()),
            }
        }
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/reviews/{review}#item-{item}"),
        &said,
    )))
}

#[derive(Template)]
#[template(path = "review_report.html", config = "src/console/askama.toml")]
struct ReportPage {
    frame: Frame,
    id: String,
    name: String,
    scope: String,
    snapshot: When,
    deadline: When,
    closed: Option<When>,
    completed: Option<When>,
    sha256: Option<String>,
    reviewers: Vec<String>,
    counts: Vec<(String, u64)>,
    exceptions: u64,
    complete: bool,
    lines: Vec<ReportRow>,
}

struct ReportRow {
    person: String,
    portal: String,
    username: String,
    roles: String,
    decision: String,
    removed: String,
    comment: String,
    decided: String,
    outcome: String,
    task: String,
    done: String,
    verified: String,
    waiting: Option<i64>,
}

/// `GET /console/reviews/{id}/report`: the auditor's report as a page to print.
#[get("/reviews/{id}/report")]
pub async fn report_page(me: SignedIn, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let id = review_id(&id)?;
    let store = me.store();
    let campaign = store.campaign(id).await?;
    let (report, frozen) = reviews::stored_or_live_report(&store, id, me.now()).await?;
    let tz = me.session.practice.time_zone.tz();
    let now = me.now();
    let admins: std::collections::HashMap<Uuid, String> = store
        .list_admins()
        .await?
        .into_iter()
        .map(|a| (a.admin.id, a.admin.name))
        .collect();
    let mut reviewers: Vec<String> = report
        .lines
        .iter()
        .filter_map(|l| l.reviewer_id.and_then(|r| admins.get(&r).cloned()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if report.lines.iter().any(|l| l.reviewer_id.is_none()) {
        reviewers.push("(some accounts had no reviewer)".to_owned());
    }
    let who_when = |who: &Option<String>, at: Option<chrono::DateTime<chrono::Utc>>| match (who, at)
    {
        (Some(who), Some(at)) => {
            format!("{} · {}", super::view::who(who), When::at(at, now, tz).text)
        }
        _ => String::new(),
    };
    let lines = report
        .lines
        .iter()
        .map(|l| ReportRow {
            person: format!("{} ({})", l.person, l.user_name),
            portal: l.portal.clone(),
            username: l.username.clone().unwrap_or_default(),
            roles: l.roles.join(", "),
            decision: l.decision.clone().unwrap_or_else(|| "none".to_owned()),
            removed: l.removed_roles.join(", "),
            comment: l.comment.clone().unwrap_or_default(),
            decided: who_when(&l.decided_by, l.decided_at),
            outcome: l.outcome.clone().unwrap_or_default(),
            task: l
                .task_id
                .map(|t| format!("{} ({})", t, l.task_state.clone().unwrap_or_default()))
                .unwrap_or_default(),
            done: who_when(&l.done_by, l.done_at),
            verified: who_when(&l.verified_by, l.verified_at),
            waiting: l.not_yet_removed_days,
        })
        .collect();
    let scope = if campaign.scope.portals.is_empty() && campaign.scope.sensitivities.is_empty() {
        "every portal account".to_owned()
    } else {
        let mut parts = Vec::new();
        if !campaign.scope.portals.is_empty() {
            parts.push(format!("portals {}", campaign.scope.portals.join(", ")));
        }
        if !campaign.scope.sensitivities.is_empty() {
            let names: Vec<String> = campaign
                .scope
                .sensitivities
                .iter()
                .map(|s| {
                    serde_json::to_value(s)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect();
            parts.push(format!("roles of kind {}", names.join(", ")));
        }
        parts.join("; ")
    };
    render(&ReportPage {
        frame: Frame::load(&me, format!("Report: {}", campaign.name), "Reviews").await?,
        id: id.to_string(),
        name: campaign.name.clone(),
        scope,
        snapshot: When::at(campaign.created_at, now, tz),
        deadline: When::at(campaign.deadline, now, tz),
        closed: campaign.closed_at.map(|at| When::at(at, now, tz)),
        completed: campaign.completed_at.map(|at| When::at(at, now, tz)),
        sha256: frozen.map(|(_, sha)| sha),
        reviewers,
        counts: report.counts.clone().into_iter().collect(),
        exceptions: report.exceptions,
        complete: report.complete,
        lines,
    })
}

/// `GET /console/reviews/{id}/report.csv`: the same report for a spreadsheet.
#[get("/reviews/{id}/report.csv")]
pub async fn report_csv(me: SignedIn, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let id = review_id(&id)?;
    let (report, _) = reviews::stored_or_live_report(&me.store(), id, me.now()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"review-{id}.csv\""),
        ))
        .body(report.csv()))
}

fn decider(me: &SignedIn) -> Decider {
    Decider {
        admin_id: me.session.admin.id,
        oversees: matches!(me.session.role, AdminRole::PortalAdmin | AdminRole::Manager),
    }
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    comment: String,
}

/// `POST /console/reviews/{id}/items/{item}`: "Keep", "Revoke" or "Reduce" (ticked roles).
#[post("/reviews/{id}/items/{item}")]
pub async fn decide(
    act: Act<DecisionForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let (id, item) = path.into_inner();
    let review = review_id(&id)?;
    let item = Uuid::try_parse(&item).map_err(|_| WireError::not_found("review item not found"))?;
    let store = me.store();
    if store.review_item(item).await?.campaign_id != review {
        return Err(WireError::not_found("review item not found"));
    }
    let decision = Decision::parse(&act.form.decision)
        .ok_or_else(|| WireError::bad_request("the form says neither Keep, Revoke nor Reduce"))?;
    let remove: Vec<String> = act
        .fields
        .iter()
        .filter(|(k, _)| k == "remove")
        .map(|(_, v)| v.clone())
        .collect();
    let comment = Some(act.form.comment.trim().to_owned()).filter(|c| !c.is_empty());
    let request = DecisionRequest {
        item,
        decision,
        remove,
        comment,
    };
    let said = match reviews::decide(&store, &[request], decider(me), false, &me.actor()).await {
        Ok(_) => match decision {
            Decision::Keep => "Kept.".to_owned(),
            Decision::Revoke => "Revoked: the removal task is in the queue.".to_owned(),
            Decision::Reduce => {
                "Reduced: the task to remove those roles is in the queue.".to_owned()
            }
        },
        Err(StoreError::Refused(why)) => format!("Not recorded: {why}."),
        Err(other) => return Err(other.into()),
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/reviews/{review}#item-{item}"),
        &said,
    )))
}

#[derive(Debug, Deserialize)]
pub struct KeepForm {
    #[serde(default)]
    comment: String,
}

/// `POST /console/reviews/{id}/keep`: keep the ticked items, with one comment for all.
#[post("/reviews/{id}/keep")]
pub async fn keep_many(
    act: Act<KeepForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let review = review_id(&id)?;
    let store = me.store();
    let mut requests = Vec::new();
    for (_, value) in act.fields.iter().filter(|(k, _)| k == "item") {
        let item = Uuid::try_parse(value).map_err(|_| WireError::bad_request("an unknown item"))?;
        if store.review_item(item).await?.campaign_id != review {
            return Err(WireError::not_found("review item not found"));
        }
        requests.push(DecisionRequest {
            item,
            decision: Decision::Keep,
            remove: Vec::new(),
            comment: Some(act.form.comment.trim().to_owned()).filter(|c| !c.is_empty()),
        });
    }
    let said = if requests.is_empty() {
        "Tick at least one account first.".to_owned()
    } else {
        match reviews::decide(&store, &requests, decider(me), true, &me.actor()).await {
            Ok(done) => format!("Kept {} accounts.", done.len()),
            Err(StoreError::Refused(why)) => format!("Nothing recorded: {why}."),
            Err(other) => return Err(other.into()),
        }
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/reviews/{review}"),
        &said,
    )))
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /console/reviews/{id}/close`: decisions become final; undecided items follow the
/// campaign's rule.
#[post("/reviews/{id}/close")]
pub async fn close(act: Act<NoFields>, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let review = review_id(&id)?;
    let said = match reviews::close(&me.store(), review, &me.actor()).await {
        Ok(()) => "Review closed: decisions are final.".to_owned(),
        Err(StoreError::Refused(why)) => format!("Not closed: {why}."),
        Err(other) => return Err(other.into()),
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/reviews/{review}"),
        &said,
    )))
}
