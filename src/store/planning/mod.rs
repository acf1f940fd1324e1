//! What the lifecycle engine (`engine::react`) reads and writes, as rows: the practice's
//! configuration snapshot (here, cached by `practice.version`), each person's planning inputs
//! (`inputs`: facts, accounts, pending tasks), and the events, cancellations and tasks a plan
//! writes (`writes`). Nothing here decides anything.

mod inputs;
mod writes;

pub(crate) use inputs::PlanningPerson;
pub(crate) use writes::{PlannedEvent, PlannedTask, PlannedWrites};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use entities::{access_exclusion, practice};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::policy::PolicyVersion;
use super::portals::PracticePortal;
use super::{Practice, PracticeId, StoreError, TenantStore, WriteTx};
use crate::domain::catalog::Portal;
use crate::domain::escalation::EscalationPolicy;
use crate::domain::review::Exclusion;

/// The practice-wide inputs of the engine: its configuration as one snapshot.
#[derive(Debug)]
pub(crate) struct PlanningContext {
    /// The practice's configuration version these were read at (see [`ContextCache`]).
    pub(crate) version: i64,
    pub(crate) practice: Practice,
    pub(crate) policy: PolicyVersion,
    /// Gives each new task its first alert time.
    pub(crate) escalation: EscalationPolicy,
    pub(crate) practice_portals: BTreeMap<String, PracticePortal>,
    /// The practice's portals, with its own admin minimum where set.
    pub(crate) portals: BTreeMap<String, Portal>,
    /// What access reviews took away, per person: portal → the roles (`None`: the whole
    /// portal). Few rows per practice; they change through reviews, which bump the version.
    pub(crate) exclusions: HashMap<uuid::Uuid, Vec<Exclusion>>,
}

/// The last committed [`PlanningContext`] of each practice, valid while the practice's
/// `version` is unchanged: every writer of the practice's settings, policy or portals bumps it
/// ([`TenantStore::bump_configuration`]), so another process's change is seen by the next
/// write here. Saves a SCIM write two of its statements.
#[derive(Debug, Default)]
pub(crate) struct ContextCache(Mutex<HashMap<PracticeId, Arc<PlanningContext>>>);

/// More practices than one deployment serves; past it the cache starts over.
const MAX_CACHED_PRACTICES: usize = 10_000;

impl ContextCache {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<PracticeId, Arc<PlanningContext>>> {
        // Every update is a single insert or clear, so a poisoned map is still consistent.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, practice: PracticeId, version: i64) -> Option<Arc<PlanningContext>> {
        self.map()
            .get(&practice)
            .filter(|known| known.version == version)
            .cloned()
    }

    fn put(&self, practice: PracticeId, context: Arc<PlanningContext>) {
        let mut map = self.map();
        if map.len() >= MAX_CACHED_PRACTICES {
            map.clear();
        }
        map.insert(practice, context);
    }
}

impl TenantStore<'_> {
    /// What the engine needs about the practice, loaded once however many people one change
    /// touches (a group push, a policy change). One statement when the practice's
    /// configuration has not changed since a committed write remembered it.
    pub(crate) async fn planning_context(
        &self,
        tx: &WriteTx,
    ) -> Result<Arc<PlanningContext>, StoreError> {
        let db = &tx.tx;
        let version: i64 = practice::Entity::find_by_id(self.practice.as_uuid())
            .select_only()
            .column(practice::Column::Version)
            .into_tuple()
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("practice"))?;
        if let Some(known) = self.store.contexts.get(self.practice, version) {
            return Ok(known);
        }
        let practice: Practice = practice::Entity::find_by_id(self.practice.as_uuid())
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("practice"))?
            .try_into()?;
        let policy = self.policy_in(db).await?;
        let escalation = self.escalation_policy_in(db).await?.document;
        let practice_portals = self.practice_portals_in(db).await?;
        // The practice's own admin minimum, where set, is the one task wording quotes.
        let portals: BTreeMap<String, Portal> = practice_portals
            .iter()
            .map(|(slug, p)| {
                let mut portal = p.portal.clone();
                if let Some(min) = p.min_admins {
                    portal.admin_limits.min = Some(min);
                }
                (slug.clone(), portal)
            })
            .collect();

        let mut exclusions: HashMap<uuid::Uuid, Vec<Exclusion>> = HashMap::new();
        for row in access_exclusion::Entity::find()
            .filter(access_exclusion::Column::PracticeId.eq(self.practice.as_uuid()))
            .all(db)
            .await?
        {
            let roles: Option<BTreeSet<String>> = row
                .roles
                .map(|r| serde_json::from_value(r).map_err(|_| StoreError::Corrupt("exclusion")))
                .transpose()?;
            exclusions
                .entry(row.person_id)
                .or_default()
                .push(Exclusion {
                    portal: row.portal_slug,
                    roles,
                });
        }

        Ok(Arc::new(PlanningContext {
            version,
            practice,
            policy,
            escalation,
            practice_portals,
            portals,
            exclusions,
        }))
    }

    /// Keeps a context for the next writes, once the transaction that read it has committed.
    /// Only committed reads are kept: a rolled-back configuration change can leave a version
    /// number that a later change reuses, but committed versions only ever grow.
    pub(crate) fn remember_planning_context(&self, context: Arc<PlanningContext>) {
        self.store.contexts.put(self.practice, context);
    }

    /// Marks the practice's configuration (policy, portals, settings) as changed, in the
    /// transaction that changes it, so no write plans against a remembered old one.
    pub(crate) async fn bump_configuration(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<(), StoreError> {
        practice::Entity::update_many()
            .col_expr(
                practice::Column::Version,
                Expr::col(practice::Column::Version).add(1),
            )
            .filter(practice::Column::Id.eq(self.practice.as_uuid()))
            .exec(db)
            .await?;
        Ok(())
    }
}
