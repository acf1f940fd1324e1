//! What keeps access reviews running without anyone pressing a button: the practice's review
//! schedule, the campaigns whose reminder, escalation or close is due, the undecided items
//! per reviewer, and a campaign's completion with its frozen report. The sweeper
//! (`engine::sweep`) drives these; each write is in the caller's transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entities::{practice, review_campaign, review_item};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::{StoreError, TenantStore, WriteTx, audit};
use crate::domain::actor::Actor;
use crate::domain::escalation::Interval;
use crate::domain::review::CampaignState;
use crate::domain::review::schedule::ReviewSchedule;

/// What the sweeper needs of a campaign, read in its transaction.
#[derive(Debug, Clone)]
pub struct CampaignFacts {
    pub name: String,
    pub deadline: DateTime<Utc>,
    /// Offsets before the deadline, longest first.
    pub reminders: Vec<Interval>,
    pub reminders_sent: usize,
    pub escalated_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
}

impl TenantStore<'_> {
    /// A campaign's name and alert clock, read in `tx` (so a campaign opened in it is seen).
    pub(crate) async fn campaign_facts_in(
        &self,
        tx: &WriteTx,
        campaign: Uuid,
    ) -> Result<CampaignFacts, StoreError> {
        let row = review_campaign::Entity::find_by_id(campaign)
            .filter(review_campaign::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("review"))?;
        Ok(CampaignFacts {
            name: row.name,
            deadline: row.deadline,
            reminders: reminders_of(row.reminders),
            reminders_sent: usize::try_from(row.reminders_sent).unwrap_or(0),
            escalated_at: row.escalated_at,
            closes_at: row.closes_at,
        })
    }

    /// The practice's review schedule (the quarterly default until it sets one).
    pub async fn review_schedule(&self) -> Result<ReviewSchedule, StoreError> {
        Ok(self.practice().await?.review_schedule)
    }

    /// Replaces the review schedule, audited.
    pub async fn set_review_schedule(
        &self,
        schedule: &ReviewSchedule,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let tx = self.begin_write().await?;
        let json = serde_json::to_value(schedule).unwrap_or_default();
        practice::Entity::update_many()
            .col_expr(practice::Column::ReviewSchedule, Expr::value(json.clone()))
            .filter(practice::Column::Id.eq(self.practice.as_uuid()))
            .exec(&tx.tx)
            .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "review_schedule.updated",
            "review schedule",
            Some(json),
        )
        .await?;
        tx.commit().await
    }

    /// Whether the campaign of a scheduled period has been opened.
    pub(crate) async fn period_opened(&self, key: &str) -> Result<bool, StoreError> {
        Ok(review_campaign::Entity::find()
            .filter(review_campaign::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(review_campaign::Column::PeriodKey.eq(key))
            .count(self.db)
            .await?
            > 0)
    }

    /// Open campaigns whose next reminder, escalation or close is due at `now`.
    pub(crate) async fn campaigns_due(&self, now: DateTime<Utc>) -> Result<Vec<Uuid>, StoreError> {
        Ok(review_campaign::Entity::find()
            .select_only()
            .column(review_campaign::Column::Id)
            .filter(review_campaign::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(review_campaign::Column::State.eq(CampaignState::Open.as_str()))
            .filter(review_campaign::Column::NextAlertAt.lte(now))
            .into_tuple()
            .all(self.db)
            .await?)
    }

    /// Closed campaigns not yet complete (some removal is not verified yet).
    pub(crate) async fn campaigns_incomplete(&self) -> Result<Vec<Uuid>, StoreError> {
        Ok(review_campaign::Entity::find()
            .select_only()
            .column(review_campaign::Column::Id)
            .filter(review_campaign::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(review_campaign::Column::State.eq(CampaignState::Closed.as_str()))
            .filter(review_campaign::Column::CompletedAt.is_null())
            .into_tuple()
            .all(self.db)
            .await?)
    }

    /// Records where a campaign's alerts stand: reminders sent, whether (and when) it
    /// escalated, and when the sweeper looks at it next.
    pub(crate) async fn advance_campaign_in(
        &self,
        tx: &WriteTx,
        campaign: Uuid,
        reminders_sent: usize,
        escalated_at: Option<DateTime<Utc>>,
        next_alert_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut update = review_campaign::Entity::update_many()
            .col_expr(
                review_campaign::Column::RemindersSent,
                Expr::value(i32::try_from(reminders_sent).unwrap_or(i32::MAX)),
            )
            .col_expr(
                review_campaign::Column::NextAlertAt,
                Expr::value(next_alert_at),
            );
        if let Some(at) = escalated_at {
            update = update.col_expr(review_campaign::Column::EscalatedAt, Expr::value(Some(at)));
        }
        update
            .filter(review_campaign::Column::Id.eq(campaign))
            .filter(review_campaign::Column::PracticeId.eq(self.practice.as_uuid()))
            .exec(&tx.tx)
            .await?;
        Ok(())
    }

    /// How many undecided items each reviewer has (`None`: items nobody may review).
    pub(crate) async fn undecided_by_reviewer_in(
        &self,
        tx: &WriteTx,
        campaign: Uuid,
    ) -> Result<BTreeMap<Option<Uuid>, u64>, StoreError> {
        let rows: Vec<(Option<Uuid>, i64)> = review_item::Entity::find()
            .select_only()
            .column(review_item::Column::ReviewerId)
            .column_as(review_item::Column::Id.count(), "n")
            .filter(review_item::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(review_item::Column::CampaignId.eq(campaign))
            .filter(review_item::Column::Decision.is_null())
            .group_by(review_item::Column::ReviewerId)
            .into_tuple()
            .all(&tx.tx)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(reviewer, n)| (reviewer, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// Marks a closed campaign complete and keeps its report byte for byte; the audit trail
    /// records the report's SHA-256, so the report an auditor is handed later can be checked.
    pub(crate) async fn complete_campaign_in(
        &self,
        tx: &WriteTx,
        campaign: Uuid,
        report: &str,
        sha256: &str,
        items: usize,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let done = review_campaign::Entity::update_many()
            .col_expr(
                review_campaign::Column::CompletedAt,
                Expr::value(Some(actor.at)),
            )
            .col_expr(
                review_campaign::Column::CompletedReport,
                Expr::value(Some(report.to_owned())),
            )
            .col_expr(
                review_campaign::Column::ReportSha256,
                Expr::value(Some(sha256.to_owned())),
            )
            .filter(review_campaign::Column::Id.eq(campaign))
            .filter(review_campaign::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(review_campaign::Column::CompletedAt.is_null())
            .exec(&tx.tx)
            .await?;
        if done.rows_affected == 0 {
            return Ok(false);
        }
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "review.completed",
            &format!("review {campaign}"),
            Some(json!({"report_sha256": sha256, "items": items})),
        )
        .await?;
        Ok(true)
    }

    /// The report a completed campaign froze, byte for byte.
    pub async fn completed_report(&self, campaign: Uuid) -> Result<Option<String>, StoreError> {
        let found: Option<Option<String>> = review_campaign::Entity::find_by_id(campaign)
            .select_only()
            .column(review_campaign::Column::CompletedReport)
            .filter(review_campaign::Column::PracticeId.eq(self.practice.as_uuid()))
            .into_tuple()
            .one(self.db)
            .await?;
        found.ok_or(StoreError::NotFound("review"))
    }
}

/// Stored reminder offsets (seconds) as intervals; a campaign from before reminders existed
/// has none.
pub(crate) fn reminders_of(stored: Option<serde_json::Value>) -> Vec<Interval> {
    stored
        .and_then(|v| serde_json::from_value::<Vec<i64>>(v).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|s| Interval(chrono::Duration::seconds(s)))
        .collect()
}
