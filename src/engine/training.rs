//! Training before access, in the write transaction after the planner: a person in the SCIM
//! group the policy names for a portal's training gets that training recorded (once), and a
//! provision task for a portal that requires training waits ("waiting for training") until
//! the person's training is recorded. Recording it later (console, API, the group, a renewal
//! task done) releases the task: `store::training`.

use std::collections::HashMap;

use serde_json::json;
use uuid::Uuid;

use crate::domain::actor::Actor;
use crate::domain::task::TaskKind;
use crate::domain::training::WAITING_FOR_TRAINING;
use crate::store::audit::Entry;
use crate::store::planning::{PlannedWrites, PlanningContext, PlanningPerson};
use crate::store::training::TrainingSource;
use crate::store::{StoreError, TenantStore, WriteTx};

/// A person's membership of a portal's training group, seen while planning them.
#[derive(Debug, Clone)]
pub(crate) struct GroupClaim {
    pub person: Uuid,
    pub portal: String,
    pub group: String,
}

/// The training groups `person` is in, for portals that require training.
pub(crate) fn group_claims(ctx: &PlanningContext, person: &PlanningPerson) -> Vec<GroupClaim> {
    if person.deleted || !person.active {
        return Vec::new();
    }
    ctx.policy
        .document
        .training_claims(&person.facts)
        .filter(|(portal, _)| requires(ctx, portal))
        .map(|(portal, group)| GroupClaim {
            person: person.id,
            portal: portal.to_owned(),
            group: group.to_owned(),
        })
        .collect()
}

fn requires(ctx: &PlanningContext, portal: &str) -> bool {
    ctx.practice_portals
        .get(portal)
        .is_some_and(|p| p.training.required)
}

/// Records the training groups' trainings not yet recorded, then marks each planned
/// provision for a portal that requires training as waiting where the person's training does
/// not count. Reads nothing when no portal of the practice requires training. Returns the
/// audit records it owes.
pub(crate) async fn settle(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    ctx: &PlanningContext,
    claims: Vec<GroupClaim>,
    writes: &mut PlannedWrites,
    actor: &Actor,
) -> Result<Vec<Entry>, StoreError> {
    let held: Vec<usize> = writes
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == TaskKind::Provision)
        .filter(|(_, t)| t.portal.as_deref().is_some_and(|p| requires(ctx, p)))
        .map(|(i, _)| i)
        .collect();
    if held.is_empty() && claims.is_empty() {
        return Ok(Vec::new());
    }
    let mut people: Vec<Uuid> = claims.iter().map(|c| c.person).collect();
    people.extend(held.iter().map(|&i| writes.tasks[i].person_id));
    people.sort_unstable();
    people.dedup();
    let mut known: HashMap<(Uuid, String), bool> = store.training_in(tx, &people, actor.at).await?;
    let mut trail = Vec::new();
    for claim in claims {
        let key = (claim.person, claim.portal.clone());
        // Recorded once: staying in the group is not a new training.
        if known.contains_key(&key) {
            continue;
        }
        let rule = ctx.practice_portals[&claim.portal].training;
        let source = TrainingSource::ScimGroup(claim.group);
        trail.extend(
            store
                .record_training_in(
                    tx,
                    claim.person,
                    &claim.portal,
                    rule,
                    actor.at,
                    &source,
                    actor,
                )
                .await?,
        );
        known.insert(key, true);
    }
    for i in held {
        let task = &mut writes.tasks[i];
        let portal = task.portal.clone().unwrap_or_default();
        if known.get(&(task.person_id, portal.clone())) == Some(&true) {
            continue;
        }
        task.waiting_for = Some(WAITING_FOR_TRAINING);
        task.action.push_str(&format!(
            " Waiting for training: {} requires it before an account is created; record the \
             person's training (their page in the console, or POST /api/v1/people/{}/training) \
             and this task can be done.",
            ctx.practice_portals[&portal].portal.name, task.person_id
        ));
        trail.push(Entry {
            action: "task.waiting".into(),
            target: format!("task {}", task.id),
            detail: Some(json!({"for": WAITING_FOR_TRAINING, "portal": portal})),
        });
    }
    Ok(trail)
}
