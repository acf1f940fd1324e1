//! HR roster imports (DESIGN.md "Reconciliation"): a roster is a full snapshot of the
//! workforce. It is read and planned against the directory and kept as a preview (nothing else
//! changes); its commit plans again in the practice's write transaction, refuses when that
//! differs from the preview or when more people disappear than the shrink guard allows, then
//! writes the directory exactly as an identity provider's SCIM writes would (the same store
//! methods, change records and lifecycle reaction), with the actor `roster import <SHA-256>`,
//! so tasks, alerts and audit behave the same. One practice's people have one source: a
//! practice fed over SCIM refuses rosters, and once a roster keeps the directory SCIM writes
//! are refused.

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::react::{self, Before, Trigger};
use crate::domain::actor::Actor;
use crate::domain::csv_file::CsvFile;
use crate::domain::directory::UserWrite;
use crate::domain::roster::{self, RosterColumns, RosterPlan};
use crate::store::audit::Entry;
use crate::store::planning::PlanningContext;
use crate::store::rosters::{NewRosterImport, RosterImportRecord};
use crate::store::{StoreError, TenantStore, WriteTx};

/// Why SCIM writes are refused in a roster-kept practice.
pub const ROSTER_KEEPS_DIRECTORY: &str = "this practice's people come from HR roster imports \
    (POST /api/v1/roster/imports); SCIM writes are refused so the two never disagree about the \
    same people";

const SCIM_KEEPS_DIRECTORY: &str = "this practice's people come from its identity provider over \
    SCIM; a roster would fight it over the same people. Use one source per practice: keep SCIM, \
    or start the roster in a practice with no people yet";

/// A commit's result: the import, and whether it was this file committed before.
#[derive(Debug)]
pub struct RosterCommitted {
    pub import: RosterImportRecord,
    pub replayed: bool,
}

/// The practice's date today, for termination dates.
fn today(ctx_tz: chrono_tz::Tz, now: DateTime<Utc>) -> chrono::NaiveDate {
    now.with_timezone(&ctx_tz).date_naive()
}

/// Reads an uploaded roster, plans it against the directory and keeps it as a preview.
pub async fn preview(
    store: &TenantStore<'_>,
    file_name: &str,
    bytes: &[u8],
    columns: Option<RosterColumns>,
    actor: &Actor,
) -> Result<RosterImportRecord, StoreError> {
    let practice = store.practice().await?;
    let file = CsvFile::read(bytes).map_err(StoreError::BadFile)?;
    let (_, remembered) = store.roster_settings().await?;
    let columns = match columns {
        Some(columns) => roster::columns_for(&file, Some(&columns)),
        None => remembered
            .and_then(|c| roster::columns_for(&file, Some(&c)).ok())
            .map_or_else(|| roster::columns_for(&file, None), Ok),
    }
    .map_err(StoreError::BadFile)?;
    let people = roster::read_people(&file, &columns, today(practice.time_zone.tz(), actor.at))
        .map_err(StoreError::BadFile)?;
    let plan = roster::plan(&people, &store.directory_people_now().await?);
    let sha256 = hex::encode(Sha256::digest(bytes));
    let id = store
        .add_roster_import(
            NewRosterImport {
                file_name,
                sha256: &sha256,
                size: bytes.len() as u64,
                columns: &columns,
                people: &people,
                plan: &plan,
            },
            actor,
        )
        .await?;
    store.roster_import(id).await
}

/// Commits a previewed roster: the directory written as planned, every person's lifecycle
/// reaction in the same transaction.
pub async fn commit(
    store: &TenantStore<'_>,
    id: Uuid,
    confirm_missing: Option<usize>,
    shrink_share: f64,
    actor: &Actor,
) -> Result<RosterCommitted, StoreError> {
    let tx = store.begin_write().await?;
    let import = store.roster_import_in(&tx, id).await?;
    if import.committed {
        return Ok(RosterCommitted {
            import,
            replayed: true,
        });
    }
    if let Some(earlier) = store.committed_roster_of(&tx, &import.sha256).await? {
        drop(tx);
        return Ok(RosterCommitted {
            import: store.roster_import(earlier).await?,
            replayed: true,
        });
    }
    let ctx = store.planning_context(&tx).await?;
    let directory = store.directory_people(&tx.tx).await?;
    if !ctx.practice.roster_managed && directory.iter().any(|p| !p.deleted) {
        return Err(StoreError::DirectorySource(SCIM_KEEPS_DIRECTORY));
    }
    let plan = roster::plan(&import.people, &directory);
    if plan != import.plan {
        return Err(StoreError::PreviewOutdated);
    }
    let missing = plan.missing.len();
    if plan.needs_confirmation(shrink_share) && confirm_missing != Some(missing) {
        return Err(StoreError::ShrinkGuard {
            missing,
            accounts: plan.active_before,
            max_share: shrink_share,
        });
    }
    // The directory's writer: the roster, named by its file.
    let writer = Actor {
        name: format!("roster import {}", import.sha256),
        admin_email: None,
        request_id: actor.request_id.clone(),
        at: actor.at,
    };
    write_directory(store, &tx, &ctx, &import, &plan, &writer).await?;
    store.set_roster_managed(&tx, &import.columns).await?;
    let confirmed = plan
        .needs_confirmation(shrink_share)
        .then(|| u32::try_from(missing).unwrap_or(u32::MAX));
    store
        .mark_roster_committed(&tx, id, confirmed, actor)
        .await?;
    store
        .append_audit(
            &tx,
            actor,
            vec![Entry {
                action: "roster_import.committed".to_owned(),
                target: format!("roster import {id}"),
                detail: Some(json!({
                    "file": import.file_name, "sha256": import.sha256,
                    "joiners": plan.joiners.len(), "movers": plan.movers.len(),
                    "leavers": plan.leavers.len(), "missing": missing,
                    "confirmed_missing": confirmed,
                })),
            }],
        )
        .await?;
    tx.commit().await?;
    Ok(RosterCommitted {
        import: store.roster_import(id).await?,
        replayed: false,
    })
}

/// The stored document carries `active` as SCIM writes it (`scim::resource::input`).
fn with_active(
    mut attributes: serde_json::Map<String, serde_json::Value>,
    active: bool,
) -> serde_json::Map<String, serde_json::Value> {
    attributes.insert("active".into(), serde_json::Value::Bool(active));
    attributes
}

/// Writes every planned change as SCIM would, each followed by the person's reaction.
async fn write_directory(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    ctx: &PlanningContext,
    import: &RosterImportRecord,
    plan: &RosterPlan,
    writer: &Actor,
) -> Result<(), StoreError> {
    let rows: std::collections::HashMap<usize, &roster::RosterPerson> =
        import.people.iter().map(|p| (p.row, p)).collect();
    for line in &plan.joiners {
        let Some(person) = line.row.and_then(|r| rows.get(&r)) else {
            continue;
        };
        let write = UserWrite {
            user_name: person.user_name.clone(),
            external_id: person.employee_id.clone(),
            active: person.active,
            attributes: with_active(person.attributes.clone(), person.active),
        };
        let change = store.insert_user(tx, write, writer).await?;
        let planning = store.planning_person(tx, &change.row, true).await?;
        let trigger = Trigger::directory(Before::New, change.seq);
        react::react_to(
            store,
            tx,
            ctx,
            planning,
            trigger,
            writer,
            vec![change.recorded],
        )
        .await?;
    }
    let changed = plan.movers.iter().chain(&plan.leavers).chain(&plan.missing);
    for line in changed {
        let Some(id) = line.person else { continue };
        let listed = line.row.and_then(|r| rows.get(&r)).copied();
        let outcome = store
            .update_user(tx, id, None, writer, |current| {
                Ok::<_, StoreError>(match listed {
                    Some(person) => UserWrite {
                        user_name: current.user_name.clone(),
                        external_id: person.employee_id.clone().or(current.external_id.clone()),
                        active: person.active,
                        attributes: with_active(
                            roster::merged(&current.attributes, &person.attributes),
                            person.active,
                        ),
                    },
                    // No longer on the roster: a leaver, attributes kept.
                    None => UserWrite {
                        user_name: current.user_name.clone(),
                        external_id: current.external_id.clone(),
                        active: false,
                        attributes: with_active(current.attributes.clone(), false),
                    },
                })
            })
            .await?;
        if let Ok(change) = outcome {
            let before = Before::Was(change.was_active.unwrap_or(true));
            let planning = store.planning_person(tx, &change.row, false).await?;
            let trigger = Trigger::directory(before, change.seq);
            react::react_to(
                store,
                tx,
                ctx,
                planning,
                trigger,
                writer,
                vec![change.recorded],
            )
            .await?;
        }
    }
    Ok(())
}
