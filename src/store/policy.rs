//! The practice's access policy (versioned; every version kept) and its SLA settings.

use chrono::{DateTime, Utc};
use entities::{access_policy, practice};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::audit;
use super::{StoreError, TenantStore, WriteTx, map_unique};
use crate::domain::actor::Actor;
use crate::domain::admin::AdminRole;
use crate::domain::policy::PolicyDocument;
use crate::domain::sla::SlaSettings;

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyVersion {
    /// 0: no policy has been set yet (an empty one applies).
    pub version: i32,
    pub document: PolicyDocument,
    pub actor: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<access_policy::Model> for PolicyVersion {
    fn from(m: access_policy::Model) -> Self {
        Self {
            version: m.version,
            document: serde_json::from_value(m.document).unwrap_or_default(),
            actor: Some(m.actor),
            created_at: Some(m.created_at),
        }
    }
}

impl TenantStore<'_> {
    pub async fn policy(&self) -> Result<PolicyVersion, StoreError> {
        self.policy_in(self.db).await
    }

    pub(crate) async fn policy_in(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<PolicyVersion, StoreError> {
        Ok(access_policy::Entity::find()
            .filter(access_policy::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_desc(access_policy::Column::Version)
            .one(db)
            .await?
            .map(PolicyVersion::from)
            .unwrap_or(PolicyVersion {
                version: 0,
                document: PolicyDocument::default(),
                actor: None,
                created_at: None,
            }))
    }

    pub async fn policy_history(&self) -> Result<Vec<PolicyVersion>, StoreError> {
        Ok(access_policy::Entity::find()
            .filter(access_policy::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_desc(access_policy::Column::Version)
            .all(self.db)
            .await?
            .into_iter()
            .map(PolicyVersion::from)
            .collect())
    }

    /// Stores a new policy version in `tx` (the caller validated it and recomputes tasks in
    /// the same transaction). Two concurrent writers cannot both take a version number.
    /// With `based_on`, the version the change was made against must still be the current one
    /// (a form opened before someone else's save is refused, not applied over it).
    pub(crate) async fn put_policy_in(
        &self,
        tx: &WriteTx,
        document: &PolicyDocument,
        actor: &Actor,
        based_on: Option<i32>,
    ) -> Result<i32, StoreError> {
        let current = self.policy_in(&tx.tx).await?.version;
        if let Some(expected) = based_on
            && expected != current
        {
            return Err(StoreError::VersionMismatch {
                current: i64::from(current),
            });
        }
        let next = current + 1;
        access_policy::Entity::insert(access_policy::ActiveModel {
            practice_id: Set(self.practice.as_uuid()),
            version: Set(next),
            document: Set(serde_json::to_value(document).unwrap_or_default()),
            actor: Set(actor.name.to_owned()),
            created_at: Set(actor.at),
        })
        .exec_without_returning(&tx.tx)
        .await
        .map_err(|e| map_unique(e, "a policy version with this number"))?;
        self.bump_configuration(&tx.tx).await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "policy.updated",
            &format!("policy v{next}"),
            serde_json::to_value(document).ok(),
        )
        .await?;
        Ok(next)
    }

    /// Four-eyes verification is the default; only a practice with a single active portal
    /// administrator may turn it off (nobody else could verify), and its reports then mark
    /// each self-verified removal.
    pub async fn set_four_eyes(&self, on: bool, actor: &Actor) -> Result<(), StoreError> {
        let tx = self.begin_write().await?;
        if !on {
            let portal_admins = self.admins_with_role(&tx, AdminRole::PortalAdmin).await?;
            if portal_admins.len() > 1 {
                return Err(StoreError::Refused(format!(
                    "four-eyes verification stays on while the practice has {} portal administrators; only a practice with a single one may turn it off",
                    portal_admins.len()
                )));
            }
        }
        practice::Entity::update_many()
            .col_expr(practice::Column::FourEyes, Expr::value(on))
            .filter(practice::Column::Id.eq(self.practice.as_uuid()))
            .exec(&tx.tx)
            .await?;
        self.bump_configuration(&tx.tx).await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "verification.updated",
            "settings",
            Some(serde_json::json!({"four_eyes": on})),
        )
        .await?;
        tx.commit().await
    }

    pub async fn set_sla(&self, sla: &SlaSettings, actor: &Actor) -> Result<(), StoreError> {
        let tx = self.begin_write().await?;
        let json = serde_json::to_value(sla).unwrap_or_default();
        practice::Entity::update_many()
            .col_expr(practice::Column::Sla, Expr::value(json.clone()))
            .filter(practice::Column::Id.eq(self.practice.as_uuid()))
            .exec(&tx.tx)
            .await?;
        self.bump_configuration(&tx.tx).await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "sla.updated",
            "sla",
            Some(json),
        )
        .await?;
        tx.commit().await
    }
}

impl TenantStore<'_> {
    /// The ids of every live person of the practice, read in the caller's transaction.
    pub(crate) async fn live_people(&self, tx: &WriteTx) -> Result<Vec<uuid::Uuid>, StoreError> {
        Ok(entities::scim_user::Entity::find()
            .select_only()
            .column(entities::scim_user::Column::Id)
            .filter(entities::scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(entities::scim_user::Column::DeletedAt.is_null())
            .into_tuple()
            .all(&tx.tx)
            .await?)
    }
}
