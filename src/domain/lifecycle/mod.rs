//! The lifecycle engine's decisions: given what a person should have (policy) and what they have
//! (portal accounts, plus the open tasks that will change that), which tasks to open and which
//! to cancel. Pure: the store gathers the inputs and writes the plan in the same transaction as
//! the SCIM change that caused it.
//!
//! Per portal, `expected` = the account's roles after every open task is done. When `expected`
//! already equals `desired`, nothing happens (so a replayed request adds nothing). Otherwise the
//! open tasks are cancelled, saying why, and one task takes the account from what it has to what
//! it should have. A mover who flips back before the administrator acts therefore ends with no
//! task at all; a rehire before a deprovision is done cancels it; a rehire after it is done gets
//! a new provision task.
//!
//! The planner is here; `wording.rs` writes each task's instructions.

mod wording;

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::Portal;
use super::sla::SlaKey;
pub use super::task::{EventKind, TaskKind};

use wording::Words;

/// A portal account as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub portal: String,
    pub username: Option<String>,
    pub roles: BTreeSet<String>,
    /// The person also works for other organizations on this portal.
    pub other_affiliations: bool,
}

/// A task not yet finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTask {
    pub id: uuid::Uuid,
    pub portal: Option<String>,
    pub kind: TaskKind,
    /// Claimed by an administrator, who may be half-way through it.
    pub claimed: bool,
    pub roles_add: BTreeSet<String>,
    pub roles_remove: BTreeSet<String>,
}

/// Who the tasks are about, for their wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonLabel {
    pub display: String,
    pub user_name: String,
}

#[derive(Debug)]
pub struct PlanInput<'a> {
    pub event: EventKind,
    pub person: &'a PersonLabel,
    /// Whether the person should have access at all (active and not deleted).
    pub entitled: bool,
    /// Portal slug → roles policy grants (only the practice's portals).
    pub desired: BTreeMap<String, BTreeSet<String>>,
    pub accounts: &'a [Account],
    pub open_tasks: &'a [OpenTask],
    /// The practice's portals, by slug.
    pub portals: &'a BTreeMap<String, Portal>,
    /// A vendor or billing-company user (policy's `third_party`).
    pub third_party: bool,
    /// This change is the departure itself (active to inactive, or deleted while active),
    /// not a later change to someone already gone.
    pub departed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// A key to refer to this task inside the plan (for `blocked_by`).
    pub key: usize,
    pub portal: Option<String>,
    pub kind: TaskKind,
    pub sla: SlaKey,
    pub roles_add: BTreeSet<String>,
    pub roles_remove: BTreeSet<String>,
    pub action: String,
    /// Must wait for the task with this key (a deprovision waits for its transfer_admin).
    pub blocked_by: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub cancel: Vec<(uuid::Uuid, String)>,
    pub create: Vec<NewTask>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.cancel.is_empty() && self.create.is_empty()
    }
}

/// An account's state: `None` for no account, else the roles it holds.
type AccountState = Option<BTreeSet<String>>;

/// What the account will be once every open task for it is done.
fn expected(account: Option<&Account>, open: &[&OpenTask]) -> AccountState {
    let mut state = account.map(|a| a.roles.clone());
    for task in open {
        match task.kind {
            TaskKind::Provision | TaskKind::Modify => {
                let roles = state.get_or_insert_with(BTreeSet::new);
                roles.extend(task.roles_add.iter().cloned());
                roles.retain(|r| !task.roles_remove.contains(r));
            }
            TaskKind::Deprovision => state = None,
            TaskKind::TransferAdmin
            | TaskKind::NotifyThirdParty
            | TaskKind::Recertify
            | TaskKind::Training
            | TaskKind::ReplaceSharedLogin => {}
        }
    }
    state
}

pub fn plan(input: &PlanInput<'_>) -> Plan {
    let mut plan = Plan::default();
    let mut next_key = 0;
    let mut key = || {
        next_key += 1;
        next_key
    };
    let reason = format!("superseded: {} change", input.event.as_str());
    let mut portals: BTreeSet<&str> = input.desired.keys().map(String::as_str).collect();
    portals.extend(input.accounts.iter().map(|a| a.portal.as_str()));
    portals.extend(input.open_tasks.iter().filter_map(|t| t.portal.as_deref()));

    for slug in portals {
        let account = input.accounts.iter().find(|a| a.portal == slug);
        let open: Vec<&OpenTask> = input
            .open_tasks
            .iter()
            .filter(|t| t.portal.as_deref() == Some(slug))
            .filter(|t| {
                matches!(
                    t.kind,
                    TaskKind::Provision | TaskKind::Modify | TaskKind::Deprovision
                )
            })
            .collect();
        let desired: AccountState = match input.desired.get(slug) {
            Some(roles) if input.entitled && !roles.is_empty() => Some(roles.clone()),
            _ => None,
        };
        let has: AccountState = account.map(|a| a.roles.clone());
        // An administrator may be half-way through creating an account nobody should have.
        let provision_claimed = open
            .iter()
            .any(|t| t.claimed && t.kind == TaskKind::Provision);

        if has == desired && !(desired.is_none() && provision_claimed) {
            // Already in step: what is still open is moot (a rehire before the deprovision was
            // done; an account recorded while its provision was open) — except a deprovision
            // for someone owed nothing, which checks that no account was left behind.
            let moot = open
                .iter()
                .filter(|t| !(desired.is_none() && t.kind == TaskKind::Deprovision));
            plan.cancel.extend(moot.map(|t| (t.id, reason.clone())));
            continue;
        }
        if expected(account, &open) == desired {
            continue;
        }
        plan.cancel
            .extend(open.iter().map(|t| (t.id, reason.clone())));
        let Some(portal) = input.portals.get(slug) else {
            continue;
        };
        let words = Words {
            portal,
            person: input.person,
            account,
        };
        match (&has, &desired) {
            (Some(roles), None) => {
                let admin_roles: BTreeSet<String> = roles
                    .iter()
                    .filter(|r| portal.role(r).is_some_and(|r| r.is_admin))
                    .cloned()
                    .collect();
                let transfer_open = input.open_tasks.iter().any(|t| {
                    t.kind == TaskKind::TransferAdmin && t.portal.as_deref() == Some(slug)
                });
                // A hand-over still open from before is not asked for twice.
                let transfer = if admin_roles.is_empty() || transfer_open {
                    None
                } else {
                    let k = key();
                    plan.create.push(NewTask {
                        key: k,
                        portal: Some(slug.to_owned()),
                        kind: TaskKind::TransferAdmin,
                        sla: SlaKey::TransferAdmin,
                        roles_add: BTreeSet::new(),
                        roles_remove: admin_roles.clone(),
                        action: words.transfer_admin(&admin_roles),
                        blocked_by: None,
                    });
                    Some(k)
                };
                plan.create.push(NewTask {
                    key: key(),
                    portal: Some(slug.to_owned()),
                    kind: TaskKind::Deprovision,
                    sla: SlaKey::Deprovision,
                    roles_add: BTreeSet::new(),
                    roles_remove: roles.clone(),
                    action: words.deprovision(roles, false),
                    blocked_by: transfer,
                });
            }
            (None, None) if provision_claimed => plan.create.push(NewTask {
                key: key(),
                portal: Some(slug.to_owned()),
                kind: TaskKind::Deprovision,
                sla: SlaKey::Deprovision,
                roles_add: BTreeSet::new(),
                roles_remove: BTreeSet::new(),
                action: words.deprovision(&BTreeSet::new(), true),
                blocked_by: None,
            }),
            (None, None) => {}
            (None, Some(roles)) => plan.create.push(NewTask {
                key: key(),
                portal: Some(slug.to_owned()),
                kind: TaskKind::Provision,
                sla: SlaKey::Provision,
                roles_add: roles.clone(),
                roles_remove: BTreeSet::new(),
                action: words.provision(roles),
                blocked_by: None,
            }),
            (Some(has), Some(wanted)) => {
                let add: BTreeSet<String> = wanted.difference(has).cloned().collect();
                let remove: BTreeSet<String> = has.difference(wanted).cloned().collect();
                if !(add.is_empty() && remove.is_empty()) {
                    plan.create.push(NewTask {
                        key: key(),
                        portal: Some(slug.to_owned()),
                        kind: TaskKind::Modify,
                        // Removals are due on the revocation SLA, additions on provisioning's.
                        sla: if remove.is_empty() {
                            SlaKey::Provision
                        } else {
                            SlaKey::ModifyRemoval
                        },
                        action: words.modify(&add, &remove),
                        roles_add: add,
                        roles_remove: remove,
                        blocked_by: None,
                    });
                }
            }
        }
    }

    // Back at work: hand-overs and notices for the earlier departure are moot.
    if input.entitled {
        let moot = input
            .open_tasks
            .iter()
            .filter(|t| matches!(t.kind, TaskKind::TransferAdmin | TaskKind::NotifyThirdParty));
        plan.cancel.extend(moot.map(|t| (t.id, reason.clone())));
    }
    // Tell a vendor's company once, when their person actually leaves.
    let notified = input
        .open_tasks
        .iter()
        .any(|t| t.kind == TaskKind::NotifyThirdParty);
    if input.departed && input.third_party && !notified {
        plan.create.push(NewTask {
            key: key(),
            portal: None,
            kind: TaskKind::NotifyThirdParty,
            sla: SlaKey::NotifyThirdParty,
            roles_add: BTreeSet::new(),
            roles_remove: BTreeSet::new(),
            action: format!(
                "{} ({}) has left: tell their company (vendor or billing firm) so it ends their \
                 access to the practice's systems and data, and record who you told.",
                input.person.display, input.person.user_name
            ),
            blocked_by: None,
        });
    }
    plan
}

#[cfg(test)]
mod tests;
