//! People as the console lists them: a search by name, e-mail or user name, and the lifecycle
//! events that caused a person's tasks.

use chrono::{DateTime, Utc};
use entities::{lifecycle_event, scim_user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use super::{StoreError, TenantStore};
use crate::domain::directory::display_name;

/// A person in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSummary {
    pub id: Uuid,
    pub display: String,
    pub user_name: String,
    pub active: bool,
    /// Deleted in the identity provider (their tasks and records stay).
    pub deleted: bool,
}

/// A joiner, mover, leaver or rehire signal, as detected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonEvent {
    pub id: Uuid,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub policy_version: Option<i32>,
}

/// The columns a summary is made of: id, user name, attributes, active, deleted at.
type SummaryRow = (Uuid, String, Value, bool, Option<DateTime<Utc>>);

fn summary((id, user_name, attributes, active, deleted_at): SummaryRow) -> PersonSummary {
    PersonSummary {
        id,
        display: display_name(&attributes, &user_name),
        user_name,
        active,
        deleted: deleted_at.is_some(),
    }
}

impl TenantStore<'_> {
    /// People whose name, e-mail or user name holds `text` (everyone when empty), by user
    /// name; at most `limit`.
    pub async fn people(&self, text: &str, limit: u64) -> Result<Vec<PersonSummary>, StoreError> {
        let mut select = scim_user::Entity::find()
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()));
        if !text.trim().is_empty() {
            let ids = self.people_matching(text, limit).await?;
            select = select.filter(scim_user::Column::Id.is_in(ids));
        }
        let ids: Vec<Uuid> = select
            .select_only()
            .column(scim_user::Column::Id)
            .order_by_asc(scim_user::Column::UserNameKey)
            .limit(limit)
            .into_tuple()
            .all(self.db)
            .await?;
        let mut found: Vec<PersonSummary> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            found.extend(
                self.select_summaries_of(chunk)
                    .all(self.db)
                    .await?
                    .into_iter()
                    .map(summary),
            );
        }
        found.sort_by_key(|p| p.user_name.to_lowercase());
        Ok(found)
    }

    fn select_summaries_of(
        &self,
        ids: &[Uuid],
    ) -> sea_orm::Selector<sea_orm::SelectGetableTuple<SummaryRow>> {
        scim_user::Entity::find()
            .select_only()
            .column(scim_user::Column::Id)
            .column(scim_user::Column::UserName)
            .column(scim_user::Column::Attributes)
            .column(scim_user::Column::Active)
            .column(scim_user::Column::DeletedAt)
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_user::Column::Id.is_in(ids.iter().copied()))
            .into_tuple()
    }

    /// A person, deleted or not; `NotFound` outside the practice.
    pub async fn person(&self, id: Uuid) -> Result<PersonSummary, StoreError> {
        self.select_summaries_of(&[id])
            .one(self.db)
            .await?
            .map(summary)
            .ok_or(StoreError::NotFound("person"))
    }

    /// The person's lifecycle events, newest first.
    pub async fn events_of(&self, person: Uuid) -> Result<Vec<PersonEvent>, StoreError> {
        Ok(lifecycle_event::Entity::find()
            .filter(lifecycle_event::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(lifecycle_event::Column::PersonId.eq(person))
            .order_by_desc(lifecycle_event::Column::At)
            .limit(200)
            .all(self.db)
            .await?
            .into_iter()
            .map(|e| PersonEvent {
                id: e.id,
                kind: e.kind,
                at: e.at,
                policy_version: e.policy_version,
            })
            .collect())
    }
}
