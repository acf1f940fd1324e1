//! People's training per portal: the recording that counts for each (earlier ones are in the
//! audit trail), the practice's training rule per portal, and the tasks that wait for a
//! training or renew one. Recording a training releases the provision tasks waiting for it
//! and finishes an open renewal task, in the same transaction. Every read and write is scoped
//! to the practice.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entities::{practice_portal, scim_user, task, training_record};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::audit::{self, Entry};
use super::portals::PracticePortal;
use super::{StoreError, TenantStore, WriteTx};
use crate::domain::actor::Actor;
use crate::domain::task::{Outcome, TaskKind, TaskState};
use crate::domain::training::{
    RENEW_DAYS_BEFORE, TrainingRule, TrainingState, WAITING_FOR_TRAINING, check_valid_days,
};

/// A person's training for one portal, as the person's page and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonTraining {
    pub portal: String,
    pub portal_name: String,
    /// The portal requires training before access (the catalogue's rule or the practice's).
    pub required: bool,
    pub completed_at: Option<DateTime<Utc>>,
    /// When it lapses; null: never, or not recorded.
    pub expires_at: Option<DateTime<Utc>>,
    /// How it was recorded: `console`, `api`, `task`, or `SCIM group <name>`.
    pub source: Option<String>,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub state: TrainingState,
}

/// How a training came to be recorded.
#[derive(Debug, Clone)]
pub enum TrainingSource {
    Console,
    Api,
    /// Its renewal task was done.
    Task,
    /// The person is in the SCIM group the policy names for the portal.
    ScimGroup(String),
}

impl TrainingSource {
    fn text(&self) -> String {
        match self {
            Self::Console => "console".into(),
            Self::Api => "api".into(),
            Self::Task => "task".into(),
            Self::ScimGroup(name) => format!("SCIM group {name}"),
        }
    }
}

/// A training about to lapse with no renewal task yet.
#[derive(Debug, Clone)]
pub struct LapsingTraining {
    pub person_id: Uuid,
    pub portal: String,
    pub expires_at: DateTime<Utc>,
}

impl TenantStore<'_> {
    /// A person's training for every portal that requires it, and any other recorded.
    pub async fn training_of(
        &self,
        person: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<PersonTraining>, StoreError> {
        self.person_exists(self.db, person).await?;
        let portals = self.practice_portals().await?;
        let records: HashMap<String, training_record::Model> = training_record::Entity::find()
            .filter(training_record::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(training_record::Column::PersonId.eq(person))
            .all(self.db)
            .await?
            .into_iter()
            .map(|r| (r.portal_slug.clone(), r))
            .collect();
        Ok(portals
            .iter()
            .filter(|(slug, p)| p.training.required || records.contains_key(*slug))
            .map(|(slug, p)| shown(slug, p, records.get(slug), now))
            .collect())
    }

    /// Every recorded training of the practice, by person and portal (the access report).
    pub async fn training_records(
        &self,
    ) -> Result<HashMap<(Uuid, String), training_record::Model>, StoreError> {
        Ok(training_record::Entity::find()
            .filter(training_record::Column::PracticeId.eq(self.practice.as_uuid()))
            .all(self.db)
            .await?
            .into_iter()
            .map(|r| ((r.person_id, r.portal_slug.clone()), r))
            .collect())
    }

    /// Records a person's training for a portal the practice uses, completed at `completed`
    /// (not in the future); releases what waited for it. Audited.
    pub async fn record_training(
        &self,
        person: Uuid,
        portal: &str,
        completed: DateTime<Utc>,
        source: TrainingSource,
        actor: &Actor,
    ) -> Result<PersonTraining, StoreError> {
        if completed > actor.at {
            return Err(StoreError::Refused(
                "`completed_at` cannot be in the future".into(),
            ));
        }
        let portals = self.practice_portals().await?;
        let practice_portal = portals
            .get(portal)
            .ok_or(StoreError::NotFound("practice portal"))?;
        let tx = self.begin_write().await?;
        self.person_exists(&tx.tx, person).await?;
        let trail = self
            .record_training_in(
                &tx,
                person,
                portal,
                practice_portal.training,
                completed,
                &source,
                actor,
            )
            .await?;
        self.append_audit(&tx, actor, trail).await?;
        tx.commit().await?;
        self.training_of(person, actor.at)
            .await?
            .into_iter()
            .find(|t| t.portal == portal)
            .ok_or(StoreError::NotFound("training"))
    }

    /// Writes the training, releases the person's tasks for the portal that waited for it
    /// and, unless the renewal task itself is being done, finishes an open renewal task.
    /// Returns the audit records it owes.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn record_training_in(
        &self,
        tx: &WriteTx,
        person: Uuid,
        portal: &str,
        rule: TrainingRule,
        completed: DateTime<Utc>,
        source: &TrainingSource,
        actor: &Actor,
    ) -> Result<Vec<Entry>, StoreError> {
        let expires_at = rule.expires_at(completed);
        training_record::Entity::insert(training_record::ActiveModel {
            practice_id: Set(self.practice.as_uuid()),
            person_id: Set(person),
            portal_slug: Set(portal.to_owned()),
            completed_at: Set(completed),
            expires_at: Set(expires_at),
            source: Set(source.text()),
            recorded_by: Set(actor.name.clone()),
            recorded_at: Set(actor.at),
        })
        .on_conflict(
            OnConflict::columns([
                training_record::Column::PracticeId,
                training_record::Column::PersonId,
                training_record::Column::PortalSlug,
            ])
            .update_columns([
                training_record::Column::CompletedAt,
                training_record::Column::ExpiresAt,
                training_record::Column::Source,
                training_record::Column::RecordedBy,
                training_record::Column::RecordedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(&tx.tx)
        .await?;
        let mut trail = vec![Entry {
            action: "training.recorded".into(),
            target: format!("person {person}"),
            detail: Some(json!({
                "portal": portal, "completed_at": completed, "expires_at": expires_at,
                "source": source.text(),
            })),
        }];
        let open = [TaskState::Open.as_str(), TaskState::Claimed.as_str()];
        let mine = || {
            task::Entity::find()
                .select_only()
                .column(task::Column::Id)
                .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(task::Column::PersonId.eq(person))
                .filter(task::Column::PortalSlug.eq(portal))
                .filter(task::Column::State.is_in(open))
        };
        let waiting: Vec<Uuid> = mine()
            .filter(task::Column::WaitingFor.eq(WAITING_FOR_TRAINING))
            .into_tuple()
            .all(&tx.tx)
            .await?;
        if !waiting.is_empty() {
            task::Entity::update_many()
                .col_expr(task::Column::WaitingFor, Expr::value(None::<String>))
                .col_expr(task::Column::UpdatedAt, Expr::value(actor.at))
                .col_expr(
                    task::Column::Version,
                    Expr::col(task::Column::Version).add(1),
                )
                .filter(task::Column::Id.is_in(waiting.iter().copied()))
                .exec(&tx.tx)
                .await?;
            trail.extend(waiting.iter().map(|id| Entry {
                action: "task.unblocked".into(),
                target: format!("task {id}"),
                detail: Some(json!({"reason": "training recorded", "portal": portal})),
            }));
        }
        if !matches!(source, TrainingSource::Task) {
            let renewals: Vec<Uuid> = mine()
                .filter(task::Column::Kind.eq(TaskKind::Training.as_str()))
                .into_tuple()
                .all(&tx.tx)
                .await?;
            if !renewals.is_empty() {
                let evidence = json!({"note": format!("Training recorded ({})", source.text())});
                task::Entity::update_many()
                    .col_expr(task::Column::State, Expr::value(TaskState::Done.as_str()))
                    .col_expr(
                        task::Column::Outcome,
                        Expr::value(Outcome::Completed.as_str()),
                    )
                    .col_expr(task::Column::DoneBy, Expr::value(actor.name.clone()))
                    .col_expr(task::Column::DoneAt, Expr::value(actor.at))
                    .col_expr(task::Column::Evidence, Expr::value(evidence.clone()))
                    .col_expr(task::Column::UpdatedAt, Expr::value(actor.at))
                    .col_expr(
                        task::Column::Version,
                        Expr::col(task::Column::Version).add(1),
                    )
                    .filter(task::Column::Id.is_in(renewals.iter().copied()))
                    .exec(&tx.tx)
                    .await?;
                trail.extend(renewals.iter().map(|id| Entry {
                    action: "task.completed".into(),
                    target: format!("task {id}"),
                    detail: Some(json!({"evidence": evidence})),
                }));
            }
        }
        Ok(trail)
    }

    /// The recorded trainings of `people`, per person and portal: whether each counts now.
    pub(crate) async fn training_in(
        &self,
        tx: &WriteTx,
        people: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<HashMap<(Uuid, String), bool>, StoreError> {
        let mut out = HashMap::new();
        for chunk in people.chunks(1000) {
            let rows = training_record::Entity::find()
                .filter(training_record::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(training_record::Column::PersonId.is_in(chunk.iter().copied()))
                .all(&tx.tx)
                .await?;
            out.extend(rows.into_iter().map(|r| {
                let counts = TrainingState::at(true, r.expires_at, now).counts();
                ((r.person_id, r.portal_slug), counts)
            }));
        }
        Ok(out)
    }

    /// Sets whether a portal requires training before access and for how long it is valid
    /// (`None`: the catalogue's). Provision tasks already open follow: turned on, those of
    /// people without a training that counts wait for it; turned off, none waits. Audited.
    pub async fn set_training_rule(
        &self,
        portal: &str,
        required: Option<bool>,
        valid_days: Option<u32>,
        actor: &Actor,
    ) -> Result<PracticePortal, StoreError> {
        if let Some(days) = valid_days {
            check_valid_days(days).map_err(StoreError::Refused)?;
        }
        let tx = self.begin_write().await?;
        let row = practice_portal::Entity::find()
            .filter(practice_portal::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(practice_portal::Column::PortalSlug.eq(portal))
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("practice portal"))?;
        practice_portal::Entity::update_many()
            .col_expr(
                practice_portal::Column::TrainingRequired,
                Expr::value(required),
            )
            .col_expr(
                practice_portal::Column::TrainingValidDays,
                Expr::value(valid_days.map(|d| i32::try_from(d).unwrap_or(i32::MAX))),
            )
            .col_expr(practice_portal::Column::UpdatedAt, Expr::value(actor.at))
            .col_expr(
                practice_portal::Column::Version,
                Expr::value(row.version + 1),
            )
            .filter(practice_portal::Column::Id.eq(row.id))
            .exec(&tx.tx)
            .await?;
        self.bump_configuration(&tx.tx).await?;
        let updated = self
            .practice_portals_in(&tx.tx)
            .await?
            .remove(portal)
            .ok_or(StoreError::NotFound("practice portal"))?;
        let changed = self
            .hold_open_provisions_in(&tx, portal, updated.training.required, actor)
            .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "practice_portal.training",
            portal,
            Some(json!({
                "required": updated.training.required,
                "valid_days": updated.training.valid_days,
                "practice_set": {"required": required, "valid_days": valid_days},
                "tasks_changed": changed,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Makes the portal's open provision tasks wait for training (`required`) where their
    /// person's does not count, or releases them all. Returns how many changed.
    async fn hold_open_provisions_in(
        &self,
        tx: &WriteTx,
        portal: &str,
        required: bool,
        actor: &Actor,
    ) -> Result<u64, StoreError> {
        let open = [TaskState::Open.as_str(), TaskState::Claimed.as_str()];
        let provisions: Vec<(Uuid, Option<Uuid>, Option<String>)> = task::Entity::find()
            .select_only()
            .column(task::Column::Id)
            .column(task::Column::PersonId)
            .column(task::Column::WaitingFor)
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::PortalSlug.eq(portal))
            .filter(task::Column::Kind.eq(TaskKind::Provision.as_str()))
            .filter(task::Column::State.is_in(open))
            .into_tuple()
            .all(&tx.tx)
            .await?;
        let people: Vec<Uuid> = provisions.iter().filter_map(|p| p.1).collect();
        let known = self.training_in(tx, &people, actor.at).await?;
        let (hold, release): (Vec<Uuid>, Vec<Uuid>) = if required {
            let hold = provisions
                .iter()
                .filter(|(_, person, waiting)| {
                    waiting.is_none()
                        && person.is_some_and(|p| known.get(&(p, portal.to_owned())) != Some(&true))
                })
                .map(|p| p.0)
                .collect();
            (hold, Vec::new())
        } else {
            let release = provisions
                .iter()
                .filter(|p| p.2.is_some())
                .map(|p| p.0)
                .collect();
            (Vec::new(), release)
        };
        for (ids, waiting_for) in [(&hold, Some(WAITING_FOR_TRAINING)), (&release, None)] {
            for chunk in ids.chunks(500) {
                task::Entity::update_many()
                    .col_expr(task::Column::WaitingFor, Expr::value(waiting_for))
                    .col_expr(task::Column::UpdatedAt, Expr::value(actor.at))
                    .col_expr(
                        task::Column::Version,
                        Expr::col(task::Column::Version).add(1),
                    )
                    .filter(task::Column::Id.is_in(chunk.iter().copied()))
                    .exec(&tx.tx)
                    .await?;
            }
        }
        Ok((hold.len() + release.len()) as u64)
    }

    /// Trainings of active people lapsing within [`RENEW_DAYS_BEFORE`] days (or lapsed) in a
    /// portal that requires training, with no renewal task for that lapse yet.
    pub(crate) async fn lapsing_training(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<LapsingTraining>, StoreError> {
        let portals = self.practice_portals().await?;
        let rows = training_record::Entity::find()
            .filter(training_record::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(training_record::Column::ExpiresAt.lte(now + Duration::days(RENEW_DAYS_BEFORE)))
            .all(self.db)
            .await?;
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| {
                portals
                    .get(&r.portal_slug)
                    .is_some_and(|p| p.training.required)
            })
            .collect();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let people: Vec<Uuid> = rows.iter().map(|r| r.person_id).collect();
        let mut active = HashSet::new();
        let mut renewals = HashSet::new();
        for chunk in people.chunks(500) {
            let found: Vec<Uuid> = scim_user::Entity::find()
                .select_only()
                .column(scim_user::Column::Id)
                .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(scim_user::Column::Id.is_in(chunk.iter().copied()))
                .filter(scim_user::Column::Active.eq(true))
                .filter(scim_user::Column::DeletedAt.is_null())
                .into_tuple()
                .all(self.db)
                .await?;
            active.extend(found);
            let tasks: Vec<(Option<Uuid>, Option<String>, DateTime<Utc>)> = task::Entity::find()
                .select_only()
                .column(task::Column::PersonId)
                .column(task::Column::PortalSlug)
                .column(task::Column::DueAt)
                .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(task::Column::PersonId.is_in(chunk.iter().copied()))
                .filter(task::Column::Kind.eq(TaskKind::Training.as_str()))
                .into_tuple()
                .all(self.db)
                .await?;
            renewals.extend(
                tasks
                    .into_iter()
                    .filter_map(|(p, portal, due)| Some((p?, portal?, due))),
            );
        }
        Ok(rows
            .into_iter()
            .filter(|r| active.contains(&r.person_id))
            .filter_map(|r| {
                let expires_at = r.expires_at?;
                (!renewals.contains(&(r.person_id, r.portal_slug.clone(), expires_at))).then_some(
                    LapsingTraining {
                        person_id: r.person_id,
                        portal: r.portal_slug,
                        expires_at,
                    },
                )
            })
            .collect())
    }

    /// The person is one of the practice's (a tombstoned one included).
    async fn person_exists(
        &self,
        db: &impl ConnectionTrait,
        person: Uuid,
    ) -> Result<(), StoreError> {
        scim_user::Entity::find_by_id(person)
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(db)
            .await?
            .map(|_| ())
            .ok_or(StoreError::NotFound("person"))
    }
}

fn shown(
    slug: &str,
    portal: &PracticePortal,
    record: Option<&training_record::Model>,
    now: DateTime<Utc>,
) -> PersonTraining {
    PersonTraining {
        portal: slug.to_owned(),
        portal_name: portal.portal.name.clone(),
        required: portal.training.required,
        completed_at: record.map(|r| r.completed_at),
        expires_at: record.and_then(|r| r.expires_at),
        source: record.map(|r| r.source.clone()),
        recorded_by: record.map(|r| r.recorded_by.clone()),
        recorded_at: record.map(|r| r.recorded_at),
        state: TrainingState::at(record.is_some(), record.and_then(|r| r.expires_at), now),
    }
}
