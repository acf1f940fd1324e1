//! Practices (tenants). Creating and listing them is a deployment-wide, operator-only act.

use std::fmt;

use chrono::{DateTime, Utc};
use entities::practice;
use sea_orm::ColumnTrait;
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{Store, StoreError, TenantStore, map_unique};
use crate::domain::practice::{BusinessHours, PracticeName, PracticeSlug, TimeZone};
use crate::domain::review::schedule::ReviewSchedule;
use crate::domain::sla::SlaSettings;

/// A practice's primary key. Only the store and authentication hand these out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PracticeId(pub(crate) Uuid);

impl PracticeId {
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for PracticeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone)]
pub struct NewPractice {
    pub slug: PracticeSlug,
    pub name: PracticeName,
    pub time_zone: TimeZone,
    pub business_hours: BusinessHours,
}

#[derive(Debug, Clone)]
pub struct Practice {
    pub id: PracticeId,
    pub slug: PracticeSlug,
    pub name: PracticeName,
    pub time_zone: TimeZone,
    pub business_hours: BusinessHours,
    pub created_at: DateTime<Utc>,
    pub sla: SlaSettings,
    pub four_eyes: bool,
    /// When access reviews open by themselves.
    pub review_schedule: ReviewSchedule,
    /// An HR roster keeps the directory: SCIM writes are refused.
    pub roster_managed: bool,
}

impl TryFrom<practice::Model> for Practice {
    type Error = StoreError;
    fn try_from(m: practice::Model) -> Result<Self, StoreError> {
        let corrupt = |_| StoreError::Corrupt("practice");
        Ok(Self {
            id: PracticeId(m.id),
            slug: PracticeSlug::parse(&m.slug).map_err(corrupt)?,
            name: PracticeName::parse(&m.name).map_err(|_| StoreError::Corrupt("practice"))?,
            time_zone: TimeZone::parse(&m.time_zone)
                .map_err(|_| StoreError::Corrupt("practice"))?,
            business_hours: BusinessHours::parse(&m.business_hours)
                .map_err(|_| StoreError::Corrupt("practice"))?,
            created_at: m.created_at,
            four_eyes: m.four_eyes,
            roster_managed: m.roster_managed,
            // An SLA that no longer parses must not lock the practice out: fall back to the
            // defaults and say so in the log.
            sla: m
                .sla
                .and_then(|json| {
                    serde_json::from_value(json)
                        .inspect_err(|e| tracing::error!(error = %e, "stored SLA settings are invalid; using defaults"))
                        .ok()
                })
                .unwrap_or_default(),
            review_schedule: m
                .review_schedule
                .and_then(|json| {
                    serde_json::from_value(json)
                        .inspect_err(|e| tracing::error!(error = %e, "stored review schedule is invalid; using the default"))
                        .ok()
                })
                .unwrap_or_default(),
        })
    }
}

impl Store {
    /// Operator: adds a tenant. A taken slug is [`StoreError::Conflict`].
    pub async fn create_practice(
        &self,
        new: NewPractice,
        now: DateTime<Utc>,
    ) -> Result<Practice, StoreError> {
        let model = practice::ActiveModel {
            id: Set(Uuid::now_v7()),
            slug: Set(new.slug.as_str().to_owned()),
            name: Set(new.name.as_str().to_owned()),
            time_zone: Set(new.time_zone.name().to_owned()),
            business_hours: Set(new.business_hours.to_text()),
            created_at: Set(now),
            version: Set(1),
            sla: Set(None),
            // A second person verifies by default; a single-administrator practice opts out.
            four_eyes: Set(true),
            review_schedule: Set(None),
            roster_managed: Set(false),
            roster_columns: Set(None),
        };
        let inserted = practice::Entity::insert(model)
            .exec_with_returning(self.connection())
            .await
            .map_err(|e| map_unique(e, "a practice with this slug"))?;
        inserted.try_into()
    }

    /// Operator: every practice, oldest first.
    pub async fn list_practices(&self) -> Result<Vec<Practice>, StoreError> {
        practice::Entity::find()
            .order_by_asc(practice::Column::CreatedAt)
            .order_by_asc(practice::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(Practice::try_from)
            .collect()
    }

    pub async fn count_practices(&self) -> Result<u64, StoreError> {
        Ok(practice::Entity::find().count(self.connection()).await?)
    }

    /// Resolves a slug named by an operator or carried in a JWT claim.
    pub async fn practice_by_slug(&self, slug: &PracticeSlug) -> Result<Practice, StoreError> {
        practice::Entity::find()
            .filter(practice::Column::Slug.eq(slug.as_str()))
            .one(self.connection())
            .await?
            .ok_or(StoreError::NotFound("practice"))?
            .try_into()
    }
}

impl TenantStore<'_> {
    /// The practice this store is scoped to.
    pub async fn practice(&self) -> Result<Practice, StoreError> {
        practice::Entity::find_by_id(self.practice.0)
            .one(self.db)
            .await?
            .ok_or(StoreError::NotFound("practice"))?
            .try_into()
    }
}
