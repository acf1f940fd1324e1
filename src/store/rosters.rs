//! The rows behind HR roster imports (`engine::rosters` decides): the import records, the
//! directory as a roster compares it, and the practice's roster settings (whether a roster
//! keeps its directory, how its rosters name their columns).

use chrono::{DateTime, Utc};
use entities::{practice, roster_import, scim_user};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use super::{StoreError, TenantStore, WriteTx};
use crate::domain::actor::Actor;
use crate::domain::roster::{DirectoryPerson, RosterColumns, RosterPerson, RosterPlan};

/// A roster import as stored.
#[derive(Debug, Clone)]
pub struct RosterImportRecord {
    pub id: Uuid,
    pub file_name: String,
    pub sha256: String,
    pub size: u64,
    pub columns: RosterColumns,
    pub people: Vec<RosterPerson>,
    pub plan: RosterPlan,
    pub committed: bool,
    pub previewed_by: String,
    pub previewed_at: DateTime<Utc>,
    pub committed_by: Option<String>,
    pub committed_at: Option<DateTime<Utc>>,
    pub confirmed_missing: Option<u32>,
}

/// A roster preview about to be kept.
#[derive(Debug)]
pub struct NewRosterImport<'a> {
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub size: u64,
    pub columns: &'a RosterColumns,
    pub people: &'a [RosterPerson],
    pub plan: &'a RosterPlan,
}

const PREVIEWED: &str = "previewed";
const COMMITTED: &str = "committed";

/// A user's id, userName, attributes, active flag and deletion time.
type UserRow = (Uuid, String, Value, bool, Option<DateTime<Utc>>);

fn record(row: roster_import::Model) -> Result<RosterImportRecord, StoreError> {
    let corrupt = |_| StoreError::Corrupt("roster import");
    Ok(RosterImportRecord {
        id: row.id,
        file_name: row.file_name,
        sha256: row.sha256,
        size: u64::try_from(row.size).unwrap_or_default(),
        columns: serde_json::from_value(row.columns).map_err(corrupt)?,
        people: serde_json::from_value(row.people).map_err(corrupt)?,
        plan: serde_json::from_value(row.plan).map_err(corrupt)?,
        committed: row.state == COMMITTED,
        previewed_by: row.previewed_by,
        previewed_at: row.previewed_at,
        committed_by: row.committed_by,
        committed_at: row.committed_at,
        confirmed_missing: row.confirmed_missing.and_then(|n| u32::try_from(n).ok()),
    })
}

fn json_of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl TenantStore<'_> {
    /// Everyone in the practice's directory, deleted or not, as a roster compares them.
    pub(crate) async fn directory_people(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Vec<DirectoryPerson>, StoreError> {
        let rows: Vec<UserRow> = scim_user::Entity::find()
            .select_only()
            .column(scim_user::Column::Id)
            .column(scim_user::Column::UserName)
            .column(scim_user::Column::Attributes)
            .column(scim_user::Column::Active)
            .column(scim_user::Column::DeletedAt)
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .into_tuple()
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, user_name, attributes, active, deleted_at)| DirectoryPerson {
                    id,
                    user_name,
                    active,
                    deleted: deleted_at.is_some(),
                    attributes: match attributes {
                        Value::Object(map) => map,
                        _ => serde_json::Map::new(),
                    },
                },
            )
            .collect())
    }

    pub(crate) async fn directory_people_now(&self) -> Result<Vec<DirectoryPerson>, StoreError> {
        self.directory_people(self.db).await
    }

    /// Whether a roster keeps the directory, and how the practice's rosters name columns.
    pub async fn roster_settings(&self) -> Result<(bool, Option<RosterColumns>), StoreError> {
        let row = practice::Entity::find_by_id(self.practice.as_uuid())
            .one(self.db)
            .await?
            .ok_or(StoreError::NotFound("practice"))?;
        let columns = row
            .roster_columns
            .map(serde_json::from_value)
            .transpose()
            .map_err(|_| StoreError::Corrupt("practice roster columns"))?;
        Ok((row.roster_managed, columns))
    }

    /// Marks the practice's directory roster-kept and remembers the roster's columns.
    pub(crate) async fn set_roster_managed(
        &self,
        tx: &WriteTx,
        columns: &RosterColumns,
    ) -> Result<(), StoreError> {
        practice::Entity::update_many()
            .col_expr(practice::Column::RosterManaged, Expr::value(true))
            .col_expr(
                practice::Column::RosterColumns,
                Expr::value(json_of(columns)),
            )
            .filter(practice::Column::Id.eq(self.practice.as_uuid()))
            .exec(&tx.tx)
            .await?;
        // Cached practice snapshots (the planning context) see it at once.
        self.bump_configuration(&tx.tx).await
    }

    pub(crate) async fn add_roster_import(
        &self,
        new: NewRosterImport<'_>,
        actor: &Actor,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        roster_import::Entity::insert(roster_import::ActiveModel {
            id: Set(id),
            practice_id: Set(self.practice.as_uuid()),
            file_name: Set(new.file_name.to_owned()),
            sha256: Set(new.sha256.to_owned()),
            size: Set(i64::try_from(new.size).unwrap_or(i64::MAX)),
            columns: Set(json_of(new.columns)),
            people: Set(json_of(&new.people)),
            plan: Set(json_of(new.plan)),
            state: Set(PREVIEWED.to_owned()),
            previewed_by: Set(actor.name.clone()),
            previewed_at: Set(actor.at),
            committed_by: Set(None),
            committed_at: Set(None),
            confirmed_missing: Set(None),
        })
        .exec_without_returning(self.db)
        .await?;
        Ok(id)
    }

    async fn roster_import_on(
        &self,
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<RosterImportRecord, StoreError> {
        let row = roster_import::Entity::find_by_id(id)
            .filter(roster_import::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("roster import"))?;
        record(row)
    }

    pub async fn roster_import(&self, id: Uuid) -> Result<RosterImportRecord, StoreError> {
        self.roster_import_on(self.db, id).await
    }

    pub(crate) async fn roster_import_in(
        &self,
        tx: &WriteTx,
        id: Uuid,
    ) -> Result<RosterImportRecord, StoreError> {
        self.roster_import_on(&tx.tx, id).await
    }

    /// The practice's roster imports, newest first, without their people.
    pub async fn roster_imports(&self, limit: u64) -> Result<Vec<RosterImportRecord>, StoreError> {
        roster_import::Entity::find()
            .filter(roster_import::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_desc(roster_import::Column::PreviewedAt)
            .order_by_desc(roster_import::Column::Id)
            .limit(limit)
            .all(self.db)
            .await?
            .into_iter()
            .map(|mut row| {
                row.people = Value::Array(vec![]);
                record(row)
            })
            .collect()
    }

    pub(crate) async fn committed_roster_of(
        &self,
        tx: &WriteTx,
        sha256: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        Ok(roster_import::Entity::find()
            .select_only()
            .column(roster_import::Column::Id)
            .filter(roster_import::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(roster_import::Column::Sha256.eq(sha256))
            .filter(roster_import::Column::State.eq(COMMITTED))
            .into_tuple()
            .one(&tx.tx)
            .await?)
    }

    pub(crate) async fn mark_roster_committed(
        &self,
        tx: &WriteTx,
        id: Uuid,
        confirmed_missing: Option<u32>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        roster_import::Entity::update_many()
            .col_expr(roster_import::Column::State, Expr::value(COMMITTED))
            .col_expr(
                roster_import::Column::CommittedBy,
                Expr::value(actor.name.clone()),
            )
            .col_expr(roster_import::Column::CommittedAt, Expr::value(actor.at))
            .col_expr(
                roster_import::Column::ConfirmedMissing,
                Expr::value(confirmed_missing.map(|n| i32::try_from(n).unwrap_or(i32::MAX))),
            )
            .filter(roster_import::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(roster_import::Column::Id.eq(id))
            .exec(&tx.tx)
            .await?;
        Ok(())
    }
}
