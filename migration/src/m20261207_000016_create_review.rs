//! Access reviews: campaigns, their items (a snapshot of each account in scope with the context
//! a reviewer needs, and the decision), and the exclusions decisions leave behind: what a
//! reviewer took away, which the planner subtracts from what policy grants.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_practice::Practice;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReviewCampaign::Table)
                    .col(uuid(ReviewCampaign::Id).primary_key())
                    .col(uuid(ReviewCampaign::PracticeId))
                    .col(string_len(ReviewCampaign::Name, 200))
                    .col(json(ReviewCampaign::Scope))
                    .col(string_len(ReviewCampaign::NoAnswer, 16))
                    .col(json(ReviewCampaign::PortalReviewers))
                    .col(timestamp_with_time_zone(ReviewCampaign::StartsAt))
                    .col(timestamp_with_time_zone(ReviewCampaign::Deadline))
                    .col(string_len(ReviewCampaign::State, 16))
                    // A scheduled campaign's period (e.g. `2027-Q1`): opening one twice is
                    // impossible.
                    .col(string_len_null(ReviewCampaign::PeriodKey, 32))
                    .col(string_len(ReviewCampaign::CreatedBy, 300))
                    .col(timestamp_with_time_zone(ReviewCampaign::CreatedAt))
                    .col(timestamp_with_time_zone_null(ReviewCampaign::ClosedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_review_campaign_practice")
                            .from(ReviewCampaign::Table, ReviewCampaign::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_review_campaign_period")
                    .table(ReviewCampaign::Table)
                    .col(ReviewCampaign::PracticeId)
                    .col(ReviewCampaign::PeriodKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReviewItem::Table)
                    .col(uuid(ReviewItem::Id).primary_key())
                    .col(uuid(ReviewItem::PracticeId))
                    .col(uuid(ReviewItem::CampaignId))
                    .col(uuid(ReviewItem::PersonId))
                    .col(uuid(ReviewItem::AccountId))
                    .col(string_len(ReviewItem::PortalSlug, 63))
                    .col(string_len_null(ReviewItem::Username, 200))
                    .col(json(ReviewItem::Roles))
                    .col(json(ReviewItem::Context))
                    .col(uuid_null(ReviewItem::ReviewerId))
                    .col(string_len_null(ReviewItem::ReviewerSource, 16))
                    .col(string_len_null(ReviewItem::Decision, 16))
                    .col(json_null(ReviewItem::RemovedRoles))
                    .col(text_null(ReviewItem::Comment))
                    .col(string_len_null(ReviewItem::DecidedBy, 300))
                    .col(timestamp_with_time_zone_null(ReviewItem::DecidedAt))
                    // Set when the campaign closes: kept, revoked, reduced, flagged.
                    .col(string_len_null(ReviewItem::Outcome, 16))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_review_item_campaign")
                            .from(ReviewItem::Table, ReviewItem::CampaignId)
                            .to(ReviewCampaign::Table, ReviewCampaign::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_review_item_campaign_reviewer")
                    .table(ReviewItem::Table)
                    .col(ReviewItem::CampaignId)
                    .col(ReviewItem::ReviewerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccessExclusion::Table)
                    .col(uuid(AccessExclusion::PracticeId))
                    .col(uuid(AccessExclusion::PersonId))
                    .col(string_len(AccessExclusion::PortalSlug, 63))
                    // The roles taken away; null: the whole portal.
                    .col(json_null(AccessExclusion::Roles))
                    .col(uuid(AccessExclusion::ItemId))
                    .col(timestamp_with_time_zone(AccessExclusion::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(AccessExclusion::PracticeId)
                            .col(AccessExclusion::PersonId)
                            .col(AccessExclusion::PortalSlug),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AccessExclusion::Table.into_iden(),
            ReviewItem::Table.into_iden(),
            ReviewCampaign::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ReviewCampaign {
    Table,
    Id,
    PracticeId,
    Name,
    Scope,
    NoAnswer,
    PortalReviewers,
    StartsAt,
    Deadline,
    State,
    PeriodKey,
    CreatedBy,
    CreatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum ReviewItem {
    Table,
    Id,
    PracticeId,
    CampaignId,
    PersonId,
    AccountId,
    PortalSlug,
    Username,
    Roles,
    Context,
    ReviewerId,
    ReviewerSource,
    Decision,
    RemovedRoles,
    Comment,
    DecidedBy,
    DecidedAt,
    Outcome,
}

#[derive(DeriveIden)]
enum AccessExclusion {
    Table,
    PracticeId,
    PersonId,
    PortalSlug,
    Roles,
    ItemId,
    CreatedAt,
}
