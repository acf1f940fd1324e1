//! A SCIM write as one use case: open the practice's write transaction, let the store write
//! the user or group and its change record, react to it (`engine::react`), commit. A 2xx
//! therefore means the change, its lifecycle event, its tasks and their audit records are all
//! durable, or none of them is.

use uuid::Uuid;

use super::react::{self, Before, Trigger};
use crate::domain::actor::Actor;
use crate::domain::directory::{GroupRecord, GroupWrite, MembersChange, UserRecord, UserWrite};
use crate::store::directory::{GroupChange, UserChange};
use std::sync::Arc;

use crate::store::planning::PlanningContext;
use crate::store::{StoreError, TenantStore, WriteTx};

/// Creates a user; a joiner's tasks exist when this returns.
pub async fn create_user(
    store: &TenantStore<'_>,
    write: UserWrite,
    actor: &Actor,
) -> Result<UserRecord, StoreError> {
    let tx = store.begin_write().await?;
    let ctx = context_for_scim(store, &tx).await?;
    let change = store.insert_user(&tx, write, actor).await?;
    let record = UserRecord::from(change.row.clone());
    react_to_user(store, tx, ctx, change, actor).await?;
    Ok(record)
}

/// Replaces or patches a user: `change` gets the current record and returns what to write
/// (see [`TenantStore::update_user`]); the engine reacts to what changed.
pub async fn modify_user<E: From<StoreError>>(
    store: &TenantStore<'_>,
    id: Uuid,
    expected_version: Option<i64>,
    actor: &Actor,
    change: impl FnOnce(&UserRecord) -> Result<UserWrite, E>,
) -> Result<UserRecord, E> {
    let tx = store.begin_write().await?;
    let ctx = context_for_scim(store, &tx).await?;
    match store
        .update_user(&tx, id, expected_version, actor, change)
        .await?
    {
        Err(unchanged) => Ok(unchanged),
        Ok(change) => {
            let record = UserRecord::from(change.row.clone());
            react_to_user(store, tx, ctx, change, actor).await?;
            Ok(record)
        }
    }
}

/// Deletes a user: a leaver, then a tombstone. Memberships end after the engine has seen
/// them: a vendor known by their group must still be recognised as one when deleted.
pub async fn delete_user(
    store: &TenantStore<'_>,
    id: Uuid,
    expected_version: Option<i64>,
    actor: &Actor,
) -> Result<(), StoreError> {
    let tx = store.begin_write().await?;
    let ctx = context_for_scim(store, &tx).await?;
    let (was_active, seq) = store
        .tombstone_user(&tx, id, expected_version, actor)
        .await?;
    let trigger = Trigger::directory(Before::Was(was_active), seq);
    react::react_all(store, &tx, &ctx, &[id], trigger, actor).await?;
    store.end_memberships(&tx, id).await?;
    tx.commit().await
}

/// Creates a group; its members are reacted for (policy may grant by group).
pub async fn create_group(
    store: &TenantStore<'_>,
    write: GroupWrite,
    members: Vec<Uuid>,
    actor: &Actor,
) -> Result<GroupRecord, StoreError> {
    let tx = store.begin_write().await?;
    let change = store.insert_group(&tx, write, members, actor).await?;
    react_to_group(store, tx, change, actor).await
}

/// Replaces or patches a group (see [`TenantStore::update_group`]).
pub async fn modify_group<E: From<StoreError>>(
    store: &TenantStore<'_>,
    id: Uuid,
    expected_version: Option<i64>,
    actor: &Actor,
    change: impl FnOnce(&GroupRecord) -> Result<(GroupWrite, MembersChange), E>,
) -> Result<GroupRecord, E> {
    let tx = store.begin_write().await?;
    match store
        .update_group(&tx, id, expected_version, actor, change)
        .await?
    {
        Err(unchanged) => Ok(unchanged),
        Ok(change) => Ok(react_to_group(store, tx, change, actor).await?),
    }
}

/// Deletes a group; its former members are reacted for.
pub async fn delete_group(
    store: &TenantStore<'_>,
    id: Uuid,
    expected_version: Option<i64>,
    actor: &Actor,
) -> Result<(), StoreError> {
    let tx = store.begin_write().await?;
    let change = store
        .tombstone_group(&tx, id, expected_version, actor)
        .await?;
    react_to_group(store, tx, change, actor).await?;
    Ok(())
}

/// The practice's configuration snapshot for a SCIM user write, refused when an HR roster
/// keeps the practice's people (one source per practice: `engine::rosters`).
async fn context_for_scim(
    store: &TenantStore<'_>,
    tx: &WriteTx,
) -> Result<Arc<PlanningContext>, StoreError> {
    let ctx = store.planning_context(tx).await?;
    if ctx.practice.roster_managed {
        return Err(StoreError::DirectorySource(
            super::rosters::ROSTER_KEEPS_DIRECTORY,
        ));
    }
    Ok(ctx)
}

/// Reacts to a user write and commits; the practice's configuration snapshot is kept for
/// the next write once committed.
async fn react_to_user(
    store: &TenantStore<'_>,
    tx: WriteTx,
    ctx: Arc<PlanningContext>,
    change: UserChange,
    actor: &Actor,
) -> Result<(), StoreError> {
    let before = match change.was_active {
        None => Before::New,
        Some(active) => Before::Was(active),
    };
    let person = store
        .planning_person(&tx, &change.row, change.was_active.is_none())
        .await?;
    react::react_to(
        store,
        &tx,
        &ctx,
        person,
        Trigger::directory(before, change.seq),
        actor,
        vec![change.recorded],
    )
    .await?;
    tx.commit().await?;
    store.remember_planning_context(ctx);
    Ok(())
}

/// Reacts for the members whose groups changed, and commits.
async fn react_to_group(
    store: &TenantStore<'_>,
    tx: WriteTx,
    change: GroupChange,
    actor: &Actor,
) -> Result<GroupRecord, StoreError> {
    let mut people = change.affected;
    people.sort_unstable();
    people.dedup();
    if !people.is_empty() {
        let trigger = Trigger::directory(Before::Unchanged, change.seq);
        react_for(store, &tx, &people, trigger, actor).await?;
    }
    tx.commit().await?;
    Ok(change.group)
}

/// Runs the engine for `people` in the transaction.
async fn react_for(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    people: &[Uuid],
    trigger: Trigger,
    actor: &Actor,
) -> Result<(), StoreError> {
    let ctx = store.planning_context(tx).await?;
    react::react_all(store, tx, &ctx, people, trigger, actor).await?;
    Ok(())
}
