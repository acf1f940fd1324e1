//! The queue: "My work", "Unassigned" and "All", overdue first then by due date, with filters;
//! claiming or reassigning several at once (never completing); and work by portal, so the
//! administrator signs in to a portal once and clears everything there.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::home::{PortalLoad, portal_load};
use super::session::{Act, SignedIn};
use super::view::{Frame, TaskRow, notice_link, shown_notice, urlencode};
use super::{render, see_other};
use crate::domain::admin::AdminRole;
use crate::domain::task::{TaskKind, TaskState};
use crate::engine::tasks::{TaskAction, act_on_task};
use crate::http::errors::WireError;
use crate::store::tasks::{Assigned, TaskFilter};

/// Rows per page.
const PAGE: u64 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    view: Option<String>,
    portal: Option<String>,
    kind: Option<String>,
    state: Option<String>,
    person: Option<String>,
    overdue: Option<String>,
    /// `due_at` micros and id of the last row of the previous page.
    after: Option<String>,
    notice: Option<String>,
    /// Vouches that this console put `notice` in the URL.
    ns: Option<String>,
}

pub(super) struct Tab {
    label: &'static str,
    href: String,
    count: u64,
    current: bool,
}

pub(super) struct PortalOption {
    slug: String,
    name: String,
    selected: bool,
}

pub(super) struct PortalBanner {
    name: String,
    url: String,
}

#[derive(Template)]
#[template(path = "queue.html", config = "src/console/askama.toml")]
struct QueuePage {
    frame: Frame,
    view: String,
    tabs: Vec<Tab>,
    portals: Vec<PortalOption>,
    kinds: Vec<(String, bool)>,
    states: Vec<(String, bool)>,
    person: String,
    rows: Vec<TaskRow>,
    empty: &'static str,
    next_page: Option<String>,
    portal: Option<PortalBanner>,
    by_portal: Vec<PortalLoad>,
    assignees: Vec<(String, String)>,
    notice: Option<String>,
}

/// The practice's active portal administrators, as (e-mail, "Name <e-mail>") for a select.
pub(super) async fn assignees(me: &SignedIn) -> Result<Vec<(String, String)>, WireError> {
    Ok(me
        .store()
        .list_admins()
        .await?
        .into_iter()
        .filter(|a| a.admin.active && a.removed_at.is_none() && a.role == AdminRole::PortalAdmin)
        .map(|a| {
            (
                a.admin.email.clone(),
                format!("{} <{}>", a.admin.name, a.admin.email),
            )
        })
        .collect())
}

fn parse_after(text: &str) -> Option<(chrono::DateTime<chrono::Utc>, Uuid)> {
    let (micros, id) = text.split_once('.')?;
    Some((
        chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        Uuid::try_parse(id).ok()?,
    ))
}

#[get("/queue")]
pub async fn queue(me: SignedIn, query: web::Query<QueueQuery>) -> Result<HttpResponse, WireError> {
    let store = me.store();
    let now = me.now();
    let tz = me.session.practice.time_zone.tz();
    let view = match query.view.as_deref() {
        Some("unassigned") => "unassigned",
        Some("all") => "all",
        _ => "mine",
    };
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let portal = nonempty(&query.portal);
    let kind = nonempty(&query.kind).and_then(|k| TaskKind::parse(&k));
    let state = nonempty(&query.state).and_then(|s| TaskState::parse(&s));
    let person = nonempty(&query.person);
    let people = match &person {
        Some(text) => Some(store.people_matching(text, 500).await?),
        None => None,
    };
    let mine = Assigned::To(me.session.admin.email.clone());
    let filter_for = |assignee: Option<Assigned>| TaskFilter {
        states: state.map_or_else(|| TaskState::OPEN.to_vec(), |s| vec![s]),
        kinds: kind.into_iter().collect(),
        portal: portal.clone(),
        people: people.clone(),
        overdue_at: query.overdue.is_some().then_some(now),
        assignee,
        limit: PAGE,
        ..Default::default()
    };
    let views = [
        ("My work", "mine", Some(mine.clone())),
        ("Unassigned", "unassigned", Some(Assigned::Nobody)),
        ("All", "all", None),
    ];
    let keep = |v: &str| {
        let mut href = format!("/console/queue?view={v}");
        for (name, value) in [("portal", &portal), ("person", &person)] {
            if let Some(value) = value {
                href.push_str(&format!("&{name}={}", urlencode(value)));
            }
        }
        href
    };
    // Unfiltered, one pass over the open work counts every tab and portal; a filter needs a
    // count of its own per tab.
    let work = store.open_work(now).await?;
    let unfiltered = portal.is_none()
        && kind.is_none()
        && state.is_none()
        && people.is_none()
        && query.overdue.is_none();
    let mut tabs = Vec::new();
    for (label, key, assignee) in &views {
        let count = if unfiltered {
            work.iter()
                .filter(|w| match assignee {
                    Some(Assigned::To(email)) => w.assignee.as_deref() == Some(email.as_str()),
                    Some(Assigned::Nobody) => w.assignee.is_none(),
                    None => true,
                })
                .map(|w| w.count)
                .sum()
        } else {
            store.count_tasks(&filter_for(assignee.clone())).await?
        };
        tabs.push(Tab {
            label,
            href: keep(key),
            count,
            current: *key == view,
        });
    }
    let assignee = views.iter().find(|v| v.1 == view).and_then(|v| v.2.clone());
    let mut filter = filter_for(assignee);
    filter.after = query.after.as_deref().and_then(parse_after);
    let records = store.tasks(&filter).await?;
    let portals = store.practice_portals().await?;
    let next_page = (records.len() as u64 == PAGE)
        .then(|| records.last())
        .flatten()
        .map(|t| {
            format!(
                "{}&after={}.{}",
                keep(view),
                t.due_at.timestamp_micros(),
                t.id
            )
        });
    let rows = records
        .iter()
        .map(|t| TaskRow::new(t, &portals, now, tz))
        .collect();
    let banner = portal
        .as_ref()
        .and_then(|slug| portals.get(slug))
        .map(|p| PortalBanner {
            name: p.portal.name.clone(),
            url: p.portal.url.clone(),
        });
    let empty = match view {
        "mine" => "Nothing is assigned to you. Claim work from \"Unassigned\" or \"All\".",
        "unassigned" => "Every open task has someone on it.",
        _ => {
            "Nothing is open. New work appears here when your identity provider reports a joiner, a mover or a leaver."
        }
    };
    let title = banner
        .as_ref()
        .map_or_else(|| "Queue".to_owned(), |b| format!("Work in {}", b.name));
    render(&QueuePage {
        frame: Frame::load(&me, title, "Queue").await?,
        view: view.to_owned(),
        tabs,
        portals: portals
            .values()
            .map(|p| PortalOption {
                slug: p.portal.slug.clone(),
                name: p.portal.name.clone(),
                selected: portal.as_deref() == Some(p.portal.slug.as_str()),
            })
            .collect(),
        kinds: TaskKind::ALL
            .iter()
            .map(|k| (k.to_string(), Some(*k) == kind))
            .collect(),
        states: TaskState::ALL
            .iter()
            .map(|s| (s.to_string(), Some(*s) == state))
            .collect(),
        person: person.unwrap_or_default(),
        rows,
        empty,
        next_page,
        portal: banner,
        by_portal: portal_load(&me, &work)
            .await?
            .into_iter()
            .filter(|p| !p.slug.is_empty())
            .collect(),
        assignees: assignees(&me).await?,
        notice: shown_notice(&me, &query.notice, &query.ns),
    })
}

#[derive(Debug, Deserialize)]
pub struct BulkForm {
    assignee: Option<String>,
    comment: Option<String>,
}

/// The ids of the boxes ticked (`task` fields), at most 200.
fn ticked(fields: &[(String, String)]) -> Result<Vec<Uuid>, WireError> {
    let ids: Vec<Uuid> = fields
        .iter()
        .filter(|(k, _)| k == "task")
        .filter_map(|(_, v)| Uuid::try_parse(v).ok())
        .collect();
    if ids.is_empty() {
        return Err(WireError::bad_request("tick at least one task first"));
    }
    if ids.len() > 200 {
        return Err(WireError::bad_request("at most 200 tasks at once"));
    }
    Ok(ids)
}

/// Runs `action` on each ticked task; says how many it changed and why the others not.
async fn bulk(
    act: &Act<BulkForm>,
    action: TaskAction,
    verb: &str,
) -> Result<HttpResponse, WireError> {
    let ids = ticked(&act.fields)?;
    let store = act.me.store();
    let (mut done, mut refused) = (0, Vec::new());
    for id in &ids {
        match act_on_task(&store, *id, action.clone(), None, &act.me.actor()).await {
            Ok(_) => done += 1,
            Err(err) => refused.push(WireError::from(err).detail),
        }
    }
    let mut notice = format!("{verb} {done} of {} tasks.", ids.len());
    if let Some(first) = refused.first() {
        notice.push_str(&format!(" Not changed: {} ({first}).", refused.len()));
    }
    Ok(see_other(&notice_link(
        &act.me,
        "/console/queue?view=all",
        &notice,
    )))
}

/// `POST /console/queue/claim`: claim the ticked tasks.
#[post("/queue/claim")]
pub async fn bulk_claim(act: Act<BulkForm>) -> Result<HttpResponse, WireError> {
    bulk(&act, TaskAction::Claim, "Claimed").await
}

/// `POST /console/queue/reassign`: reassign the ticked tasks, with a comment.
#[post("/queue/reassign")]
pub async fn bulk_reassign(act: Act<BulkForm>) -> Result<HttpResponse, WireError> {
    let assignee = act
        .form
        .assignee
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| WireError::bad_request("choose whom to reassign the tasks to"))?
        .to_owned();
    let comment = act
        .form
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.chars().take(500).collect());
    let action = TaskAction::Reassign { assignee, comment };
    bulk(&act, action, "Reassigned").await
}
