//! A task's page: the action in words, a link that opens the portal, the person's facts with
//! copy buttons, what the role may do now, the evidence, and the timeline from the audit
//! trail. Every button posts to `act`, which calls the engine as the API does.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::queue::assignees;
use super::session::{Act, SignedIn};
use super::view::{Frame, TaskRow, When, notice_link, shown_notice, who};
use super::{render, see_other};
use crate::domain::actor::Actor;
use crate::domain::task::{
    ActionName, Evidence, TaskState, evidence_file_type, evidence_filename, transition,
};
use crate::engine::tasks::{TaskAction, act_on_task};
use crate::http::errors::WireError;
use crate::store::audit::AuditFilter;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

pub(super) struct FileRow {
    id: String,
    filename: String,
    size: u64,
    sha256: String,
    uploaded_by: String,
    uploaded_at: When,
}

pub(super) struct Moment {
    at: When,
    what: String,
    who: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "task.html", config = "src/console/askama.toml")]
struct TaskPage {
    frame: Frame,
    task: TaskRow,
    person_id: String,
    notice: Option<String>,
    person_user_name: String,
    person_title: Option<String>,
    person_department: Option<String>,
    portal_username: Option<String>,
    roles_add: String,
    roles_remove: String,
    cause: String,
    reminders_sent: i32,
    /// Who claimed, completed, verified, and why it failed or was cancelled.
    record: Vec<(String, String)>,
    blocked_by: Option<String>,
    /// Waits for the person's training for the portal.
    waiting_for_training: bool,
    files: Vec<FileRow>,
    can_claim: bool,
    can_release: bool,
    can_complete: bool,
    can_fail: bool,
    can_verify: bool,
    verify_refused: bool,
    can_reopen: bool,
    can_reassign: bool,
    can_cancel: bool,
    assignees: Vec<(String, String)>,
    timeline: Vec<Moment>,
}

fn task_id(text: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(text).map_err(|_| WireError::not_found("task not found"))
}

/// How an audit action reads on the timeline.
fn moment_words(action: &str) -> String {
    match action {
        "task.created" => "Created",
        "task.claim" => "Claimed",
        "task.unclaim" => "Released",
        "task.complete" => "Marked done",
        "task.verify" => "Verified",
        "task.fail" => "Could not be done",
        "task.reopen" => "Reopened",
        "task.cancel" | "task.cancelled" => "Cancelled",
        "task.reassign" => "Reassigned",
        "task.evidence" => "Evidence file added",
        "task.reminder" => "Reminder sent",
        "task.overdue" => "Overdue alert sent",
        "task.escalated" => "Escalated",
        other => other,
    }
    .to_owned()
}

/// The parts of a record's detail a person reads (reason, assignee, evidence, file hash).
fn moment_detail(detail: Option<&serde_json::Value>) -> String {
    let Some(detail) = detail else {
        return String::new();
    };
    let mut parts = Vec::new();
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    for (key, label) in [
        ("reason", "reason"),
        ("assignee", "to"),
        ("comment", "comment"),
        ("filename", "file"),
        ("sha256", "SHA-256"),
        ("contact", "to"),
        ("level", "level"),
    ] {
        if let Some(value) = detail.get(key) {
            let shown = text(value).unwrap_or_else(|| value.to_string());
            parts.push(format!("{label}: {shown}"));
        }
    }
    if let Some(evidence) = detail.get("evidence") {
        for (key, label) in [
            ("note", "note"),
            ("confirmation_number", "confirmation"),
            ("portal_username", "portal username"),
        ] {
            if let Some(value) = evidence.get(key).and_then(|v| v.as_str()) {
                parts.push(format!("{label}: {value}"));
            }
        }
    }
    parts.join(" · ")
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    notice: Option<String>,
    /// Vouches that this console put `notice` in the URL.
    ns: Option<String>,
}

#[get("/tasks/{id}")]
pub async fn page(
    me: SignedIn,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, WireError> {
    let id = task_id(&id)?;
    let store = me.store();
    let now = me.now();
    let tz = me.session.practice.time_zone.tz();
    let record = store.task(id).await?;
    let portals = store.practice_portals().await?;
    let row = TaskRow::new(&record, &portals, now, tz);
    let person = match record.person_id {
        Some(id) => store.user(id, false).await.ok(),
        None => None,
    };
    let attribute = |key: &str| {
        person
            .as_ref()
            .and_then(|p| p.attributes.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let department = person
        .as_ref()
        .and_then(|p| p.attributes.get(ENTERPRISE))
        .and_then(|e| e.get("department"))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let account = match (&record.portal, record.person_id) {
        (Some(portal), Some(person)) => store
            .accounts_of(person)
            .await?
            .into_iter()
            .find(|a| &a.portal == portal),
        _ => None,
    };
    let evidence: Option<Evidence> = record
        .evidence
        .clone()
        .and_then(|e| serde_json::from_value(e).ok());
    let portal_username = evidence
        .as_ref()
        .and_then(|e| e.portal_username.clone())
        .or_else(|| account.as_ref().and_then(|a| a.username.clone()));
    let mut facts = Vec::new();
    let at = |t: chrono::DateTime<chrono::Utc>| When::at(t, now, tz);
    for (label, by, when) in [
        ("Claimed by", &record.claimed_by, record.claimed_at),
        ("Done by", &record.done_by, record.done_at),
        ("Verified by", &record.verified_by, record.verified_at),
    ] {
        if let (Some(by), Some(when)) = (by, when) {
            let when = at(when);
            facts.push((
                label.to_owned(),
                format!("{}, {} ({})", who(by), when.text, when.relative),
            ));
        }
    }
    if let Some(e) = &evidence {
        for (label, value) in [
            ("Note", &e.note),
            ("Confirmation number", &e.confirmation_number),
        ] {
            if let Some(value) = value {
                facts.push((label.to_owned(), value.clone()));
            }
        }
    }
    if let Some(reason) = &record.reason {
        let label = if record.state == TaskState::Cancelled {
            "Why cancelled"
        } else {
            "Why it could not be done"
        };
        facts.push((label.to_owned(), reason.clone()));
    }
    let files = store
        .evidence_of(id)
        .await?
        .into_iter()
        .map(|f| FileRow {
            id: f.id.to_string(),
            filename: f.filename,
            size: f.size,
            sha256: f.sha256,
            uploaded_by: who(&f.uploaded_by),
            uploaded_at: at(f.uploaded_at),
        })
        .collect();
    let timeline = store
        .audit_records(&AuditFilter {
            exact_target: Some(format!("task {id}")),
            limit: 500,
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|r| Moment {
            at: at(r.at),
            what: moment_words(&r.action),
            who: who(&r.actor),
            detail: moment_detail(r.detail.as_ref()),
        })
        .collect();
    let allowed = |action| transition(record.state, action).is_ok();
    let own_completion = record.done_by.as_deref() == Some(me.session.actor_name().as_str());
    render(&TaskPage {
        frame: Frame::load(&me, record.action.clone(), "Queue").await?,
        notice: shown_notice(&me, &query.notice, &query.ns),
        person_id: record.person_id.map(|p| p.to_string()).unwrap_or_default(),
        person_user_name: person
            .as_ref()
            .map(|p| p.user_name.clone())
            .unwrap_or_default(),
        person_title: attribute("title"),
        person_department: department,
        portal_username,
        roles_add: record.roles_add.0.join(", "),
        roles_remove: record.roles_remove.0.join(", "),
        cause: record.cause.to_string().replace('_', " "),
        reminders_sent: record.reminders_sent,
        record: facts,
        blocked_by: record.blocked_by.map(|b| b.to_string()),
        waiting_for_training: record.waiting_for.as_deref()
            == Some(crate::domain::training::WAITING_FOR_TRAINING),
        files,
        can_claim: allowed(ActionName::Claim),
        can_release: allowed(ActionName::Unclaim),
        can_complete: allowed(ActionName::Complete),
        can_fail: allowed(ActionName::Fail),
        can_verify: allowed(ActionName::Verify),
        verify_refused: own_completion && me.session.practice.four_eyes,
        can_reopen: allowed(ActionName::Reopen),
        can_reassign: allowed(ActionName::Reassign),
        can_cancel: allowed(ActionName::Cancel),
        assignees: assignees(&me).await?,
        timeline,
        task: row,
    })
}

/// `GET /console/tasks/{id}/evidence/{file}`: an evidence file, as an attachment.
#[get("/tasks/{id}/evidence/{file}")]
pub async fn evidence_file(
    me: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WireError> {
    let task = task_id(&path.0)?;
    let file =
        Uuid::try_parse(&path.1).map_err(|_| WireError::not_found("evidence file not found"))?;
    let (meta, data) = me.store().evidence_file(task, file).await?;
    Ok(HttpResponse::Ok()
        .content_type(meta.content_type.as_str())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", meta.filename),
        ))
        .body(data))
}

/// Every field any task form sends; each action reads its own.
#[derive(Debug, Default, Deserialize)]
pub struct TaskForm {
    reason: Option<String>,
    assignee: Option<String>,
    comment: Option<String>,
    note: Option<String>,
    confirmation_number: Option<String>,
    portal_username: Option<String>,
    /// `queue` when the button was on the queue page.
    back: Option<String>,
}

fn filled(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// `POST /console/tasks/{id}/{action}`: Claim, Release, Mark done, Could not do it, Verify,
/// Reopen, Reassign, Cancel task; through the engine, audited under the administrator's name.
#[post("/tasks/{id}/{action:claim|release|done|fail|verify|reopen|reassign|cancel}")]
pub async fn act(
    act: Act<TaskForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WireError> {
    let id = task_id(&path.0)?;
    let me = &act.me;
    let form = &act.form;
    let reason = || {
        filled(&form.reason)
            .map(|r| r.chars().take(2000).collect::<String>())
            .ok_or_else(|| WireError::bad_request("give a reason"))
    };
    let (action, said) = match path.1.as_str() {
        "claim" => (TaskAction::Claim, "Claimed: it is yours now."),
        "release" => (TaskAction::Unclaim, "Released to the queue."),
        "verify" => (TaskAction::Verify, "Verified."),
        "reopen" => (TaskAction::Reopen, "Reopened."),
        "fail" => (
            TaskAction::Fail { reason: reason()? },
            "Recorded as not done.",
        ),
        "cancel" => (TaskAction::Cancel { reason: reason()? }, "Cancelled."),
        "reassign" => (
            TaskAction::Reassign {
                assignee: filled(&form.assignee)
                    .ok_or_else(|| WireError::bad_request("choose whom to assign it to"))?,
                comment: filled(&form.comment).map(|c| c.chars().take(500).collect()),
            },
            "Reassigned.",
        ),
        _ => {
            let evidence = Evidence {
                note: filled(&form.note),
                confirmation_number: filled(&form.confirmation_number),
                portal_username: filled(&form.portal_username),
            };
            if let Some((field, max)) = evidence.oversized() {
                return Err(WireError::bad_request(format!(
                    "{} is longer than {max} characters",
                    field.replace('_', " ")
                )));
            }
            attach_files(me, id, &act.files).await?;
            (TaskAction::Complete(evidence), "Marked done.")
        }
    };
    act_on_task(&me.store(), id, action, None, &me.actor()).await?;
    let to = if form.back.as_deref() == Some("queue") {
        notice_link(me, "/console/queue", said)
    } else {
        notice_link(me, &format!("/console/tasks/{id}"), said)
    };
    Ok(see_other(&to))
}

/// Stores the files sent with "Mark done" as the task's evidence (PDF, PNG or JPEG, by their
/// bytes).
async fn attach_files(
    me: &SignedIn,
    task: Uuid,
    files: &[super::session::UploadedFile],
) -> Result<(), WireError> {
    let actor: Actor = me.actor();
    for file in files {
        let content_type = evidence_file_type(&file.bytes).ok_or_else(|| {
            WireError::bad_request(format!("{} is not a PDF, PNG or JPEG file", file.filename))
        })?;
        me.store()
            .add_evidence(
                task,
                &evidence_filename(Some(&file.filename)),
                content_type,
                file.bytes.clone(),
                &actor,
            )
            .await?;
    }
    Ok(())
}
