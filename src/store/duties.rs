//! A practice portal's standing duties: the catalogue's duties (or the practice's own
//! portal's) joined with when the practice last met each and its corrections, with the next
//! deadline worked out. Every read and write is scoped to the practice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{portal_duty, task};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{StoreError, TenantStore, WriteTx, audit};
use crate::domain::actor::Actor;
use crate::domain::duty::{Duty, DutyKind, DutyState, calendar, check_days};

/// A duty as a practice portal keeps it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PortalDuty {
    pub portal: String,
    pub portal_name: String,
    pub key: String,
    pub name: String,
    pub kind: DutyKind,
    pub consequence: String,
    /// The cadence and window in force: the practice's where it corrected the catalogue.
    pub every_days: u32,
    pub window_days: u32,
    /// The catalogue's values, for comparison.
    pub catalogue_every_days: u32,
    pub catalogue_window_days: u32,
    /// When it was last met, and by whom; null: never recorded (counted from when the portal
    /// was added).
    pub last_met_at: Option<DateTime<Utc>>,
    pub met_by: Option<String>,
    pub due_at: DateTime<Utc>,
    pub window_opens_at: DateTime<Utc>,
    pub state: DutyState,
    /// Missing it costs the organisation the portal: it alarms from the day its window opens.
    pub escalates_from_day_one: bool,
}

/// What a practice sets for one duty: when it was met (`None`: the record stands), and its
/// own cadence and window (`None`: the catalogue's).
#[derive(Debug, Clone, Default)]
pub struct DutyChange {
    pub last_met_at: Option<DateTime<Utc>>,
    pub every_days: Option<u32>,
    pub window_days: Option<u32>,
}

impl TenantStore<'_> {
    /// The duties of every portal the practice uses (or of one), each with its deadline at
    /// `now`, soonest first.
    pub async fn duties(
        &self,
        portal: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PortalDuty>, StoreError> {
        let portals = self.practice_portals().await?;
        if let Some(slug) = portal
            && !portals.contains_key(slug)
        {
            return Err(StoreError::NotFound("practice portal"));
        }
        let kept: HashMap<(String, String), portal_duty::Model> = portal_duty::Entity::find()
            .filter(portal_duty::Column::PracticeId.eq(self.practice.as_uuid()))
            .all(self.db)
            .await?
            .into_iter()
            .map(|d| ((d.portal_slug.clone(), d.duty_key.clone()), d))
            .collect();
        let mut out = Vec::new();
        for (slug, practice_portal) in &portals {
            if portal.is_some_and(|p| p != slug) {
                continue;
            }
            for duty in &practice_portal.portal.duties {
                let row = kept.get(&(slug.clone(), duty.key.clone()));
                out.push(portal_duty(
                    slug,
                    &practice_portal.portal.name,
                    duty,
                    row,
                    practice_portal.created_at,
                    now,
                ));
            }
        }
        out.sort_by_key(|d| d.due_at);
        Ok(out)
    }

    /// Records a duty met, or corrects its cadence or window; audited.
    pub async fn change_duty(
        &self,
        portal: &str,
        key: &str,
        change: DutyChange,
        actor: &Actor,
    ) -> Result<PortalDuty, StoreError> {
        let current = self
            .duties(Some(portal), actor.at)
            .await?
            .into_iter()
            .find(|d| d.key == key)
            .ok_or(StoreError::NotFound("duty"))?;
        if change.last_met_at.is_some_and(|at| at > actor.at) {
            return Err(StoreError::Refused(
                "`last_met_at` cannot be in the future".into(),
            ));
        }
        let every = change.every_days;
        let window = change.window_days;
        check_days(
            every.unwrap_or(current.catalogue_every_days),
            window.unwrap_or(current.catalogue_window_days),
        )
        .map_err(StoreError::Refused)?;
        let tx = self.begin_write().await?;
        let met = change.last_met_at.or(current.last_met_at);
        let met_by = if change.last_met_at.is_some() {
            Some(actor.name.clone())
        } else {
            current.met_by.clone()
        };
        let days = Some((every, window));
        self.write_duty_in(&tx, portal, key, met, met_by, days, actor.at)
            .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            if change.last_met_at.is_some() {
                "portal_duty.met"
            } else {
                "portal_duty.updated"
            },
            &format!("practice_portal {portal}"),
            Some(json!({
                "duty": key, "last_met_at": met, "every_days": every, "window_days": window,
            })),
        )
        .await?;
        tx.commit().await?;
        self.duties(Some(portal), actor.at)
            .await?
            .into_iter()
            .find(|d| d.key == key)
            .ok_or(StoreError::NotFound("duty"))
    }
}

impl TenantStore<'_> {
    /// Whether a `recertify` task was already opened for this duty's deadline (in any state:
    /// a cancelled one is not reopened by the sweeper).
    pub(crate) async fn duty_task_exists_in(
        &self,
        tx: &WriteTx,
        portal: &str,
        key: &str,
        due_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(task::Entity::find()
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::PortalSlug.eq(portal))
            .filter(task::Column::DutyKey.eq(key))
            .filter(task::Column::DueAt.eq(due_at))
            .count(&tx.tx)
            .await?
            > 0)
    }

    /// Records a duty met (its `recertify` task was done), keeping the practice's cadence
    /// and window.
    pub(crate) async fn duty_met_in(
        &self,
        tx: &WriteTx,
        portal: &str,
        key: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let by = Some(actor.name.clone());
        self.write_duty_in(tx, portal, key, Some(actor.at), by, None, actor.at)
            .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "portal_duty.met",
            &format!("practice_portal {portal}"),
            Some(json!({"duty": key, "last_met_at": actor.at})),
        )
        .await
    }
}

impl TenantStore<'_> {
    /// Writes the practice's record of a duty: when it was met and by whom, and, with
    /// `days`, its own cadence and window (`None` inside: the catalogue's); without `days`
    /// the practice's values stand.
    #[allow(clippy::too_many_arguments)]
    async fn write_duty_in(
        &self,
        tx: &WriteTx,
        portal: &str,
        key: &str,
        met: Option<DateTime<Utc>>,
        met_by: Option<String>,
        days: Option<(Option<u32>, Option<u32>)>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let stored = |d: Option<u32>| d.map(|d| i32::try_from(d).unwrap_or(i32::MAX));
        let (every, window) = days.unwrap_or_default();
        let mut kept = vec![
            portal_duty::Column::LastMetAt,
            portal_duty::Column::MetBy,
            portal_duty::Column::UpdatedAt,
        ];
        if days.is_some() {
            kept.extend([
                portal_duty::Column::EveryDays,
                portal_duty::Column::WindowDays,
            ]);
        }
        portal_duty::Entity::insert(portal_duty::ActiveModel {
            practice_id: Set(self.practice.as_uuid()),
            portal_slug: Set(portal.to_owned()),
            duty_key: Set(key.to_owned()),
            last_met_at: Set(met),
            met_by: Set(met_by),
            every_days: Set(stored(every)),
            window_days: Set(stored(window)),
            updated_at: Set(at),
        })
        .on_conflict(
            OnConflict::columns([
                portal_duty::Column::PracticeId,
                portal_duty::Column::PortalSlug,
                portal_duty::Column::DutyKey,
            ])
            .update_columns(kept)
            .to_owned(),
        )
        .exec_without_returning(&tx.tx)
        .await?;
        Ok(())
    }
}

fn portal_duty(
    slug: &str,
    portal_name: &str,
    duty: &Duty,
    row: Option<&portal_duty::Model>,
    added: DateTime<Utc>,
    now: DateTime<Utc>,
) -> PortalDuty {
    let days = |v: Option<i32>| v.and_then(|d| u32::try_from(d).ok());
    let every_days = days(row.and_then(|r| r.every_days)).unwrap_or(duty.every_days);
    let window_days = days(row.and_then(|r| r.window_days)).unwrap_or(duty.window_days);
    let last_met_at = row.and_then(|r| r.last_met_at);
    let when = calendar(every_days, window_days, last_met_at, added, now);
    PortalDuty {
        portal: slug.to_owned(),
        portal_name: portal_name.to_owned(),
        key: duty.key.clone(),
        name: duty.name.clone(),
        kind: duty.kind,
        consequence: duty.consequence.clone(),
        every_days,
        window_days,
        catalogue_every_days: duty.every_days,
        catalogue_window_days: duty.window_days,
        last_met_at,
        met_by: row.and_then(|r| r.met_by.clone()),
        due_at: when.due_at,
        window_opens_at: when.window_opens_at,
        state: when.state,
        escalates_from_day_one: duty.escalates_from_day_one(),
    }
}
