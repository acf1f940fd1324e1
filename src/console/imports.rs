//! Checking a portal against its user list: the portal page's upload form and recent imports,
//! the preview page (what the list shows, what committing does), the commit, and the
//! decisions about accounts nobody is known for (link one to a person, accept one as a
//! service account). The same engine as `/api/v1/practice-portals/{portal}/imports`.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::session::{Act, SignedIn};
use super::view::{Frame, NoticeQuery, When, notice_link, who};
use super::{render, see_other};
use crate::domain::catalog::Portal;
use crate::domain::reconcile::{Effect, FindingKind, ListColumns};
use crate::engine::imports::{self, Upload};
use crate::http::errors::WireError;
use crate::store::StoreError;
use crate::store::imports::ImportRecord;

/// One column mapping field as the upload form shows it.
pub(super) struct ColumnField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
}

/// An import in the portal page's list.
pub(super) struct ImportLine {
    pub id: Uuid,
    pub file_name: String,
    pub when: When,
    pub by: String,
    pub committed: bool,
    pub listed: usize,
    pub findings: usize,
}

/// The portal page's "Import user list" section.
pub(super) struct ListSection {
    pub columns: Vec<ColumnField>,
    /// Where the mapping shown comes from, in words.
    pub mapping_source: &'static str,
    pub recent: Vec<ImportLine>,
}

/// What the portal page shows of its user lists.
pub(super) async fn list_section(me: &SignedIn, portal: &Portal) -> Result<ListSection, WireError> {
    let store = me.store();
    let remembered = store.list_columns(&portal.slug).await?;
    let (mapping, mapping_source) = match (remembered, &portal.list_columns) {
        (Some(m), _) => (Some(m), "as the practice last mapped it"),
        (None, Some(m)) => (
            Some(m.clone()),
            "as the catalogue knows this portal's report",
        ),
        (None, None) => (None, "recognised from the file's headers"),
    };
    let m = mapping.unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let columns = vec![
        ColumnField {
            name: "col_username",
            label: "Username (required)",
            value: m.username.clone(),
        },
        ColumnField {
            name: "col_name",
            label: "Name",
            value: text(&m.name),
        },
        ColumnField {
            name: "col_email",
            label: "E-mail",
            value: text(&m.email),
        },
        ColumnField {
            name: "col_npi",
            label: "NPI",
            value: text(&m.npi),
        },
        ColumnField {
            name: "col_roles",
            label: "Roles or functions",
            value: text(&m.roles),
        },
        ColumnField {
            name: "col_status",
            label: "Status",
            value: text(&m.status),
        },
        ColumnField {
            name: "col_last_login",
            label: "Last login",
            value: text(&m.last_login),
        },
    ];
    let (now, tz) = (me.now(), me.session.practice.time_zone.tz());
    let recent = store
        .imports(&portal.slug, 5)
        .await?
        .into_iter()
        .map(|r| ImportLine {
            id: r.id,
            when: When::at(r.committed_at.unwrap_or(r.previewed_at), now, tz),
            by: who(r.committed_by.as_deref().unwrap_or(&r.previewed_by)),
            committed: r.committed,
            listed: r.findings.listed,
            findings: r.findings.findings.len(),
            file_name: r.file_name,
        })
        .collect();
    Ok(ListSection {
        columns,
        mapping_source,
        recent,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct UploadForm {
    #[serde(default)]
    col_username: String,
    #[serde(default)]
    col_name: String,
    #[serde(default)]
    col_email: String,
    #[serde(default)]
    col_npi: String,
    #[serde(default)]
    col_roles: String,
    #[serde(default)]
    col_status: String,
    #[serde(default)]
    col_last_login: String,
}

impl UploadForm {
    /// The mapping typed, or `None` when the username column is left empty (recognise them).
    fn columns(&self) -> Option<ListColumns> {
        let given = |v: &str| {
            let v = v.trim();
            (!v.is_empty()).then(|| v.to_owned())
        };
        Some(ListColumns {
            username: given(&self.col_username)?,
            name: given(&self.col_name),
            email: given(&self.col_email),
            npi: given(&self.col_npi),
            roles: given(&self.col_roles),
            status: given(&self.col_status),
            last_login: given(&self.col_last_login),
        })
    }
}

fn portal_link(slug: &str) -> String {
    format!("/console/portals/{slug}#user-list")
}

/// `POST /console/portals/{slug}/imports`: preview an uploaded list.
#[post("/portals/{slug}/imports")]
pub async fn upload(
    act: Act<UploadForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let Some(file) = act.files.first() else {
        return Ok(see_other(&notice_link(
            me,
            &portal_link(&slug),
            "Not imported: choose the portal's user list (a CSV file) first.",
        )));
    };
    let upload = Upload {
        portal: &slug,
        file_name: &crate::domain::task::evidence_filename(Some(&file.filename)),
        bytes: &file.bytes,
        columns: act.form.columns(),
    };
    match imports::preview(&me.store(), upload, &me.actor()).await {
        Ok(record) => Ok(see_other(&format!(
            "/console/portals/{slug}/imports/{}",
            record.id
        ))),
        Err(StoreError::BadFile(why)) => Ok(see_other(&notice_link(
            me,
            &portal_link(&slug),
            &format!("Not imported: {why}. Nothing was changed."),
        ))),
        Err(other) => Err(other.into()),
    }
}

/// A finding as the preview page shows it.
struct FindingRow {
    kind: &'static str,
    alarming: bool,
    row: String,
    username: String,
    person: String,
    detail: String,
    effect: String,
    /// An account nobody is known for: offer to link it or mark it a service account.
    decidable: bool,
}

#[derive(Template)]
#[template(path = "import.html", config = "src/console/askama.toml")]
struct ImportPage {
    frame: Frame,
    slug: String,
    portal_name: String,
    id: Uuid,
    file_name: String,
    sha256: String,
    previewed: String,
    committed: Option<String>,
    listed: usize,
    matched: usize,
    in_step: usize,
    counts: Vec<(&'static str, usize)>,
    findings: Vec<FindingRow>,
    missing: usize,
    recorded_active: usize,
    needs_confirmation: bool,
    /// A year from today, the service account form's default review date.
    review_default: String,
    notice: Option<String>,
}

fn kind_words(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::InStep => "Confirmed",
        FindingKind::RevokedNotRemoved => "Revoked but not removed",
        FindingKind::Orphan => "Orphan",
        FindingKind::Unmatched => "Unmatched",
        FindingKind::RoleDrift => "Role drift",
        FindingKind::SharedLogin => "Shared or generic login",
        FindingKind::Missing => "Missing",
        FindingKind::Dormant => "Dormant",
        FindingKind::ServiceAccount => "Service account",
    }
}

fn effect_words(effect: &Effect, committed: bool) -> String {
    let words = match effect {
        Effect::Nothing => return "Nothing to change".to_owned(),
        Effect::VerifyTask { .. } => "Its task becomes verified",
        Effect::ReopenTask { .. } => "Its task reopens, deadline and alerts restarted",
        Effect::RecordAccount { .. } => {
            "The account is recorded as listed; policy decides the task"
        }
        Effect::MarkGone { .. } => "The account is marked gone; policy decides",
        Effect::OpenDeprovision { .. } => "A deprovision task opens",
        Effect::ReplaceSharedLogin { .. } => "A task to replace it with personal accounts opens",
        Effect::LockoutAlert { .. } => "An alert goes to the practice's webhooks",
    };
    if committed {
        format!("Done: {}", words.to_lowercase())
    } else {
        words.to_owned()
    }
}

async fn import_page(
    me: &SignedIn,
    slug: &str,
    record: ImportRecord,
    notice: Option<String>,
) -> Result<HttpResponse, WireError> {
    let portals = me.store().practice_portals().await?;
    let portal = portals
        .get(slug)
        .ok_or_else(|| WireError::not_found("the practice does not use this portal"))?;
    let (now, tz) = (me.now(), me.session.practice.time_zone.tz());
    let found = &record.findings;
    let findings = found
        .findings
        .iter()
        .map(|f| FindingRow {
            kind: kind_words(f.kind),
            alarming: !matches!(
                f.kind,
                FindingKind::InStep | FindingKind::ServiceAccount | FindingKind::Dormant
            ),
            row: f
                .row
                .map(|r| r.to_string())
                .unwrap_or_else(|| "—".to_owned()),
            username: f.username.clone().unwrap_or_default(),
            person: f.person_name.clone().unwrap_or_default(),
            detail: f.detail.clone(),
            effect: effect_words(&f.effect, record.committed),
            decidable: f.kind == FindingKind::Unmatched,
        })
        .collect();
    let counts = found
        .counts
        .iter()
        .map(|(kind, n)| (kind_words(*kind), *n))
        .collect();
    let shown = ImportPage {
        frame: Frame::load(me, format!("User list: {}", portal.portal.name), "Portals").await?,
        slug: slug.to_owned(),
        portal_name: portal.portal.name.clone(),
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
        listed: found.listed,
        matched: found.matched,
        in_step: found.in_step,
        missing: found.missing(),
        recorded_active: found.recorded_active,
        needs_confirmation: found.needs_confirmation(me.state.import_shrink_share)
            && !record.committed,
        counts,
        findings,
        review_default: (now + chrono::Duration::days(365))
            .with_timezone(&tz)
            .date_naive()
            .to_string(),
        file_name: record.file_name,
        sha256: record.sha256,
        notice,
    };
    render(&shown)
}

fn import_id(raw: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(raw).map_err(|_| WireError::not_found("no such import"))
}

/// `GET /console/portals/{slug}/imports/{id}`: what a list shows, and the commit.
#[get("/portals/{slug}/imports/{id}")]
pub async fn page(
    me: SignedIn,
    path: web::Path<(String, String)>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WireError> {
    let (slug, id) = (&path.0, import_id(&path.1)?);
    let record = me.store().import(slug, id).await?;
    let notice = query.shown(&me);
    import_page(&me, slug, record, notice).await
}

#[derive(Debug, Default, Deserialize)]
pub struct CommitForm {
    #[serde(default)]
    confirm_missing: String,
}

/// `POST /console/portals/{slug}/imports/{id}/commit`.
#[post("/portals/{slug}/imports/{id}/commit")]
pub async fn commit(
    act: Act<CommitForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let (slug, id) = (&path.0, import_id(&path.1)?);
    let back = format!("/console/portals/{slug}/imports/{id}");
    let confirm = act.form.confirm_missing.trim().parse::<usize>().ok();
    let said = match imports::commit(
        &me.store(),
        slug,
        id,
        confirm,
        me.state.import_shrink_share,
        &me.actor(),
    )
    .await
    {
        Ok(done) if done.replayed => {
            return Ok(see_other(&notice_link(
                me,
                &format!("/console/portals/{slug}/imports/{}", done.import.id),
                "This file was committed before: nothing changed. This is that import.",
            )));
        }
        Ok(_) => "Committed: the findings below were carried out.".to_owned(),
        Err(
            e @ (StoreError::ShrinkGuard { .. }
            | StoreError::PreviewOutdated
            | StoreError::Refused(_)),
        ) => format!("Not committed: {e}."),
        Err(other) => return Err(other.into()),
    };
    Ok(see_other(&notice_link(me, &back, &said)))
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    username: String,
    /// The person's user name or e-mail, as typed.
    person: String,
    import: String,
}

/// `POST /console/portals/{slug}/link`: an account nobody was known for is this person's.
#[post("/portals/{slug}/link")]
pub async fn link(act: Act<LinkForm>, slug: web::Path<String>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let back = format!(
        "/console/portals/{slug}/imports/{}",
        import_id(&act.form.import)?
    );
    let typed = act.form.person.trim();
    let store = me.store();
    let found = if typed.is_empty() {
        Vec::new()
    } else {
        store.people(typed, 2).await?
    };
    let said = match found.as_slice() {
        [one] => {
            match imports::link_account(&store, &slug, &act.form.username, one.id, &me.actor())
                .await
            {
                Ok(()) => format!(
                    "Linked `{}` to {}: its removal is cancelled.",
                    act.form.username, one.display
                ),
                Err(StoreError::Refused(why)) => format!("Not linked: {why}."),
                Err(other) => return Err(other.into()),
            }
        }
        [] => format!("Not linked: no one matches “{typed}”; type their user name or e-mail."),
        _ => format!("Not linked: several people match “{typed}”; type their full user name."),
    };
    Ok(see_other(&notice_link(me, &back, &said)))
}

#[derive(Debug, Deserialize)]
pub struct ServiceForm {
    username: String,
    reason: String,
    review_at: String,
    import: String,
}

/// `POST /console/portals/{slug}/service-accounts`: an account nobody was known for is a
/// service account, until a review date.
#[post("/portals/{slug}/service-accounts")]
pub async fn mark_service(
    act: Act<ServiceForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let back = format!(
        "/console/portals/{slug}/imports/{}",
        import_id(&act.form.import)?
    );
    let tz = me.session.practice.time_zone.tz();
    let review_at = chrono::NaiveDate::parse_from_str(act.form.review_at.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| d.and_local_timezone(tz).earliest())
        .map(|d| d.with_timezone(&chrono::Utc));
    let said = match review_at {
        None => "Not marked: write the review date as YYYY-MM-DD.".to_owned(),
        Some(review_at) => match imports::mark_service_account(
            &me.store(),
            &slug,
            &act.form.username,
            &act.form.reason,
            review_at,
            &me.actor(),
        )
        .await
        {
            Ok(()) => format!(
                "Marked `{}` a service account until {}: its removal is cancelled.",
                act.form.username.trim(),
                act.form.review_at.trim()
            ),
            Err(StoreError::Refused(why)) => format!("Not marked: {why}."),
            Err(other) => return Err(other.into()),
        },
    };
    Ok(see_other(&notice_link(me, &back, &said)))
}
