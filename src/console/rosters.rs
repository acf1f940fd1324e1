//! HR rosters in the console: the People page's upload form and recent rosters, the preview
//! page (who joins, changes and leaves), and the commit. The same engine as
//! `/api/v1/roster/imports` and `portcullis roster import`.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::session::{Act, SignedIn};
use super::view::{Frame, NoticeQuery, When, notice_link, who};
use super::{render, see_other};
use crate::domain::roster::RosterLine;
use crate::engine::rosters;
use crate::http::errors::WireError;
use crate::store::StoreError;

/// A roster import in the People page's list.
pub(super) struct RosterLineShown {
    pub id: Uuid,
    pub file_name: String,
    pub when: When,
    pub by: String,
    pub committed: bool,
    pub changes: usize,
}

/// The People page's roster section: whether a roster keeps the directory, recent imports.
pub(super) struct RosterSection {
    pub roster_managed: bool,
    pub recent: Vec<RosterLineShown>,
}

pub(super) async fn roster_section(me: &SignedIn) -> Result<RosterSection, WireError> {
    let store = me.store();
    let (roster_managed, _) = store.roster_settings().await?;
    let (now, tz) = (me.now(), me.session.practice.time_zone.tz());
    let recent = store
        .roster_imports(5)
        .await?
        .into_iter()
        .map(|r| RosterLineShown {
            id: r.id,
            when: When::at(r.committed_at.unwrap_or(r.previewed_at), now, tz),
            by: who(r.committed_by.as_deref().unwrap_or(&r.previewed_by)),
            committed: r.committed,
            changes: r.plan.joiners.len()
                + r.plan.movers.len()
                + r.plan.leavers.len()
                + r.plan.missing.len(),
            file_name: r.file_name,
        })
        .collect();
    Ok(RosterSection {
        roster_managed,
        recent,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

/// `POST /console/roster/imports`: preview an uploaded roster.
#[post("/roster/imports")]
pub async fn upload(act: Act<NoFields>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let Some(file) = act.files.first() else {
        return Ok(see_other(&notice_link(
            me,
            "/console/people#roster",
            "Not imported: choose the roster (a CSV file) first.",
        )));
    };
    let name = crate::domain::task::evidence_filename(Some(&file.filename));
    match rosters::preview(&me.store(), &name, &file.bytes, None, &me.actor()).await {
        Ok(record) => Ok(see_other(&format!("/console/roster/{}", record.id))),
        Err(StoreError::BadFile(why)) => Ok(see_other(&notice_link(
            me,
            "/console/people#roster",
            &format!("Not imported: {why}. Nothing was changed."),
        ))),
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "roster.html", config = "src/console/askama.toml")]
struct RosterPage {
    frame: Frame,
    id: Uuid,
    file_name: String,
    sha256: String,
    previewed: String,
    committed: Option<String>,
    listed: usize,
    unchanged: usize,
    groups: Vec<(&'static str, Vec<RosterLine>)>,
    missing: usize,
    active_before: usize,
    needs_confirmation: bool,
    notice: Option<String>,
}

fn import_id(raw: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(raw).map_err(|_| WireError::not_found("no such roster import"))
}

/// `GET /console/roster/{id}`: what a roster changes, and the commit.
#[get("/roster/{id}")]
pub async fn page(
    me: SignedIn,
    id: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WireError> {
    let record = me.store().roster_import(import_id(&id)?).await?;
    let (now, tz) = (me.now(), me.session.practice.time_zone.tz());
    let plan = &record.plan;
    let shown = RosterPage {
        frame: Frame::load(&me, "HR roster", "People").await?,
        id: record.id,
        previewed: format!(
            "{} by {}",
            When::at(record.previewed_at, now, tz).text,
            who(&record.previewed_by)
        ),
        committed: record.committed_at.map(|at| {
            format!(
                "{} by {}",
                When::at(at, now, tz).text,
                who(record.committed_by.as_deref().unwrap_or(""))
            )
        }),
        listed: record.people.len(),
        unchanged: plan.unchanged,
        groups: vec![
            ("Joining", plan.joiners.clone()),
            ("Changing", plan.movers.clone()),
            ("Leaving (terminated)", plan.leavers.clone()),
            ("Leaving (no longer on the roster)", plan.missing.clone()),
        ],
        missing: plan.missing.len(),
        active_before: plan.active_before,
        needs_confirmation: plan.needs_confirmation(me.state.import_shrink_share)
            && !record.committed,
        file_name: record.file_name,
        sha256: record.sha256,
        notice: query.shown(&me),
    };
    render(&shown)
}

#[derive(Debug, Default, Deserialize)]
pub struct CommitForm {
    #[serde(default)]
    confirm_missing: String,
}

/// `POST /console/roster/{id}/commit`.
#[post("/roster/{id}/commit")]
pub async fn commit(
    act: Act<CommitForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let id = import_id(&id)?;
    let confirm = act.form.confirm_missing.trim().parse::<usize>().ok();
    let share = me.state.import_shrink_share;
    let said = match rosters::commit(&me.store(), id, confirm, share, &me.actor()).await {
        Ok(done) if done.replayed => {
            return Ok(see_other(&notice_link(
                me,
                &format!("/console/roster/{}", done.import.id),
                "This roster was committed before: nothing changed. This is that import.",
            )));
        }
        Ok(_) => "Committed: the directory now matches the roster, and the tasks it calls for are in the queue.".to_owned(),
        Err(
            e @ (StoreError::ShrinkGuard { .. }
            | StoreError::PreviewOutdated
            | StoreError::DirectorySource(_)),
        ) => format!("Not committed: {e}."),
        Err(other) => return Err(other.into()),
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/roster/{id}"),
        &said,
    )))
}
