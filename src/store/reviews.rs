//! Access review campaigns as rows: opening one takes the snapshot of every account in scope
//! (with what a reviewer needs to know) in the same transaction as the campaign; decisions
//! and the exclusions they leave are written by `engine::reviews` through the `_in` functions.
//! Every read and write is scoped to the practice.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entities::{
    access_exclusion, admin, admin_membership, lifecycle_event, portal_account, review_campaign,
    review_item, scim_user, task,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{StoreError, TenantStore, WriteTx, audit};
use crate::domain::actor::Actor;
use crate::domain::admin::AdminRole;
use crate::domain::directory::{ENTERPRISE_URN, display_name, person_facts};
use crate::domain::escalation::Interval;
use crate::domain::review::schedule::campaign_alerts;
use crate::domain::review::{
    CampaignState, NoAnswer, ReviewScope, ReviewerSource, choose_reviewer,
};
use crate::domain::task::{AccountStatus, EventKind, TaskState};

/// What opening a campaign asks for.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub scope: ReviewScope,
    pub starts_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub no_answer: NoAnswer,
    /// Portal slug → the administrator who reviews its items when no manager does.
    pub portal_reviewers: BTreeMap<String, Uuid>,
    pub period_key: Option<String>,
    /// Reminders to reviewers with undecided items, this long before the deadline.
    pub reminders: Vec<Interval>,
    /// When the sweeper closes it by itself; `None`: an administrator closes it.
    pub closes_at: Option<DateTime<Utc>>,
}

/// A campaign with its progress.
#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    pub scope: ReviewScope,
    pub no_answer: NoAnswer,
    pub starts_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// open or closed.
    pub state: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// A scheduled review's period (`2027-Q1`); `None` for one opened by hand.
    pub period_key: Option<String>,
    /// Reminder offsets before the deadline, longest first.
    pub reminders: Vec<Interval>,
    pub reminders_sent: u32,
    pub escalated_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    /// Closed, and every removal verified.
    pub completed_at: Option<DateTime<Utc>>,
    /// The SHA-256 (hex) of the report as it stood at completion.
    pub report_sha256: Option<String>,
    pub items: u64,
    pub decided: u64,
    /// Items nobody may review (everyone who could is the person themselves).
    pub unassigned: u64,
}

/// One item: the account as it was at the snapshot, its reviewer, and the decision.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub person_id: Uuid,
    pub portal: String,
    pub username: Option<String>,
    pub roles: Vec<String>,
    pub context: Value,
    pub reviewer_id: Option<Uuid>,
    pub reviewer_source: Option<String>,
    pub decision: Option<String>,
    pub removed_roles: Vec<String>,
    pub comment: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub delegated_by: Option<String>,
    pub delegated_at: Option<DateTime<Utc>>,
    /// When the person left, if after the snapshot (read live, not from the snapshot).
    pub left_during_review: Option<DateTime<Utc>>,
}

impl TryFrom<review_item::Model> for Item {
    type Error = StoreError;

    fn try_from(m: review_item::Model) -> Result<Self, StoreError> {
        let list = |v: Value| -> Result<Vec<String>, StoreError> {
            serde_json::from_value(v).map_err(|_| StoreError::Corrupt("review item roles"))
        };
        Ok(Self {
            id: m.id,
            campaign_id: m.campaign_id,
            person_id: m.person_id,
            portal: m.portal_slug,
            username: m.username,
            roles: list(m.roles)?,
            context: m.context,
            reviewer_id: m.reviewer_id,
            reviewer_source: m.reviewer_source,
            decision: m.decision,
            removed_roles: m.removed_roles.map(list).transpose()?.unwrap_or_default(),
            comment: m.comment,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            outcome: m.outcome,
            delegated_by: m.delegated_by,
            delegated_at: m.delegated_at,
            left_during_review: None,
        })
    }
}

/// Which items to list.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub reviewer: Option<Uuid>,
    pub portal: Option<String>,
    /// `undecided`, or a decision.
    pub decision: Option<String>,
}

/// An administrator as the snapshot sees them.
#[derive(Debug, Clone)]
struct Reviewer {
    id: Uuid,
    email: String,
    role: AdminRole,
}

impl TenantStore<'_> {
    /// The practice's active administrators.
    async fn reviewers_in(&self, tx: &WriteTx) -> Result<Vec<Reviewer>, StoreError> {
        let memberships = admin_membership::Entity::find()
            .filter(admin_membership::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(admin_membership::Column::EndedAt.is_null())
            .all(&tx.tx)
            .await?;
        let admins: HashMap<Uuid, admin::Model> = admin::Entity::find()
            .filter(admin::Column::Id.is_in(memberships.iter().map(|m| m.admin_id)))
            .filter(admin::Column::Active.eq(true))
            .all(&tx.tx)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut out: Vec<Reviewer> = memberships
            .into_iter()
            .filter_map(|m| {
                let found = admins.get(&m.admin_id)?;
                Some(Reviewer {
                    id: found.id,
                    email: found.email_key.clone(),
                    role: m.role.parse().ok()?,
                })
            })
            .collect();
        out.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(out)
    }

    /// Opens a campaign and takes its snapshot in `tx`: one item per active account in
    /// scope, each with its reviewer and context (the snapshot is of one moment). Returns
    /// its id and how many items each reviewer has (`None`: nobody may review them).
    pub(crate) async fn open_campaign_in(
        &self,
        tx: &WriteTx,
        new: NewCampaign,
        actor: &Actor,
    ) -> Result<(Uuid, BTreeMap<Option<Uuid>, u64>), StoreError> {
        let id = Uuid::now_v7();
        let reviewers = self.reviewers_in(tx).await?;
        for (portal, reviewer) in &new.portal_reviewers {
            if !reviewers.iter().any(|r| r.id == *reviewer) {
                return Err(StoreError::Refused(format!(
                    "the reviewer named for `{portal}` is not an active administrator of the \
                     practice"
                )));
            }
        }
        review_campaign::Entity::insert(review_campaign::ActiveModel {
            id: Set(id),
            practice_id: Set(self.practice.as_uuid()),
            name: Set(new.name.clone()),
            scope: Set(serde_json::to_value(&new.scope).unwrap_or_default()),
            no_answer: Set(new.no_answer.as_str().to_owned()),
            portal_reviewers: Set(serde_json::to_value(&new.portal_reviewers).unwrap_or_default()),
            starts_at: Set(new.starts_at),
            deadline: Set(new.deadline),
            state: Set(CampaignState::Open.as_str().to_owned()),
            period_key: Set(new.period_key.clone()),
            created_by: Set(actor.name.clone()),
            created_at: Set(actor.at),
            closed_at: Set(None),
            reminders: Set(Some(json!(
                new.reminders
                    .iter()
                    .map(|r| r.0.num_seconds())
                    .collect::<Vec<_>>()
            ))),
            reminders_sent: Set(0),
            escalated_at: Set(None),
            closes_at: Set(new.closes_at),
            next_alert_at: Set(campaign_alerts(
                &new.reminders.iter().map(|r| r.0).collect::<Vec<_>>(),
                0,
                new.deadline,
                false,
                new.closes_at,
                actor.at,
            )
            .next_at
            .or(Some(actor.at))),
            completed_at: Set(None),
            completed_report: Set(None),
            report_sha256: Set(None),
        })
        .exec_without_returning(&tx.tx)
        .await
        .map_err(|e| super::map_unique(e, "a campaign for this period"))?;

        let items = self.snapshot_in(tx, &new, &reviewers).await?;
        let mut per_reviewer: BTreeMap<Option<Uuid>, u64> = BTreeMap::new();
        for item in &items {
            *per_reviewer.entry(item.reviewer_id).or_default() += 1;
        }
        let count = items.len();
        let unassigned = items.iter().filter(|i| i.reviewer_id.is_none()).count();
        for chunk in items.chunks(500) {
            let rows: Vec<review_item::ActiveModel> = chunk
                .iter()
                .map(|i| review_item::ActiveModel {
                    id: Set(i.id),
                    practice_id: Set(self.practice.as_uuid()),
                    campaign_id: Set(id),
                    person_id: Set(i.person_id),
                    account_id: Set(i.account_id),
                    portal_slug: Set(i.portal.clone()),
                    username: Set(i.username.clone()),
                    roles: Set(json!(i.roles)),
                    context: Set(i.context.clone()),
                    reviewer_id: Set(i.reviewer_id),
                    reviewer_source: Set(i.reviewer_source.map(|s| s.as_str().to_owned())),
                    decision: Set(None),
                    removed_roles: Set(None),
                    comment: Set(None),
                    decided_by: Set(None),
                    decided_at: Set(None),
                    outcome: Set(None),
                    delegated_by: Set(None),
                    delegated_at: Set(None),
                })
                .collect();
            review_item::Entity::insert_many(rows)
                .exec_without_returning(&tx.tx)
                .await?;
        }
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "review.opened",
            &format!("review {id}"),
            Some(json!({
                "name": new.name, "scope": new.scope, "deadline": new.deadline,
                "no_answer": new.no_answer, "items": count, "unassigned": unassigned,
                "period": new.period_key, "closes_at": new.closes_at,
            })),
        )
        .await?;
        Ok((id, per_reviewer))
    }

    /// The items of a new campaign, read in its transaction.
    async fn snapshot_in(
        &self,
        tx: &WriteTx,
        new: &NewCampaign,
        reviewers: &[Reviewer],
    ) -> Result<Vec<NewItem>, StoreError> {
        let db = &tx.tx;
        let portals = self.practice_portals_in(db).await?;
        let policy = self.policy_in(db).await?;
        let accounts = portal_account::Entity::find()
            .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_account::Column::Status.eq(AccountStatus::Active))
            .order_by_asc(portal_account::Column::PersonId)
            .order_by_asc(portal_account::Column::PortalSlug)
            .all(db)
            .await?;
        let person_ids: Vec<Uuid> = accounts
            .iter()
            .map(|a| a.person_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut people: HashMap<Uuid, scim_user::Model> = HashMap::new();
        let mut groups: HashMap<Uuid, Vec<String>> = HashMap::new();
        for chunk in person_ids.chunks(1000) {
            people.extend(
                scim_user::Entity::find()
                    .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
                    .filter(scim_user::Column::Id.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|p| (p.id, p)),
            );
            groups.extend(self.group_names_of(db, chunk).await?);
        }
        // Managers: the SCIM enterprise `manager` of each person, by id.
        let manager_of = |p: &scim_user::Model| -> Option<Uuid> {
            p.attributes
                .get(ENTERPRISE_URN)?
                .get("manager")?
                .get("value")?
                .as_str()
                .and_then(|v| Uuid::try_parse(v).ok())
        };
        let manager_ids: Vec<Uuid> = people.values().filter_map(manager_of).collect();
        let managers: HashMap<Uuid, scim_user::Model> = scim_user::Entity::find()
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_user::Column::Id.is_in(manager_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let open: Vec<(Uuid, Option<String>)> = task::Entity::find()
            .select_only()
            .column(task::Column::PersonId)
            .column(task::Column::PortalSlug)
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::State.is_in(TaskState::OPEN))
            // A portal's own tasks (a recertification) are no one account's.
            .filter(task::Column::PersonId.is_not_null())
            .into_tuple()
            .all(db)
            .await?;
        let mut open_tasks: HashMap<(Uuid, String), u64> = HashMap::new();
        for (person, portal) in open {
            if let Some(portal) = portal {
                *open_tasks.entry((person, portal)).or_default() += 1;
            }
        }
        let leavers: Vec<(Uuid, DateTime<Utc>)> = lifecycle_event::Entity::find()
            .select_only()
            .column(lifecycle_event::Column::PersonId)
            .column(lifecycle_event::Column::At)
            .filter(lifecycle_event::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(lifecycle_event::Column::Kind.eq(EventKind::Leaver))
            .into_tuple()
            .all(db)
            .await?;
        let mut left_at: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
        for (person, at) in leavers {
            let entry = left_at.entry(person).or_insert(at);
            if at > *entry {
                *entry = at;
            }
        }
        let by_email: HashMap<&str, &Reviewer> =
            reviewers.iter().map(|r| (r.email.as_str(), r)).collect();
        // The practice's managers; a practice without one falls back to its portal
        // administrators (a small office often has no manager in Portcullis).
        let fallback: Vec<Uuid> = reviewers
            .iter()
            .filter(|r| r.role == AdminRole::Manager)
            .chain(
                reviewers
                    .iter()
                    .filter(|r| r.role == AdminRole::PortalAdmin),
            )
            .map(|r| r.id)
            .collect();

        let mut items = Vec::new();
        for account in accounts {
            let Some(portal) = portals.get(&account.portal_slug) else {
                continue;
            };
            let Some(person) = people.get(&account.person_id) else {
                continue;
            };
            let roles: Vec<String> =
                serde_json::from_value(account.roles.clone()).unwrap_or_default();
            let sensitivities = roles
                .iter()
                .filter_map(|r| portal.portal.roles.iter().find(|p| &p.slug == r))
                .map(|r| r.sensitivity)
                .collect();
            if !new.scope.covers(&account.portal_slug, &sensitivities) {
                continue;
            }
            let facts = person_facts(
                &person.attributes,
                groups.get(&person.id).cloned().unwrap_or_default(),
            );
            let granted = policy.document.entitlements(&facts);
            let granted_here = granted.get(&account.portal_slug);
            let emails = person_emails(person);
            let manager = manager_of(person).and_then(|m| managers.get(&m));
            let manager_reviewer = manager
                .map(person_emails)
                .and_then(|emails| emails.iter().find_map(|e| by_email.get(e.as_str())))
                .map(|r| r.id);
            let is_self = |candidate: Uuid| {
                reviewers
                    .iter()
                    .any(|r| r.id == candidate && emails.contains(&r.email))
            };
            let chosen = choose_reviewer(
                manager_reviewer,
                new.portal_reviewers.get(&account.portal_slug).copied(),
                &fallback,
                is_self,
            );
            let ext = person.attributes.get(ENTERPRISE_URN);
            let active = person.active && person.deleted_at.is_none();
            let context = json!({
                "person": display_name(&person.attributes, &person.user_name),
                "user_name": person.user_name,
                "status": if active { "active" } else { EventKind::Leaver.as_str() },
                "left_at": (!active).then(|| left_at.get(&person.id)).flatten(),
                "title": facts.title,
                "department": facts.department,
                "manager": manager.map(|m| display_name(&m.attributes, &m.user_name))
                    .or_else(|| ext.and_then(|e| e.get("manager")).and_then(|m| m.get("displayName")).and_then(Value::as_str).map(str::to_owned)),
                "portal_name": portal.portal.name,
                "granted_by_policy": roles.iter().map(|r| (r.clone(), granted_here.is_some_and(|g| g.contains_key(r)))).collect::<BTreeMap<_, _>>(),
                "recorded_at": account.created_at,
                "last_login": Value::Null,
                "open_tasks": open_tasks.get(&(person.id, account.portal_slug.clone())).copied().unwrap_or(0),
            });
            items.push(NewItem {
                id: Uuid::now_v7(),
                person_id: person.id,
                account_id: account.id,
                portal: account.portal_slug.clone(),
                username: account.username.clone(),
                roles,
                context,
                reviewer_id: chosen.map(|(r, _)| r),
                reviewer_source: chosen.map(|(_, s)| s),
            });
        }
        Ok(items)
    }

    /// One of the practice's campaigns, with its progress.
    pub async fn campaign(&self, id: Uuid) -> Result<Campaign, StoreError> {
        let row = review_campaign::Entity::find_by_id(id)
            .filter(review_campaign::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(self.db)
            .await?
            .ok_or(StoreError::NotFound("review"))?;
        let counts = self.progress(Some(id)).await?;
        campaign_of(row, counts.get(&id).copied().unwrap_or_default())
    }

    /// The practice's campaigns, newest first.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows = review_campaign::Entity::find()
            .filter(review_campaign::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_desc(review_campaign::Column::CreatedAt)
            .all(self.db)
            .await?;
        let counts = self.progress(None).await?;
        rows.into_iter()
            .map(|row| {
                let progress = counts.get(&row.id).copied().unwrap_or_default();
                campaign_of(row, progress)
            })
            .collect()
    }

    /// Per campaign (one, or all the practice's): items, decided, assigned; one grouped read.
    async fn progress(
        &self,
        campaign: Option<Uuid>,
    ) -> Result<HashMap<Uuid, Progress>, StoreError> {
        let mut query = review_item::Entity::find()
            .select_only()
            .column(review_item::Column::CampaignId)
            .column_as(review_item::Column::Id.count(), "items")
            .column_as(review_item::Column::Decision.count(), "decided")
            .column_as(review_item::Column::ReviewerId.count(), "assigned")
            .filter(review_item::Column::PracticeId.eq(self.practice.as_uuid()))
            .group_by(review_item::Column::CampaignId);
        if let Some(id) = campaign {
            query = query.filter(review_item::Column::CampaignId.eq(id));
        }
        let rows: Vec<(Uuid, i64, i64, i64)> = query.into_tuple().all(self.db).await?;
        Ok(rows
            .into_iter()
            .map(|(id, items, decided, assigned)| {
                let n = |v: i64| u64::try_from(v).unwrap_or(0);
                (
                    id,
                    Progress {
                        items: n(items),
                        decided: n(decided),
                        unassigned: n(items - assigned),
                    },
                )
            })
            .collect())
    }

    /// How many undecided items of each open campaign are the reviewer's.
    pub async fn undecided_for(&self, reviewer: Uuid) -> Result<HashMap<Uuid, u64>, StoreError> {
        let rows: Vec<(Uuid, i64)> = review_item::Entity::find()
            .select_only()
            .column(review_item::Column::CampaignId)
            .column_as(review_item::Column::Id.count(), "n")
            .filter(review_item::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(review_item::Column::ReviewerId.eq(reviewer))
            .filter(review_item::Column::Decision.is_null())
            .group_by(review_item::Column::CampaignId)
            .into_tuple()
            .all(self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// A campaign's items, by portal then person.
    pub async fn review_items(
        &self,
        campaign: Uuid,
        filter: &ItemFilter,
    ) -> Result<Vec<Item>, StoreError> {
        let opened = self.campaign(campaign).await?.created_at;
        let mut query = review_item::Entity::find()
            .filter(review_item::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(review_item::Column::CampaignId.eq(campaign));
        if let Some(reviewer) = filter.reviewer {
            query = query.filter(review_item::Column::ReviewerId.eq(reviewer));
        }
        if let Some(portal) = &filter.portal {
            query = query.filter(review_item::Column::PortalSlug.eq(portal));
        }
        match filter.decision.as_deref() {
            Some("undecided") => query = query.filter(review_item::Column::Decision.is_null()),
            Some(decision) => query = query.filter(review_item::Column::Decision.eq(decision)),
            None => {}
        }
        let mut items = query
            .order_by_asc(review_item::Column::PortalSlug)
            .order_by_asc(review_item::Column::PersonId)
            .all(self.db)
            .await?
            .into_iter()
            .map(Item::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        self.mark_leavers(&mut items, opened).await?;
        Ok(items)
    }

    /// One of the practice's review items.
    pub async fn review_item(&self, item: Uuid) -> Result<Item, StoreError> {
        let mut found: Item = review_item::Entity::find_by_id(item)
            .filter(review_item::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(self.db)
            .await?
            .ok_or(StoreError::NotFound("review item"))?
            .try_into()?;
        let opened: DateTime<Utc> = review_campaign::Entity::find_by_id(found.campaign_id)
            .select_only()
            .column(review_campaign::Column::CreatedAt)
            .into_tuple()
            .one(self.db)
            .await?
            .ok_or(StoreError::Corrupt("review item"))?;
        self.mark_leavers(std::slice::from_mut(&mut found), opened)
            .await?;
        Ok(found)
    }

    /// Marks the items whose person left after the snapshot (`since`): the snapshot does not
    /// change, but the reviewer must see that the person has gone.
    async fn mark_leavers(
        &self,
        items: &mut [Item],
        since: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        // Leavers since the snapshot are few, whatever the campaign's size: read them all.
        let leavers: Vec<(Uuid, DateTime<Utc>)> = lifecycle_event::Entity::find()
            .select_only()
            .column(lifecycle_event::Column::PersonId)
            .column(lifecycle_event::Column::At)
            .filter(lifecycle_event::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(lifecycle_event::Column::Kind.eq(EventKind::Leaver))
            .filter(lifecycle_event::Column::At.gte(since))
            .into_tuple()
            .all(self.db)
            .await?;
        let mut left: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
        for (person, at) in leavers {
            let entry = left.entry(person).or_insert(at);
            *entry = (*entry).max(at);
        }
        for item in items {
            item.left_during_review = left.get(&item.person_id).copied();
        }
        Ok(())
    }

    /// Whether the administrator is the person (one of the person's addresses is theirs).
    pub(crate) async fn is_person_admin_in(
        &self,
        tx: &WriteTx,
        person: Uuid,
        admin_id: Uuid,
    ) -> Result<bool, StoreError> {
        let Some(found) = admin::Entity::find_by_id(admin_id).one(&tx.tx).await? else {
            return Ok(false);
        };
        let Some(person) = scim_user::Entity::find_by_id(person)
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(&tx.tx)
            .await?
        else {
            return Ok(false);
        };
        Ok(person_emails(&person).contains(&found.email_key))
    }

    /// The tasks access reviews opened for these people (cause `review`), oldest first.
    pub async fn review_tasks(
        &self,
        people: &[Uuid],
    ) -> Result<Vec<crate::store::tasks::TaskRecord>, StoreError> {
        let mut out = Vec::new();
        for chunk in people.chunks(1000) {
            out.extend(
                task::Entity::find()
                    .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
                    .filter(task::Column::PersonId.is_in(chunk.iter().copied()))
                    .filter(task::Column::Cause.eq(EventKind::Review))
                    .order_by_asc(task::Column::CreatedAt)
                    .into_model::<crate::store::tasks::TaskRecord>()
                    .all(self.db)
                    .await?,
            );
        }
        Ok(out)
    }

    /// One item and its campaign's state, read in `tx`.
    pub(crate) async fn review_item_in(
        &self,
        tx: &WriteTx,
        item: Uuid,
    ) -> Result<(Item, String), StoreError> {
        let found = review_item::Entity::find_by_id(item)
            .filter(review_item::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("review item"))?;
        let state: String = review_campaign::Entity::find_by_id(found.campaign_id)
            .select_only()
            .column(review_campaign::Column::State)
            .into_tuple()
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::Corrupt("review item"))?;
        Ok((found.try_into()?, state))
    }

    /// Records a decision on an item, audited.
    pub(crate) async fn record_decision_in(
        &self,
        tx: &WriteTx,
        item: &Item,
        decision: Option<(&str, &BTreeSet<String>)>,
        comment: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        review_item::Entity::update_many()
            .col_expr(
                review_item::Column::Decision,
                Expr::value(decision.map(|(d, _)| d.to_owned())),
            )
            .col_expr(
                review_item::Column::RemovedRoles,
                Expr::value(decision.map(|(_, r)| json!(r))),
            )
            .col_expr(
                review_item::Column::Comment,
                Expr::value(comment.map(str::to_owned)),
            )
            .col_expr(
                review_item::Column::DecidedBy,
                Expr::value(Some(actor.name.clone())),
            )
            .col_expr(review_item::Column::DecidedAt, Expr::value(Some(actor.at)))
            .filter(review_item::Column::Id.eq(item.id))
            .filter(review_item::Column::PracticeId.eq(self.practice.as_uuid()))
            .exec(&tx.tx)
            .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "review.decided",
            &format!("review_item {}", item.id),
            Some(json!({
                "review": item.campaign_id, "person": item.person_id, "portal": item.portal,
                "decision": decision.map(|(d, _)| d), "removed_roles": decision.map(|(_, r)| r),
                "comment": comment,
            })),
        )
        .await
    }

    /// Sets (or with `roles` of `Some(None)`, clears) what a review took away from a person in
    /// a portal, and marks the configuration changed so the planner sees it.
    pub(crate) async fn set_exclusion_in(
        &self,
        tx: &WriteTx,
        item: &Item,
        roles: Option<Option<&BTreeSet<String>>>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        match roles {
            None => {
                access_exclusion::Entity::delete_many()
                    .filter(access_exclusion::Column::PracticeId.eq(self.practice.as_uuid()))
                    .filter(access_exclusion::Column::PersonId.eq(item.person_id))
                    .filter(access_exclusion::Column::PortalSlug.eq(&item.portal))
                    .exec(&tx.tx)
                    .await?;
            }
            Some(roles) => {
                access_exclusion::Entity::insert(access_exclusion::ActiveModel {
                    practice_id: Set(self.practice.as_uuid()),
                    person_id: Set(item.person_id),
                    portal_slug: Set(item.portal.clone()),
                    roles: Set(roles.map(|r| json!(r))),
                    item_id: Set(item.id),
                    created_at: Set(at),
                })
                .on_conflict(
                    OnConflict::columns([
                        access_exclusion::Column::PracticeId,
                        access_exclusion::Column::PersonId,
                        access_exclusion::Column::PortalSlug,
                    ])
                    .update_columns([
                        access_exclusion::Column::Roles,
                        access_exclusion::Column::ItemId,
                        access_exclusion::Column::CreatedAt,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(&tx.tx)
                .await?;
            }
        }
        self.bump_configuration(&tx.tx).await
    }

    /// Hands an item to another administrator of the practice, audited. The caller has
    /// checked who may; here: the new reviewer is an active administrator, and not the
    /// person under review.
    pub(crate) async fn delegate_in(
        &self,
        tx: &WriteTx,
        item: &Item,
        to: Uuid,
        comment: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        if !self.reviewers_in(tx).await?.iter().any(|r| r.id == to) {
            return Err(StoreError::Refused(
                "an item can be handed only to an active administrator of the practice".into(),
            ));
        }
        if self.is_person_admin_in(tx, item.person_id, to).await? {
            return Err(StoreError::Refused(
                "nobody reviews their own access: pick someone else".into(),
            ));
        }
        if item.reviewer_id == Some(to) {
            return Err(StoreError::Refused(
                "this item is already theirs to decide".into(),
            ));
        }
        review_item::Entity::update_many()
            .col_expr(review_item::Column::ReviewerId, Expr::value(Some(to)))
            .col_expr(
                review_item::Column::ReviewerSource,
                Expr::value(Some(ReviewerSource::Delegated.as_str())),
            )
            .col_expr(
                review_item::Column::DelegatedBy,
                Expr::value(Some(actor.name.clone())),
            )
            .col_expr(
                review_item::Column::DelegatedAt,
                Expr::value(Some(actor.at)),
            )
            .filter(review_item::Column::Id.eq(item.id))
            .filter(review_item::Column::PracticeId.eq(self.practice.as_uuid()))
            .exec(&tx.tx)
            .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "review.delegated",
            &format!("review_item {}", item.id),
            Some(json!({
                "review": item.campaign_id, "person": item.person_id, "portal": item.portal,
                "from": item.reviewer_id, "to": to, "comment": comment,
            })),
        )
        .await
    }

    /// Closes a campaign: each item gets its outcome (its decision, or for an undecided item
    /// the campaign's `no_answer`), audited. Returns the undecided items to revoke.
    pub(crate) async fn close_campaign_in(
        &self,
        tx: &WriteTx,
        campaign: Uuid,
        actor: &Actor,
    ) -> Result<Vec<Item>, StoreError> {
        let row = review_campaign::Entity::find_by_id(campaign)
            .filter(review_campaign::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("review"))?;
        if row.state != CampaignState::Open.as_str() {
            return Err(StoreError::Refused("this review is already closed".into()));
        }
        let no_answer =
            NoAnswer::parse(&row.no_answer).ok_or(StoreError::Corrupt("review no_answer"))?;
        let items: Vec<Item> = review_item::Entity::find()
            .filter(review_item::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(review_item::Column::CampaignId.eq(campaign))
            .all(&tx.tx)
            .await?
            .into_iter()
            .map(Item::try_from)
            .collect::<Result<_, _>>()?;
        let mut to_revoke = Vec::new();
        for item in items {
            let outcome = match (item.decision.as_deref(), no_answer) {
                (Some("keep"), _) => "kept",
                (Some("revoke"), _) => "revoked",
                (Some("reduce"), _) => "reduced",
                (_, NoAnswer::KeepAndFlag) => "flagged",
                (_, NoAnswer::Revoke) => {
                    to_revoke.push(item.clone());
                    "revoked"
                }
            };
            review_item::Entity::update_many()
                .col_expr(review_item::Column::Outcome, Expr::value(outcome))
                .filter(review_item::Column::Id.eq(item.id))
                .exec(&tx.tx)
                .await?;
        }
        review_campaign::Entity::update_many()
            .col_expr(
                review_campaign::Column::State,
                Expr::value(CampaignState::Closed.as_str()),
            )
            .col_expr(
                review_campaign::Column::ClosedAt,
                Expr::value(Some(actor.at)),
            )
            .filter(review_campaign::Column::Id.eq(campaign))
            .exec(&tx.tx)
            .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "review.closed",
            &format!("review {campaign}"),
            Some(json!({"no_answer": no_answer, "revoked_unanswered": to_revoke.len()})),
        )
        .await?;
        Ok(to_revoke)
    }
}

/// A campaign's progress: its items, how many are decided, how many nobody may review.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    items: u64,
    decided: u64,
    unassigned: u64,
}

/// An item before it is written.
#[derive(Debug, Clone)]
struct NewItem {
    id: Uuid,
    person_id: Uuid,
    account_id: Uuid,
    portal: String,
    username: Option<String>,
    roles: Vec<String>,
    context: Value,
    reviewer_id: Option<Uuid>,
    reviewer_source: Option<ReviewerSource>,
}

/// A person's addresses as lower-case text: their userName and every `emails` value.
fn person_emails(person: &scim_user::Model) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = [person.user_name.to_lowercase()].into();
    if let Some(emails) = person.attributes.get("emails").and_then(Value::as_array) {
        out.extend(
            emails
                .iter()
                .filter_map(|e| e.get("value").and_then(Value::as_str))
                .map(str::to_lowercase),
        );
    }
    out
}

fn campaign_of(row: review_campaign::Model, progress: Progress) -> Result<Campaign, StoreError> {
    Ok(Campaign {
        id: row.id,
        name: row.name,
        scope: serde_json::from_value(row.scope)
            .map_err(|_| StoreError::Corrupt("review scope"))?,
        no_answer: NoAnswer::parse(&row.no_answer)
            .ok_or(StoreError::Corrupt("review no_answer"))?,
        starts_at: row.starts_at,
        deadline: row.deadline,
        state: row.state,
        created_by: row.created_by,
        created_at: row.created_at,
        closed_at: row.closed_at,
        period_key: row.period_key,
        reminders: super::review_runs::reminders_of(row.reminders),
        reminders_sent: u32::try_from(row.reminders_sent).unwrap_or(0),
        escalated_at: row.escalated_at,
        closes_at: row.closes_at,
        completed_at: row.completed_at,
        report_sha256: row.report_sha256,
        items: progress.items,
        decided: progress.decided,
        unassigned: progress.unassigned,
    })
}
