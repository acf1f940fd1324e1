//! The portals a practice uses ("carrier mapping"): catalogue portals or its own, with org
//! scope, admin limits, SLA overrides and sign-in URL.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entities::practice_portal;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::audit;
use super::{StoreError, TenantStore, map_unique};
use crate::domain::actor::Actor;
use crate::domain::catalog::Portal;
use crate::domain::sla::SlaOverrides;
use crate::domain::training::TrainingRule;

/// Which organization the practice is in a portal: the identifiers portals key access on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgScope {
    /// Tax identification number, 9 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tin: Option<String>,
    /// Group NPI, 10 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_npi: Option<String>,
    /// Medicare PTAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub ptan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub trading_partner_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PracticePortal {
    pub id: Uuid,
    /// The catalogue entry, or the practice's own definition.
    pub portal: Portal,
    pub custom: bool,
    pub org_scope: OrgScope,
    pub min_admins: Option<u32>,
    pub max_admins: Option<u32>,
    pub sla_overrides: SlaOverrides,
    /// Training before access as it applies to this practice: the catalogue's rule with the
    /// practice's choices over it.
    pub training: TrainingRule,
    /// The practice's own choices (`None`: the catalogue's), for showing which is which.
    pub training_required_set: Option<bool>,
    pub training_valid_days_set: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// What a create or update writes.
#[derive(Debug, Clone, PartialEq)]
pub struct PracticePortalWrite {
    pub portal_slug: String,
    /// A practice-defined portal; `None` for a catalogue portal.
    pub custom: Option<Portal>,
    pub org_scope: OrgScope,
    pub min_admins: Option<u32>,
    pub max_admins: Option<u32>,
    pub sla_overrides: SlaOverrides,
    pub url: Option<String>,
}

impl TenantStore<'_> {
    /// The practice's portals, by slug, with their definitions resolved.
    pub async fn practice_portals(&self) -> Result<BTreeMap<String, PracticePortal>, StoreError> {
        self.practice_portals_in(self.db).await
    }

    pub(crate) async fn practice_portals_in(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<BTreeMap<String, PracticePortal>, StoreError> {
        let rows = practice_portal::Entity::find()
            .filter(practice_portal::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_asc(practice_portal::Column::PortalSlug)
            .all(db)
            .await?;
        let mut out = BTreeMap::new();
        for row in rows {
            let portal = self.resolve(&row)?;
            out.insert(row.portal_slug.clone(), portal);
        }
        Ok(out)
    }

    fn resolve(&self, row: &practice_portal::Model) -> Result<PracticePortal, StoreError> {
        let corrupt = || StoreError::Corrupt("practice portal");
        let (mut portal, custom) = match &row.custom_definition {
            Some(json) => (
                serde_json::from_value::<Portal>(json.clone()).map_err(|_| corrupt())?,
                true,
            ),
            None => match self.store.catalog().portal(&row.portal_slug) {
                Some(portal) => (portal.clone(), false),
                // A portal dropped from a newer catalogue stays usable under its slug.
                None => (
                    Portal {
                        slug: row.portal_slug.clone(),
                        name: row.portal_slug.clone(),
                        url: row.url.clone().unwrap_or_default(),
                        kind: crate::domain::catalog::PortalKind::Other,
                        payers: Vec::new(),
                        jurisdictions: Vec::new(),
                        multi_org: false,
                        user_admin_place: None,
                        admin_limits: Default::default(),
                        lifecycle: Default::default(),
                        duties: Vec::new(),
                        list_columns: None,
                        roles: Vec::new(),
                    },
                    false,
                ),
            },
        };
        if let Some(url) = &row.url {
            portal.url = url.clone();
        }
        let as_u32 = |v: Option<i32>| v.and_then(|n| u32::try_from(n).ok());
        let training = TrainingRule::of_catalogue(&portal)
            .with_practice(row.training_required, as_u32(row.training_valid_days));
        Ok(PracticePortal {
            training,
            training_required_set: row.training_required,
            training_valid_days_set: as_u32(row.training_valid_days),
            id: row.id,
            portal,
            custom,
            org_scope: serde_json::from_value(row.org_scope.clone()).map_err(|_| corrupt())?,
            min_admins: as_u32(row.min_admins),
            max_admins: as_u32(row.max_admins),
            sla_overrides: serde_json::from_value(row.sla_overrides.clone())
                .map_err(|_| corrupt())?,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        })
    }

    /// Adds a portal to the practice. Already there: [`StoreError::Conflict`].
    pub async fn add_practice_portal(
        &self,
        write: PracticePortalWrite,
        actor: &Actor,
    ) -> Result<PracticePortal, StoreError> {
        let tx = self.begin_write().await?;
        let row = practice_portal::ActiveModel {
            id: Set(Uuid::now_v7()),
            practice_id: Set(self.practice.as_uuid()),
            portal_slug: Set(write.portal_slug.clone()),
            custom_definition: Set(write.custom.as_ref().map(to_json)),
            org_scope: Set(to_json(&write.org_scope)),
            min_admins: Set(write.min_admins.map(|n| n as i32)),
            max_admins: Set(write.max_admins.map(|n| n as i32)),
            sla_overrides: Set(to_json(&write.sla_overrides)),
            url: Set(write.url.clone()),
            admins_below_min_since: Set(None),
            training_required: Set(None),
            training_valid_days: Set(None),
            list_columns: Set(None),
            created_at: Set(actor.at),
            updated_at: Set(actor.at),
            version: Set(1),
        };
        let inserted = practice_portal::Entity::insert(row)
            .exec_with_returning(&tx.tx)
            .await
            .map_err(|e| map_unique(e, "this portal for the practice"))?;
        self.bump_configuration(&tx.tx).await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "practice_portal.added",
            &write.portal_slug,
            Some(to_json(&inserted.org_scope)),
        )
        .await?;
        let portal = self.resolve(&inserted)?;
        tx.commit().await?;
        Ok(portal)
    }

    pub async fn update_practice_portal(
        &self,
        write: PracticePortalWrite,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<PracticePortal, StoreError> {
        let tx = self.begin_write().await?;
        let current = practice_portal::Entity::find()
            .filter(practice_portal::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(practice_portal::Column::PortalSlug.eq(&write.portal_slug))
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("practice portal"))?;
        if let Some(expected) = expected_version
            && expected != current.version
        {
            return Err(StoreError::VersionMismatch {
                current: current.version,
            });
        }
        let result = practice_portal::Entity::update_many()
            .col_expr(
                practice_portal::Column::CustomDefinition,
                Expr::value(write.custom.as_ref().map(to_json)),
            )
            .col_expr(
                practice_portal::Column::OrgScope,
                Expr::value(to_json(&write.org_scope)),
            )
            .col_expr(
                practice_portal::Column::MinAdmins,
                Expr::value(write.min_admins.map(|n| n as i32)),
            )
            .col_expr(
                practice_portal::Column::MaxAdmins,
                Expr::value(write.max_admins.map(|n| n as i32)),
            )
            .col_expr(
                practice_portal::Column::SlaOverrides,
                Expr::value(to_json(&write.sla_overrides)),
            )
            .col_expr(practice_portal::Column::Url, Expr::value(write.url.clone()))
            .col_expr(practice_portal::Column::UpdatedAt, Expr::value(actor.at))
            .col_expr(
                practice_portal::Column::Version,
                Expr::value(current.version + 1),
            )
            .filter(practice_portal::Column::Id.eq(current.id))
            .filter(practice_portal::Column::Version.eq(current.version))
            .exec(&tx.tx)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::VersionMismatch {
                current: current.version,
            });
        }
        self.bump_configuration(&tx.tx).await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "practice_portal.updated",
            &write.portal_slug,
            Some(to_json(&write.org_scope)),
        )
        .await?;
        let updated = practice_portal::Entity::find_by_id(current.id)
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("practice portal"))?;
        let portal = self.resolve(&updated)?;
        tx.commit().await?;
        Ok(portal)
    }
}

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
