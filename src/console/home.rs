//! `GET /console`: what is late, what is due today, who left this week, open work per portal,
//! and the audit chain's head.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get};
use askama::Template;
use chrono::{Datelike, Days};

use super::chart::{Bar, bars};
use super::render;
use super::reports::{Shown, hours_text, shown};
use super::session::SignedIn;
use super::view::{Frame, When};
use crate::domain::duty::DutyState;
use crate::domain::review::CampaignState;
use crate::domain::task::TaskState;
use crate::engine::reports::{leaver_lines, removal_stats};
use crate::http::errors::WireError;
use crate::http::instant::{day_start, report_period};
use crate::store::tasks::{OpenWork, TaskFilter};

pub(super) struct PortalLoad {
    pub slug: String,
    pub name: String,
    pub open: u64,
    pub overdue: u64,
}

#[derive(Template)]
#[template(path = "home.html", config = "src/console/askama.toml")]
struct Home {
    frame: Frame,
    overdue: u64,
    due_today: u64,
    leavers_this_week: usize,
    mine: u64,
    by_portal: Vec<PortalLoad>,
    chain_head: Option<(i64, String)>,
    removals: Shown,
    removal_chart: String,
    work_chart: String,
    /// Open access reviews: name, progress, deadline, and how many are mine to decide.
    open_reviews: Vec<OpenReview>,
    /// The next review the schedule opens, and its deadline.
    next_review: Option<(String, When, When)>,
    /// Portal duties due in the next 60 days (or overdue): portal slug and name, duty, due.
    duties: Vec<DutyDue>,
    /// Shared or generic portal logins still to replace (found by user-list imports).
    shared_logins: u64,
}

struct DutyDue {
    portal: String,
    portal_name: String,
    name: String,
    due: When,
    open: bool,
}

struct OpenReview {
    id: String,
    name: String,
    decided: u64,
    items: u64,
    deadline: When,
    mine: u64,
}

/// Open and overdue work per portal, busiest first, from one pass over the open work.
pub(super) async fn portal_load(
    me: &SignedIn,
    work: &[OpenWork],
) -> Result<Vec<PortalLoad>, WireError> {
    let portals = me.store().practice_portals().await?;
    let mut load: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for w in work {
        let entry = load
            .entry(w.portal.clone().unwrap_or_default())
            .or_default();
        entry.0 += w.count;
        entry.1 += w.overdue;
    }
    let mut rows: Vec<PortalLoad> = load
        .into_iter()
        .map(|(slug, (open, overdue))| PortalLoad {
            name: portals
                .get(&slug)
                .map(|p| p.portal.name.clone())
                .unwrap_or_else(|| {
                    if slug.is_empty() {
                        "Outside portals".into()
                    } else {
                        slug.clone()
                    }
                }),
            slug,
            open,
            overdue,
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse((r.overdue, r.open)));
    Ok(rows)
}

#[get("")]
pub async fn home(me: SignedIn) -> Result<HttpResponse, WireError> {
    let store = me.store();
    let now = me.now();
    let tz = me.session.practice.time_zone.tz();
    let today = now.with_timezone(&tz).date_naive();
    let end_of_today = day_start(today + Days::new(1), tz);
    let week_start = day_start(
        today - Days::new(u64::from(today.weekday().num_days_from_monday())),
        tz,
    );
    let work = store.open_work(now).await?;
    let overdue: u64 = work.iter().map(|w| w.overdue).sum();
    let due_by_tonight = store
        .count_tasks(&TaskFilter {
            states: TaskState::OPEN.to_vec(),
            overdue_at: Some(end_of_today),
            ..Default::default()
        })
        .await?;
    let due_today = due_by_tonight.saturating_sub(overdue);
    let mut leavers: Vec<_> = store
        .leaver_rows(week_start, end_of_today)
        .await?
        .into_iter()
        .map(|r| r.person_id)
        .collect();
    leavers.sort_unstable();
    leavers.dedup();
    let mine: u64 = work
        .iter()
        .filter(|w| w.assignee.as_deref() == Some(me.session.admin.email.as_str()))
        .map(|w| w.count)
        .sum();
    // How fast leavers lost access over the last 90 days (the leaver report's default).
    let (from, to) = report_period(None, None, tz, now)?;
    let stats = removal_stats(&leaver_lines(&store, from, to, now).await?, tz);
    let removal_chart = bars(
        "Median time to remove a leaver's access, per month",
        &stats
            .median_hours_by_month
            .iter()
            .map(|(month, hours)| Bar {
                label: month.clone(),
                value: *hours,
                shown: hours_text(*hours),
            })
            .collect::<Vec<_>>(),
    );
    let by_portal = portal_load(&me, &work).await?;
    let work_chart = bars(
        "Open work per portal",
        &by_portal
            .iter()
            .map(|p| Bar {
                label: p.name.clone(),
                value: p.open as f64,
                shown: if p.overdue > 0 {
                    format!("{} open, {} overdue", p.open, p.overdue)
                } else {
                    format!("{} open", p.open)
                },
            })
            .collect::<Vec<_>>(),
    );
    let mine_to_review = store.undecided_for(me.session.admin.id).await?;
    let open_reviews = store
        .campaigns()
        .await?
        .into_iter()
        .filter(|c| c.state == CampaignState::Open.as_str())
        .map(|c| OpenReview {
            id: c.id.to_string(),
            deadline: When::due(c.deadline, now, tz, true),
            mine: mine_to_review.get(&c.id).copied().unwrap_or(0),
            name: c.name,
            decided: c.decided,
            items: c.items,
        })
        .collect();
    let next_review = me.session.practice.review_schedule.next(now, tz).map(|p| {
        (
            p.key,
            When::at(p.starts_at, now, tz),
            When::at(p.deadline, now, tz),
        )
    });
    let duties = store
        .duties(None, now)
        .await?
        .into_iter()
        .filter(|d| d.due_at <= now + chrono::Duration::days(60))
        .map(|d| DutyDue {
            due: When::due(d.due_at, now, tz, true),
            open: d.state != DutyState::Ok,
            portal: d.portal,
            portal_name: d.portal_name,
            name: d.name,
        })
        .collect();
    render(&Home {
        shared_logins: store.shared_logins_open().await?,
        duties,
        open_reviews,
        next_review,
        removals: shown(&stats),
        removal_chart,
        work_chart,
        frame: Frame::load(&me, "Home", "Home").await?,
        overdue,
        due_today,
        leavers_this_week: leavers.len(),
        mine,
        by_portal,
        chain_head: store
            .audit_head()
            .await?
            .map(|(seq, hash)| (seq, hex::encode(hash))),
    })
}
