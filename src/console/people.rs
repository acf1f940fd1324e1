//! People: a search by name, e-mail or user name; a person's page with desired against actual
//! access per portal, their open and past tasks, and the lifecycle events that caused them.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::session::{Act, SignedIn};
use super::view::{Frame, TaskRow, When, notice_link, shown_notice};
use super::{render, see_other};
use crate::domain::lifecycle::Account;
use crate::domain::training::TrainingState;
use crate::engine::access::person_access;
use crate::engine::accounts::record_account;
use crate::http::errors::WireError;
use crate::store::StoreError;
use crate::store::people::PersonSummary;
use crate::store::tasks::TaskFilter;
use crate::store::training::TrainingSource;

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "people.html", config = "src/console/askama.toml")]
struct People {
    frame: Frame,
    q: String,
    people: Vec<PersonSummary>,
    roster: super::rosters::RosterSection,
}

#[get("/people")]
pub async fn list(me: SignedIn, query: web::Query<SearchQuery>) -> Result<HttpResponse, WireError> {
    let q = query.q.clone().unwrap_or_default();
    let people = me.store().people(q.trim(), 200).await?;
    render(&People {
        frame: Frame::load(&me, "People", "People").await?,
        q,
        people,
        roster: super::rosters::roster_section(&me).await?,
    })
}

pub(super) struct AccessRow {
    portal: String,
    desired: String,
    actual: String,
    username: String,
    in_step: bool,
}

pub(super) struct EventRow {
    kind: String,
    at: When,
}

#[derive(Template)]
#[template(path = "person.html", config = "src/console/askama.toml")]
struct Person {
    frame: Frame,
    person: PersonSummary,
    access: Vec<AccessRow>,
    open: Vec<(TaskRow, String)>,
    past: Vec<(TaskRow, String)>,
    events: Vec<EventRow>,
    /// The practice's portals and their roles, for "Record an account": (slug, name, roles).
    portals: Vec<(String, String, String)>,
    training: Vec<TrainingRow>,
    /// Today's date in the practice's time zone, the "completed on" default.
    today: String,
    notice: Option<String>,
}

/// A person's training for one portal, as their page shows it.
struct TrainingRow {
    portal: String,
    required: bool,
    completed: String,
    lapses: String,
    state: &'static str,
    alarming: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct PersonQuery {
    notice: Option<String>,
    /// Vouches that this console put `notice` in the URL.
    ns: Option<String>,
}

#[get("/people/{id}")]
pub async fn page(
    me: SignedIn,
    id: web::Path<String>,
    query: web::Query<PersonQuery>,
) -> Result<HttpResponse, WireError> {
    let id = Uuid::try_parse(&id).map_err(|_| WireError::not_found("person not found"))?;
    let store = me.store();
    let now = me.now();
    let tz = me.session.practice.time_zone.tz();
    let person = store.person(id).await?;
    let access = person_access(&store, id)
        .await
        .or_else(|e| match e {
            // Deleted in the identity provider: no policy applies, nothing to compare.
            crate::store::StoreError::NotFound(_) => Ok(Vec::new()),
            other => Err(other),
        })?
        .into_iter()
        .map(|a| AccessRow {
            desired: if a.desired.is_empty() {
                "nothing".to_owned()
            } else {
                a.desired.keys().cloned().collect::<Vec<_>>().join(", ")
            },
            actual: if a.actual.is_empty() {
                "no account".to_owned()
            } else {
                a.actual.join(", ")
            },
            portal: a.portal_name,
            username: a.username.unwrap_or_default(),
            in_step: a.in_step,
        })
        .collect();
    let events = store.events_of(id).await?;
    let cause: HashMap<Uuid, String> = events
        .iter()
        .map(|e| {
            (
                e.id,
                format!("{} · {}", e.kind, When::at(e.at, now, tz).text),
            )
        })
        .collect();
    let portals = store.practice_portals().await?;
    let tasks = store
        .tasks(&TaskFilter {
            person: Some(id),
            limit: 500,
            ..Default::default()
        })
        .await?;
    let (mut open, mut past) = (Vec::new(), Vec::new());
    for t in &tasks {
        let why = cause
            .get(&t.event_id)
            .cloned()
            .unwrap_or_else(|| t.cause.to_string());
        let row = (TaskRow::new(t, &portals, now, tz), why);
        if t.state.is_open() {
            open.push(row);
        } else {
            past.push(row);
        }
    }
    past.reverse();
    let portal_choices = portals
        .values()
        .map(|p| {
            (
                p.portal.slug.clone(),
                p.portal.name.clone(),
                p.portal
                    .roles
                    .iter()
                    .map(|r| format!("{} ({})", r.slug, r.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
        .collect();
    let training = store
        .training_of(id, now)
        .await?
        .into_iter()
        .map(|t| TrainingRow {
            completed: match (&t.completed_at, &t.source, &t.recorded_by) {
                (Some(at), Some(source), Some(by)) => format!(
                    "{} ({source}, recorded by {})",
                    When::at(*at, now, tz).text,
                    super::view::who(by)
                ),
                _ => "not recorded".to_owned(),
            },
            lapses: t
                .expires_at
                .map_or_else(|| "—".to_owned(), |at| When::at(at, now, tz).text),
            state: match t.state {
                TrainingState::Current => "current",
                TrainingState::Expiring => "lapses soon",
                TrainingState::Expired => "lapsed",
                TrainingState::Missing => "missing",
            },
            alarming: t.required && !matches!(t.state, TrainingState::Current),
            required: t.required,
            portal: t.portal_name,
        })
        .collect();
    render(&Person {
        training,
        today: now.with_timezone(&tz).date_naive().to_string(),
        portals: portal_choices,
        notice: shown_notice(&me, &query.notice, &query.ns),
        frame: Frame::load(&me, person.display.clone(), "People").await?,
        person,
        access,
        open,
        past,
        events: events
            .into_iter()
            .map(|e| EventRow {
                kind: e.kind,
                at: When::at(e.at, now, tz),
            })
            .collect(),
    })
}

#[derive(Debug, Deserialize)]
pub struct AccountForm {
    portal: String,
    username: Option<String>,
    /// Role slugs, separated by commas or spaces.
    roles: Option<String>,
    other_affiliations: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TrainingForm {
    portal: String,
    completed_on: String,
}

/// `POST /console/people/{id}/training`: record the person's training for a portal on a
/// date; provision tasks waiting for it can be done from then on.
#[post("/people/{id}/training")]
pub async fn record_training(
    act: Act<TrainingForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let person = Uuid::try_parse(&id).map_err(|_| WireError::not_found("person not found"))?;
    let me = &act.me;
    let tz = me.session.practice.time_zone.tz();
    let said = match chrono::NaiveDate::parse_from_str(act.form.completed_on.trim(), "%Y-%m-%d") {
        Err(_) => "Not recorded: write the date like 2027-01-04.".to_owned(),
        Ok(day) => {
            let at = crate::http::instant::day_start(day, tz).min(me.now());
            match me
                .store()
                .record_training(
                    person,
                    act.form.portal.trim(),
                    at,
                    TrainingSource::Console,
                    &me.actor(),
                )
                .await
            {
                Ok(t) => match t.expires_at {
                    Some(lapses) => format!(
                        "Training for {} recorded; it lapses {}.",
                        t.portal_name,
                        When::at(lapses, me.now(), tz).text
                    ),
                    None => format!("Training for {} recorded.", t.portal_name),
                },
                Err(StoreError::Refused(why)) => format!("Not recorded: {why}."),
                Err(StoreError::NotFound(what)) => format!("Not recorded: {what} not found."),
                Err(other) => return Err(other.into()),
            }
        }
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/people/{person}#training"),
        &said,
    )))
}

/// `POST /console/people/{id}/accounts`: record an account the person already holds; a task
/// to fix it follows at once if policy does not grant it (the engine's, as through the API).
#[post("/people/{id}/accounts")]
pub async fn record(
    act: Act<AccountForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let person = Uuid::try_parse(&id).map_err(|_| WireError::not_found("person not found"))?;
    let form = &act.form;
    let store = act.me.store();
    store.person(person).await?;
    let roles = form
        .roles
        .as_deref()
        .unwrap_or("")
        .split([',', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    record_account(
        &store,
        person,
        Account {
            portal: form.portal.trim().to_owned(),
            username: form
                .username
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
            roles,
            other_affiliations: form.other_affiliations.is_some(),
        },
        &act.me.actor(),
    )
    .await?;
    Ok(see_other(&notice_link(
        &act.me,
        &format!("/console/people/{person}"),
        "Account recorded.",
    )))
}
