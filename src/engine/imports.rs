//! Portal user-list imports (DESIGN.md "Reconciliation"): an uploaded list is read and
//! reconciled with the records and kept as a preview (nothing else changes); its commit, a
//! second action, reconciles again in the practice's write transaction, refuses when that no
//! longer matches the preview or when the shrink guard is not satisfied, and carries out every
//! finding's effect (verify, reopen, record, mark gone, open tasks, alert), then lets policy
//! plan the people it touched, all in that one transaction. The same file committed twice
//! changes nothing the second time.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::react::{self, Trigger};
use crate::domain::actor::Actor;
use crate::domain::catalog::Portal;
use crate::domain::csv_file::CsvFile;
use crate::domain::ladder;
use crate::domain::lifecycle::Account;
use crate::domain::reconcile::{self, Effect, Finding, ListColumns, Reconciliation, Records, list};
use crate::domain::sla::SlaKey;
use crate::domain::task::{EventKind, TaskKind};
use crate::store::audit::Entry;
use crate::store::calendar_tasks::CalendarTask;
use crate::store::imports::{ImportRecord, NewImport, ReconcileInputs};
use crate::store::planning::PlanningContext;
use crate::store::{StoreError, TenantStore, WriteTx};

/// The webhook event an administrator account close to its inactivity lockout raises.
pub const LOCKOUT_EVENT: &str = "practice_portal.admin_lockout_soon";

/// The alert for an administrator account a week or less from its portal's inactivity
/// lockout; its key makes it once per account and lockout date, whether the import's commit
/// or the sweeper raises it.
pub(crate) fn lockout_event(
    practice: &crate::store::Practice,
    portal: &Portal,
    username: &str,
    person_name: Option<&str>,
    lockout_at: DateTime<Utc>,
    detail: &str,
) -> crate::store::outbox::NewEvent<'static> {
    crate::store::outbox::NewEvent {
        key: format!(
            "lockout:{}:{}:{}",
            portal.slug,
            username.to_lowercase(),
            lockout_at.format("%Y-%m-%d")
        ),
        event_type: LOCKOUT_EVENT,
        task: None,
        payload: json!({
            "practice": {"slug": practice.slug.as_str(), "name": practice.name.as_str()},
            "practice_portal": {"portal": portal.slug, "name": portal.name},
            "account": {"username": username, "person": person_name},
            "lockout_at": lockout_at,
            "detail": detail,
        }),
    }
}

/// A list as uploaded.
#[derive(Debug)]
pub struct Upload<'a> {
    pub portal: &'a str,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    /// The columns as the uploader mapped them; `None`: the practice's remembered mapping,
    /// else the catalogue's, else recognised from the headers.
    pub columns: Option<ListColumns>,
}

/// A commit's result: the import, and whether it was this file committed before.
#[derive(Debug)]
pub struct Committed {
    pub import: ImportRecord,
    /// The same file (by SHA-256) was committed before: nothing changed.
    pub replayed: bool,
}

fn reconcile_with(
    accounts: &[list::ListedAccount],
    inputs: &ReconcileInputs,
    portal: &Portal,
    practice_name: &str,
    now: DateTime<Utc>,
) -> Reconciliation {
    let admin_roles: BTreeSet<String> = portal
        .roles
        .iter()
        .filter(|r| r.is_admin)
        .map(|r| r.slug.clone())
        .collect();
    reconcile::reconcile(
        accounts,
        &Records {
            people: &inputs.people,
            accounts: &inputs.accounts,
            tasks: &inputs.tasks,
            service_accounts: &inputs.service_accounts,
            admin_roles: &admin_roles,
            dormant_after_days: portal.lifecycle.dormant_after_days(),
            practice_name,
            now,
        },
    )
}

/// Reads and reconciles an uploaded list and keeps it as a preview. Nothing else changes.
pub async fn preview(
    store: &TenantStore<'_>,
    upload: Upload<'_>,
    actor: &Actor,
) -> Result<ImportRecord, StoreError> {
    let portals = store.practice_portals().await?;
    let portal = &portals
        .get(upload.portal)
        .ok_or(StoreError::NotFound("practice portal"))?
        .portal;
    let file = CsvFile::read(upload.bytes).map_err(StoreError::BadFile)?;
    // A mapping sent with the file must fit it; a remembered or catalogue mapping that does
    // not fit this file gives way to the headers (the portal changed its report, say).
    let columns = match upload.columns {
        Some(columns) => list::columns_for(&file, Some(&columns)),
        None => {
            let known = store
                .list_columns(upload.portal)
                .await?
                .or_else(|| portal.list_columns.clone());
            known
                .and_then(|c| list::columns_for(&file, Some(&c)).ok())
                .map_or_else(|| list::columns_for(&file, None), Ok)
        }
    }
    .map_err(StoreError::BadFile)?;
    let accounts = list::read_accounts(&file, &columns, portal).map_err(StoreError::BadFile)?;
    let practice = store.practice().await?;
    let inputs = store.reconcile_inputs_now(upload.portal, actor.at).await?;
    let found = reconcile_with(&accounts, &inputs, portal, practice.name.as_str(), actor.at);
    let sha256 = hex::encode(Sha256::digest(upload.bytes));
    let id = store
        .add_import(
            NewImport {
                portal: upload.portal,
                file_name: upload.file_name,
                sha256: &sha256,
                size: upload.bytes.len() as u64,
                columns: &columns,
                accounts: &accounts,
                findings: &found,
            },
            actor,
        )
        .await?;
    store.import(upload.portal, id).await
}

/// Commits a previewed import: the same findings, now carried out. `confirm_missing` must
/// name the number of accounts to mark gone when that is more than `shrink_share` of the
/// portal's recorded accounts.
pub async fn commit(
    store: &TenantStore<'_>,
    portal_slug: &str,
    id: Uuid,
    confirm_missing: Option<usize>,
    shrink_share: f64,
    actor: &Actor,
) -> Result<Committed, StoreError> {
    let tx = store.begin_write().await?;
    let import = store.import_in(&tx, portal_slug, id).await?;
    if import.committed {
        return Ok(Committed {
            import,
            replayed: true,
        });
    }
    if let Some(earlier) = store
        .committed_import_of(&tx, portal_slug, &import.sha256)
        .await?
    {
        drop(tx);
        return Ok(Committed {
            import: store.import(portal_slug, earlier).await?,
            replayed: true,
        });
    }
    let ctx = store.planning_context(&tx).await?;
    let portal = ctx
        .portals
        .get(portal_slug)
        .ok_or(StoreError::NotFound("practice portal"))?
        .clone();
    let inputs = store
        .reconcile_inputs(&tx.tx, portal_slug, actor.at)
        .await?;
    let found = reconcile_with(
        &import.accounts,
        &inputs,
        &portal,
        ctx.practice.name.as_str(),
        actor.at,
    );
    if found != import.findings {
        return Err(StoreError::PreviewOutdated);
    }
    let missing = found.missing();
    if found.needs_confirmation(shrink_share) && confirm_missing != Some(missing) {
        return Err(StoreError::ShrinkGuard {
            missing,
            accounts: found.recorded_active,
            max_share: shrink_share,
        });
    }
    let mut work = Work {
        store,
        tx: &tx,
        ctx: &ctx,
        portal: &portal,
        import: &import,
        actor,
        trail: Vec::new(),
        touched: Vec::new(),
    };
    for finding in &found.findings {
        work.carry_out(finding).await?;
    }
    let Work {
        mut trail, touched, ..
    } = work;
    for login in &found.admin_logins {
        store
            .set_last_login(&tx, login.person, portal_slug, login.last_login)
            .await?;
    }
    store
        .remember_list_columns(&tx, portal_slug, &import.columns)
        .await?;
    let confirmed = found
        .needs_confirmation(shrink_share)
        .then(|| u32::try_from(missing).unwrap_or(u32::MAX));
    store
        .mark_import_committed(&tx, id, confirmed, actor)
        .await?;
    trail.push(Entry {
        action: "portal_import.committed".to_owned(),
        target: format!("import {id}"),
        detail: Some(json!({
            "portal": portal_slug, "file": import.file_name, "sha256": import.sha256,
            "listed": found.listed, "counts": found.counts, "confirmed_missing": confirmed,
        })),
    });
    store.append_audit(&tx, actor, trail).await?;
    let mut people: Vec<Uuid> = touched;
    people.sort();
    people.dedup();
    react::react_all(
        store,
        &tx,
        &ctx,
        &people,
        Trigger::around(EventKind::Import),
        actor,
    )
    .await?;
    tx.commit().await?;
    Ok(Committed {
        import: store.import(portal_slug, id).await?,
        replayed: false,
    })
}

/// What a commit carries out, and what it has written so far.
struct Work<'a, 's> {
    store: &'a TenantStore<'s>,
    tx: &'a WriteTx,
    ctx: &'a PlanningContext,
    portal: &'a Portal,
    import: &'a ImportRecord,
    actor: &'a Actor,
    trail: Vec<Entry>,
    /// People whose accounts changed: policy plans them once all is written.
    touched: Vec<Uuid>,
}

impl Work<'_, '_> {
    fn listed(&self, finding: &Finding) -> Option<&list::ListedAccount> {
        finding
            .row
            .and_then(|row| self.import.accounts.iter().find(|a| a.row == row))
    }

    fn audit(&mut self, action: &str, target: String, detail: serde_json::Value) {
        self.trail.push(Entry {
            action: action.to_owned(),
            target,
            detail: Some(detail),
        });
    }

    async fn carry_out(&mut self, finding: &Finding) -> Result<(), StoreError> {
        let (store, tx, at) = (self.store, self.tx, self.actor.at);
        let import = self.import.id;
        let portal = self.portal.slug.as_str();
        match &finding.effect {
            Effect::Nothing => {}
            Effect::VerifyTask { task } => {
                if store.verify_by_import(tx, *task, import, at).await? {
                    self.audit(
                        "task.verified",
                        format!("task {task}"),
                        json!({"by_import": import, "finding": finding.kind}),
                    );
                }
            }
            Effect::ReopenTask { task } => {
                let reason = format!(
                    "revoked but not removed: the {} user list imported {} (import {import}) \
                     still shows it; {}",
                    self.portal.name,
                    at.format("%Y-%m-%d"),
                    finding.detail
                );
                if let Some(due_at) = store.reopen_regressed(tx, *task, &reason, at).await? {
                    self.audit(
                        "task.regressed",
                        format!("task {task}"),
                        json!({"import": import, "reason": reason, "due_at": due_at}),
                    );
                    // The account is there after all: record it as the list shows it.
                    if let Some(person) = finding.person {
                        let shown = self
                            .listed(finding)
                            .filter(|l| l.unknown_roles.is_empty())
                            .and_then(|l| l.roles.clone());
                        self.record(finding, person, shown).await?;
                    }
                }
            }
            Effect::RecordAccount { person, roles } => {
                self.record(finding, *person, roles.clone()).await?;
            }
            Effect::MarkGone { person } => {
                store.mark_account_gone(tx, *person, portal, at).await?;
                self.audit(
                    "account.gone",
                    format!("person {person}"),
                    json!({"portal": portal, "username": finding.username, "import": import}),
                );
                self.touched.push(*person);
            }
            Effect::OpenDeprovision { username } => {
                let who = self
                    .listed(finding)
                    .map(|row| {
                        [row.name.as_deref(), row.email.as_deref()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .filter(|w| !w.is_empty())
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                let action = format!(
                    "In {}, open {} and deactivate the account `{username}`{who}: the user list \
                     imported {} shows it, and no one at the practice is known to hold it. If it \
                     is someone's, link it to them on the portal's page; if it is a service \
                     account, mark it so there.",
                    self.portal.name,
                    self.portal
                        .user_admin_place
                        .as_deref()
                        .unwrap_or("user management"),
                    at.format("%Y-%m-%d")
                );
                self.open_task(TaskKind::Deprovision, SlaKey::Deprovision, username, action)
                    .await?;
            }
            Effect::ReplaceSharedLogin { username } => {
                let rule = finding.rule.map(|r| r.describe()).unwrap_or("shared");
                let action = format!(
                    "In {}, the account `{username}` looks shared ({rule}): {}. Give each person \
                     who uses it an account of their own, then deactivate `{username}`.",
                    self.portal.name, finding.detail
                );
                self.open_task(
                    TaskKind::ReplaceSharedLogin,
                    SlaKey::Provision,
                    username,
                    action,
                )
                .await?;
            }
            Effect::LockoutAlert { lockout_at } => {
                let username = finding.username.clone().unwrap_or_default();
                let event = lockout_event(
                    &self.ctx.practice,
                    self.portal,
                    &username,
                    finding.person_name.as_deref(),
                    *lockout_at,
                    &finding.detail,
                );
                store
                    .notify(
                        tx,
                        event,
                        portal,
                        json!({"import": import, "username": username, "lockout_at": lockout_at}),
                        self.actor,
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Records the person's account as the list shows it (the finding's roles when the list
    /// told them, else the recorded ones), active, with the list's username and NPI.
    async fn record(
        &mut self,
        finding: &Finding,
        person: Uuid,
        roles: Option<BTreeSet<String>>,
    ) -> Result<(), StoreError> {
        let (store, tx) = (self.store, self.tx);
        let portal = self.portal.slug.as_str();
        let existing = store.account_in(tx, person, portal).await?;
        let listed = self.listed(finding).cloned();
        // No roles from the finding: the list did not say (no column, or names the portal
        // does not know), so the recorded ones stand.
        let roles = roles
            .or_else(|| existing.as_ref().map(|a| a.record.roles.clone()))
            .unwrap_or_default();
        let record = Account {
            portal: portal.to_owned(),
            username: finding
                .username
                .clone()
                .or_else(|| existing.as_ref().and_then(|a| a.record.username.clone())),
            roles,
            other_affiliations: existing
                .as_ref()
                .is_some_and(|a| a.record.other_affiliations),
        };
        store
            .upsert_account(
                &tx.tx,
                person,
                &record,
                crate::domain::task::AccountStatus::Active,
                self.actor.at,
            )
            .await?;
        if let Some(npi) = listed.as_ref().and_then(|l| l.npi.as_deref()) {
            store.set_account_npi(tx, person, portal, npi).await?;
        }
        self.audit(
            "account.recorded",
            format!("person {person}"),
            json!({"portal": portal, "username": record.username, "roles": record.roles,
                   "import": self.import.id, "finding": finding.kind}),
        );
        self.touched.push(person);
        Ok(())
    }

    /// Opens a task on an account no person is known for, with its deadline and first alert.
    async fn open_task(
        &mut self,
        kind: TaskKind,
        sla: SlaKey,
        username: &str,
        action: String,
    ) -> Result<(), StoreError> {
        let practice = &self.ctx.practice;
        let at = self.actor.at;
        let overrides = self
            .ctx
            .practice_portals
            .get(&self.portal.slug)
            .map(|p| p.sla_overrides.clone())
            .unwrap_or_default();
        let due_at = practice.sla.for_key(sla, &overrides).due(
            at,
            practice.time_zone.tz(),
            &practice.business_hours,
        );
        let window = ladder::task_window(kind, EventKind::Import, false, at, due_at);
        let next_alert_at =
            ladder::first_alert_at(&self.ctx.escalation, &window, at, practice.time_zone.tz());
        let new = CalendarTask {
            id: Uuid::now_v7(),
            person_id: None,
            portal: self.portal.slug.clone(),
            kind,
            cause: EventKind::Import,
            action,
            due_at,
            next_alert_at,
            duty_key: None,
            portal_username: Some(username.to_owned()),
        };
        self.store
            .open_calendar_task_in(self.tx, &new, self.actor)
            .await
    }
}

/// Links a listed account nobody was known for to a person: their account is recorded with
/// the username (and the roles the latest committed list showed), its pending removal is
/// cancelled, and policy plans the person. Audited `account.linked`.
pub async fn link_account(
    store: &TenantStore<'_>,
    portal: &str,
    username: &str,
    person: Uuid,
    actor: &Actor,
) -> Result<(), StoreError> {
    let username = username.trim();
    if username.is_empty() {
        return Err(StoreError::Refused("`username` is empty".to_owned()));
    }
    // Read before the write transaction, which must not wait for a second connection while
    // it holds the practice's lock.
    let who = store.person(person).await?;
    let tx = store.begin_write().await?;
    let ctx = store.planning_context(&tx).await?;
    if !ctx.portals.contains_key(portal) {
        return Err(StoreError::NotFound("practice portal"));
    }
    let listed = store.latest_listed(&tx, portal, username).await?;
    let record = Account {
        portal: portal.to_owned(),
        username: Some(
            listed
                .as_ref()
                .map_or(username, |l| l.username.as_str())
                .to_owned(),
        ),
        roles: listed
            .as_ref()
            .and_then(|l| l.roles.clone())
            .unwrap_or_default(),
        other_affiliations: false,
    };
    store.put_account(&tx, person, &record, actor).await?;
    let reason = format!("the account was linked to {}", who.display);
    let cancelled = store
        .cancel_account_removal(&tx, portal, username, &reason, actor.at)
        .await?;
    let mut trail = vec![Entry {
        action: "account.linked".to_owned(),
        target: format!("person {person}"),
        detail: Some(json!({"portal": portal, "username": record.username, "roles": record.roles})),
    }];
    trail.extend(cancelled.into_iter().map(|id| Entry {
        action: "task.cancelled".to_owned(),
        target: format!("task {id}"),
        detail: Some(json!({"reason": reason})),
    }));
    store.append_audit(&tx, actor, trail).await?;
    react::react_all(
        store,
        &tx,
        &ctx,
        &[person],
        Trigger::around(EventKind::Import),
        actor,
    )
    .await?;
    tx.commit().await
}

/// Accepts a listed account as a service account (nobody's, on purpose) until `review_at`:
/// imports list it as such until then, and its pending removal is cancelled. Audited
/// `service_account.marked`.
pub async fn mark_service_account(
    store: &TenantStore<'_>,
    portal: &str,
    username: &str,
    reason: &str,
    review_at: DateTime<Utc>,
    actor: &Actor,
) -> Result<(), StoreError> {
    let (username, reason) = (username.trim(), reason.trim());
    if username.is_empty() || reason.is_empty() {
        return Err(StoreError::Refused(
            "a service account needs its `username` and a `reason`".to_owned(),
        ));
    }
    if review_at <= actor.at {
        return Err(StoreError::Refused(
            "`review_at` must be in the future: the date the practice checks the account again"
                .to_owned(),
        ));
    }
    let tx = store.begin_write().await?;
    if !store
        .practice_portals_in(&tx.tx)
        .await?
        .contains_key(portal)
    {
        return Err(StoreError::NotFound("practice portal"));
    }
    store
        .put_service_account(&tx, portal, username, reason, review_at, actor)
        .await?;
    let why = format!("marked a service account: {reason}");
    let cancelled = store
        .cancel_account_removal(&tx, portal, username, &why, actor.at)
        .await?;
    let mut trail = vec![Entry {
        action: "service_account.marked".to_owned(),
        target: format!("portal {portal}"),
        detail: Some(json!({"username": username, "reason": reason, "review_at": review_at})),
    }];
    trail.extend(cancelled.into_iter().map(|id| Entry {
        action: "task.cancelled".to_owned(),
        target: format!("task {id}"),
        detail: Some(json!({"reason": why})),
    }));
    store.append_audit(&tx, actor, trail).await?;
    tx.commit().await
}
