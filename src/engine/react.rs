//! Reacting to a change: for each person it touches, gather what the pure planner
//! (`domain::lifecycle::plan`) needs from the store, let it decide which tasks to cancel and
//! open, give each new task its deadline (`domain::sla`) and first alert time
//! (`domain::ladder`), and hand the rows and the audit records to the store, all in the caller's
//! write transaction: a SCIM 2xx therefore means the tasks exist.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use uuid::Uuid;

use super::training;
use crate::domain::actor::Actor;
use crate::domain::ladder;
use crate::domain::lifecycle::{self, PersonLabel, PlanInput};
use crate::domain::review::without_excluded;
use crate::domain::task::EventKind;
use crate::store::audit::Entry;
use crate::store::planning::{
    PlannedEvent, PlannedTask, PlannedWrites, PlanningContext, PlanningPerson,
};
use crate::store::{StoreError, TenantStore, WriteTx};

/// Why the engine runs for a person.
#[derive(Debug, Clone, Copy)]
pub struct Trigger {
    pub before: Before,
    /// Set for causes other than a directory change (policy change, account record).
    pub cause: Option<EventKind>,
    /// The directory change record behind it, if any.
    pub change_seq: Option<i64>,
}

/// The person's `active` before the change.
#[derive(Debug, Clone, Copy)]
pub enum Before {
    /// Just created.
    New,
    Was(bool),
    /// The person did not change; something around them did (a group, the policy).
    Unchanged,
}

impl Trigger {
    /// A change to the directory, recorded as `change_seq`.
    pub fn directory(before: Before, change_seq: i64) -> Self {
        Self {
            before,
            cause: None,
            change_seq: Some(change_seq),
        }
    }

    /// Something other than a directory change around an unchanged person.
    pub fn around(cause: EventKind) -> Self {
        Self {
            before: Before::Unchanged,
            cause: Some(cause),
            change_seq: None,
        }
    }
}

/// People planned per round of reads and writes when the engine runs for many.
const PEOPLE_PER_BATCH: usize = 500;

/// Runs the engine for many people with one cause (a group's members, everyone on a policy
/// change), [`PEOPLE_PER_BATCH`] at a time: each batch reads its people, their groups,
/// accounts and open tasks in four statements and writes all their plans in a few multi-row
/// inserts. Ids of people who are not (or no longer) in the practice are skipped. Returns the
/// number of removal tasks opened (the mass-revocation guard weighs it).
pub(crate) async fn react_all(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    ctx: &PlanningContext,
    people: &[Uuid],
    trigger: Trigger,
    actor: &Actor,
) -> Result<usize, StoreError> {
    let mut trail = Vec::new();
    let mut removals = 0;
    for batch in people.chunks(PEOPLE_PER_BATCH) {
        let mut writes = PlannedWrites::default();
        let mut claims = Vec::new();
        for person in store.planning_people(tx, batch).await? {
            claims.extend(training::group_claims(ctx, &person));
            trail.extend(plan_for(ctx, person, trigger, actor, &mut writes));
        }
        trail.extend(training::settle(store, tx, ctx, claims, &mut writes, actor).await?);
        removals += writes.tasks.iter().filter(|t| t.removes_access()).count();
        store.write_plans(tx, writes, actor.at).await?;
    }
    store.append_audit(tx, actor, trail).await?;
    Ok(removals)
}

/// Runs the engine for one person already read in this transaction. `leading` is the change's
/// own audit record, appended together with the reaction's so the chain's head is read once.
pub(crate) async fn react_to(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    ctx: &PlanningContext,
    person: PlanningPerson,
    trigger: Trigger,
    actor: &Actor,
    leading: Vec<Entry>,
) -> Result<(), StoreError> {
    let mut writes = PlannedWrites::default();
    let mut trail = leading;
    let claims = training::group_claims(ctx, &person);
    trail.extend(plan_for(ctx, person, trigger, actor, &mut writes));
    trail.extend(training::settle(store, tx, ctx, claims, &mut writes, actor).await?);
    store.write_plans(tx, writes, actor.at).await?;
    store.append_audit(tx, actor, trail).await
}

/// Plans the reaction for a person: adds the rows to write to `writes` and returns the audit
/// records it owes. Reads nothing.
fn plan_for(
    ctx: &PlanningContext,
    person: PlanningPerson,
    trigger: Trigger,
    actor: &Actor,
    writes: &mut PlannedWrites,
) -> Vec<Entry> {
    let person_id = person.id;
    let event = match trigger.cause {
        Some(cause) => cause,
        None => {
            let before = match trigger.before {
                Before::New => None,
                Before::Was(active) => Some(active),
                Before::Unchanged => Some(person.active),
            };
            match EventKind::classify(before, person.active, person.deleted) {
                Some(event) => event,
                None => return Vec::new(),
            }
        }
    };
    let (practice, policy, practice_portals, portals) = (
        &ctx.practice,
        &ctx.policy,
        &ctx.practice_portals,
        &ctx.portals,
    );
    let facts = &person.facts;
    // An HR termination marker makes a leaver of someone still marked active.
    let terminated = policy.document.is_terminated(facts);
    let event = if terminated && event == EventKind::Mover {
        EventKind::Leaver
    } else {
        event
    };
    let mut desired: BTreeMap<String, BTreeSet<String>> = policy
        .document
        .entitlements(facts)
        .into_iter()
        .filter(|(portal, _)| portals.contains_key(portal))
        .map(|(portal, roles)| (portal, roles.into_keys().collect()))
        .collect();
    // What a reviewer took away stays away, whatever policy grants.
    if let Some(exclusions) = ctx.exclusions.get(&person_id) {
        without_excluded(&mut desired, exclusions);
    }
    let label = PersonLabel {
        display: person.display.clone(),
        user_name: person.user_name.clone(),
    };
    let plan = lifecycle::plan(&PlanInput {
        event,
        person: &label,
        entitled: person.active && !person.deleted && !terminated,
        desired,
        accounts: &person.accounts,
        open_tasks: &person.open_tasks,
        portals,
        third_party: policy.document.is_third_party(facts),
        departed: matches!(trigger.before, Before::Was(true)) && (person.deleted || !person.active),
    });

    // A policy change or a review decision that changes nothing for this person leaves no
    // trace here (the decision itself is in the trail).
    if plan.is_empty() && matches!(event, EventKind::Policy | EventKind::Review) {
        return Vec::new();
    }
    let event_id = Uuid::now_v7();
    writes.events.push(PlannedEvent {
        id: event_id,
        person_id,
        kind: event,
        change_seq: trigger.change_seq,
        policy_version: policy.version,
    });
    let mut trail = vec![Entry {
        action: format!("lifecycle.{event}"),
        target: format!("person {person_id}"),
        detail: Some(json!({"event": event_id, "policy_version": policy.version})),
    }];

    for (task_id, reason) in plan.cancel {
        trail.push(Entry {
            action: "task.cancelled".to_owned(),
            target: format!("task {task_id}"),
            detail: Some(json!({"reason": reason})),
        });
        writes.cancels.push((task_id, reason));
    }

    let ids: BTreeMap<usize, Uuid> = plan
        .create
        .iter()
        .map(|t| (t.key, Uuid::now_v7()))
        .collect();
    for new in plan.create {
        let overrides = new
            .portal
            .as_ref()
            .and_then(|p| practice_portals.get(p))
            .map(|p| p.sla_overrides.clone())
            .unwrap_or_default();
        let sla = practice.sla.for_key(new.sla, &overrides);
        let due_at = sla.due(actor.at, practice.time_zone.tz(), &practice.business_hours);
        let id = ids.get(&new.key).copied().unwrap_or_else(Uuid::now_v7);
        let window = ladder::task_window(
            new.kind,
            event,
            !new.roles_remove.is_empty(),
            actor.at,
            due_at,
        );
        let next_alert_at =
            ladder::first_alert_at(&ctx.escalation, &window, actor.at, practice.time_zone.tz());
        trail.push(Entry {
            action: "task.created".to_owned(),
            target: format!("task {id}"),
            detail: Some(json!({
                "kind": new.kind,
                "portal": new.portal,
                "due_at": due_at,
                "sla": sla.to_string(),
            })),
        });
        writes.tasks.push(PlannedTask {
            id,
            person_id,
            portal: new.portal,
            kind: new.kind,
            roles_add: new.roles_add,
            roles_remove: new.roles_remove,
            action: new.action,
            cause: event,
            event_id,
            policy_version: policy.version,
            due_at,
            blocked_by: new.blocked_by.and_then(|k| ids.get(&k).copied()),
            next_alert_at,
            // Decided after planning, with the training records (`engine::training`).
            waiting_for: None,
        });
    }
    trail
}
