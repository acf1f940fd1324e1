//! Retention: the rows the housekeeping loop deletes once they are old enough to go, one
//! practice and one batch per write transaction, each batch audited as counts. Audit records,
//! tasks and evidence are not among them: the audit table's triggers refuse deletes, and tasks
//! and evidence are what its records point at.

use chrono::{DateTime, Utc};
use entities::{
    console_oidc_login, console_session, console_sign_in_link, outbox_event, webhook_attempt,
    webhook_delivery,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, Select};
use serde_json::json;
use uuid::Uuid;

use super::audit::Entry;
use super::vocabulary::text;
use super::{StoreError, TenantStore};
use crate::domain::actor::Actor;
use crate::domain::delivery::DeliveryState;

/// What one batch removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Delivered, dead-lettered or cancelled webhook deliveries.
    pub deliveries: u64,
    /// Their attempts.
    pub attempts: u64,
    /// Outbox events no delivery needs any more.
    pub events: u64,
    /// Console sessions ended, idle past the timeout or past their maximum age.
    pub sessions: u64,
    /// Sign-in links past their expiry (used or not).
    pub sign_in_links: u64,
    /// Console OpenID Connect sign-ins started and never finished in time.
    pub oidc_logins: u64,
}

impl Pruned {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl std::ops::AddAssign for Pruned {
    fn add_assign(&mut self, other: Self) {
        self.deliveries += other.deliveries;
        self.attempts += other.attempts;
        self.events += other.events;
        self.sessions += other.sessions;
        self.sign_in_links += other.sign_in_links;
        self.oidc_logins += other.oidc_logins;
    }
}

/// Which rows are old enough to go.
#[derive(Debug, Clone, Copy)]
pub struct PruneCutoffs {
    pub now: DateTime<Utc>,
    /// Finished deliveries and outbox events created before this go.
    pub deliveries_before: DateTime<Utc>,
    /// Sessions last seen before this have idled out.
    pub idle_before: DateTime<Utc>,
}

impl TenantStore<'_> {
    /// Deletes up to `batch` finished deliveries (with their attempts) and up to `batch` outbox
    /// events older than the cutoff, and every expired session, sign-in link and unfinished
    /// OpenID sign-in; audits the counts in the same transaction. A batch that finds nothing
    /// writes nothing.
    pub async fn prune_batch(
        &self,
        cutoffs: PruneCutoffs,
        batch: u64,
        actor: &Actor,
    ) -> Result<Pruned, StoreError> {
        let practice = self.practice.as_uuid();
        if !self.anything_to_prune(cutoffs).await? {
            return Ok(Pruned::default());
        }
        let tx = self.begin_write().await?;
        let db = &tx.tx;
        let mut pruned = Pruned::default();

        let deliveries: Vec<Uuid> = finished_deliveries(practice, cutoffs)
            .limit(batch)
            .into_tuple()
            .all(db)
            .await?;
        if !deliveries.is_empty() {
            pruned.attempts = webhook_attempt::Entity::delete_many()
                .filter(webhook_attempt::Column::DeliveryId.is_in(deliveries.clone()))
                .exec(db)
                .await?
                .rows_affected;
            pruned.deliveries = webhook_delivery::Entity::delete_many()
                .filter(webhook_delivery::Column::Id.is_in(deliveries))
                .exec(db)
                .await?
                .rows_affected;
        }
        let events: Vec<Uuid> = spent_events(practice, cutoffs)
            .limit(batch)
            .into_tuple()
            .all(db)
            .await?;
        if !events.is_empty() {
            pruned.events = outbox_event::Entity::delete_many()
                .filter(outbox_event::Column::Id.is_in(events))
                .exec(db)
                .await?
                .rows_affected;
        }

        pruned.sessions = console_session::Entity::delete_many()
            .filter(console_session::Column::PracticeId.eq(practice))
            .filter(expired_session(cutoffs))
            .exec(db)
            .await?
            .rows_affected;
        pruned.sign_in_links = console_sign_in_link::Entity::delete_many()
            .filter(console_sign_in_link::Column::PracticeId.eq(practice))
            .filter(console_sign_in_link::Column::ExpiresAt.lte(cutoffs.now))
            .exec(db)
            .await?
            .rows_affected;
        pruned.oidc_logins = console_oidc_login::Entity::delete_many()
            .filter(console_oidc_login::Column::PracticeId.eq(practice))
            .filter(console_oidc_login::Column::ExpiresAt.lte(cutoffs.now))
            .exec(db)
            .await?
            .rows_affected;

        if pruned.is_empty() {
            tx.rollback().await?;
            return Ok(pruned);
        }
        let detail = json!({
            "deliveries": pruned.deliveries,
            "attempts": pruned.attempts,
            "outbox_events": pruned.events,
            "sessions": pruned.sessions,
            "sign_in_links": pruned.sign_in_links,
            "oidc_sign_ins": pruned.oidc_logins,
            "deliveries_before": cutoffs.deliveries_before,
        });
        self.append_audit(
            &tx,
            actor,
            vec![Entry {
                action: "retention.pruned".to_owned(),
                target: "retention".to_owned(),
                detail: Some(detail),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(pruned)
    }

    /// The lock-free look first: most passes find nothing and must not queue for the writer.
    async fn anything_to_prune(&self, cutoffs: PruneCutoffs) -> Result<bool, StoreError> {
        let practice = self.practice.as_uuid();
        let db = self.db;
        let delivery = finished_deliveries(practice, cutoffs)
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        let event = spent_events(practice, cutoffs)
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        let session = console_session::Entity::find()
            .select_only()
            .column(console_session::Column::Id)
            .filter(console_session::Column::PracticeId.eq(practice))
            .filter(expired_session(cutoffs))
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        let link = console_sign_in_link::Entity::find()
            .select_only()
            .column(console_sign_in_link::Column::Id)
            .filter(console_sign_in_link::Column::PracticeId.eq(practice))
            .filter(console_sign_in_link::Column::ExpiresAt.lte(cutoffs.now))
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        let oidc = console_oidc_login::Entity::find()
            .select_only()
            .column(console_oidc_login::Column::PracticeId)
            .filter(console_oidc_login::Column::PracticeId.eq(practice))
            .filter(console_oidc_login::Column::ExpiresAt.lte(cutoffs.now))
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        Ok(delivery.is_some()
            || event.is_some()
            || session.is_some()
            || link.is_some()
            || oidc.is_some())
    }
}

/// The ids of finished (delivered, dead-lettered or cancelled) deliveries created before the
/// cutoff.
fn finished_deliveries(practice: Uuid, cutoffs: PruneCutoffs) -> Select<webhook_delivery::Entity> {
    let finished = [
        text(DeliveryState::Delivered),
        text(DeliveryState::Dead),
        text(DeliveryState::Cancelled),
    ];
    webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(webhook_delivery::Column::PracticeId.eq(practice))
        .filter(webhook_delivery::Column::State.is_in(finished))
        .filter(webhook_delivery::Column::CreatedAt.lt(cutoffs.deliveries_before))
}

/// The ids of outbox events created before the cutoff that no delivery needs: one still
/// pending or retrying keeps its event.
fn spent_events(practice: Uuid, cutoffs: PruneCutoffs) -> Select<outbox_event::Entity> {
    let any_delivery = Query::select()
        .expr(Expr::val(1))
        .from(webhook_delivery::Entity)
        .and_where(
            Expr::col((webhook_delivery::Entity, webhook_delivery::Column::EventId))
                .equals((outbox_event::Entity, outbox_event::Column::Id)),
        )
        .to_owned();
    outbox_event::Entity::find()
        .select_only()
        .column(outbox_event::Column::Id)
        .filter(outbox_event::Column::PracticeId.eq(practice))
        .filter(outbox_event::Column::CreatedAt.lt(cutoffs.deliveries_before))
        .filter(Expr::exists(any_delivery).not())
}

/// A session that can never be used again: ended, past its maximum age, or idle too long.
fn expired_session(cutoffs: PruneCutoffs) -> Condition {
    Condition::any()
        .add(console_session::Column::EndedAt.is_not_null())
        .add(console_session::Column::ExpiresAt.lte(cutoffs.now))
        .add(console_session::Column::LastSeenAt.lte(cutoffs.idle_before))
}
