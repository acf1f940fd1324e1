//! The practice's escalation policy: versioned like the access policy, every version kept.

use chrono::{DateTime, Utc};
use entities::{escalation_policy, task};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::audit;
use super::{StoreError, TenantStore, map_unique};
use crate::domain::actor::Actor;
use crate::domain::escalation::EscalationPolicy;
use crate::domain::task::TaskState;

#[derive(Debug, Clone, PartialEq)]
pub struct EscalationPolicyVersion {
    /// 0: never set; the defaults apply.
    pub version: i32,
    pub document: EscalationPolicy,
    pub actor: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<escalation_policy::Model> for EscalationPolicyVersion {
    fn from(m: escalation_policy::Model) -> Self {
        Self {
            version: m.version,
            // Stored documents were checked when written; one that no longer parses (a hand
            // edit) falls back to the defaults rather than silencing every alert.
            document: serde_json::from_value(m.document)
                .inspect_err(|e| tracing::error!(error = %e, "stored escalation policy is invalid; using defaults"))
                .unwrap_or_default(),
            actor: Some(m.actor),
            created_at: Some(m.created_at),
        }
    }
}

impl TenantStore<'_> {
    pub async fn escalation_policy(&self) -> Result<EscalationPolicyVersion, StoreError> {
        self.escalation_policy_in(self.db).await
    }

    /// The current escalation policy, read under the practice's write lock.
    pub(crate) async fn escalation_policy_in_tx(
        &self,
        tx: &super::WriteTx,
    ) -> Result<EscalationPolicyVersion, StoreError> {
        self.escalation_policy_in(&tx.tx).await
    }

    pub(crate) async fn escalation_policy_in(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<EscalationPolicyVersion, StoreError> {
        Ok(escalation_policy::Entity::find()
            .filter(escalation_policy::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_desc(escalation_policy::Column::Version)
            .one(db)
            .await?
            .map(EscalationPolicyVersion::from)
            .unwrap_or(EscalationPolicyVersion {
                version: 0,
                document: EscalationPolicy::default(),
                actor: None,
                created_at: None,
            }))
    }

    pub async fn escalation_policy_history(
        &self,
    ) -> Result<Vec<EscalationPolicyVersion>, StoreError> {
        Ok(escalation_policy::Entity::find()
            .filter(escalation_policy::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_desc(escalation_policy::Column::Version)
            .all(self.db)
            .await?
            .into_iter()
            .map(EscalationPolicyVersion::from)
            .collect())
    }

    /// Stores a new version (the caller checked it) and has the sweeper work out every open
    /// task's next alert again. Steps already taken stay taken.
    /// With `based_on`, the version the change was made against must still be the current
    /// one (checked in the write).
    pub async fn replace_escalation_policy(
        &self,
        document: &EscalationPolicy,
        actor: &Actor,
        based_on: Option<i32>,
    ) -> Result<i32, StoreError> {
        let tx = self.begin_write().await?;
        let current = self.escalation_policy_in(&tx.tx).await?.version;
        if let Some(expected) = based_on
            && expected != current
        {
            return Err(StoreError::VersionMismatch {
                current: i64::from(current),
            });
        }
        let next = current + 1;
        let json = serde_json::to_value(document).unwrap_or_default();
        escalation_policy::Entity::insert(escalation_policy::ActiveModel {
            practice_id: Set(self.practice.as_uuid()),
            version: Set(next),
            document: Set(json.clone()),
            actor: Set(actor.name.to_owned()),
            created_at: Set(actor.at),
        })
        .exec_without_returning(&tx.tx)
        .await
        .map_err(|e| map_unique(e, "an escalation policy version with this number"))?;
        // New tasks work out their first alert from the policy the engine remembers.
        self.bump_configuration(&tx.tx).await?;
        task::Entity::update_many()
            .col_expr(
                task::Column::NextAlertAt,
                Expr::value(None::<DateTime<Utc>>),
            )
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::State.is_in(TaskState::PENDING))
            .exec(&tx.tx)
            .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "escalation_policy.updated",
            &format!("escalation policy v{next}"),
            Some(json),
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }
}
