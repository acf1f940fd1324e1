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

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::Portal;
use super::sla::SlaKey;
pub use super::task::{EventKind, TaskKind};

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
            TaskKind::TransferAdmin | TaskKind::NotifyThirdParty => {}
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

/// Task instructions in plain words: what to do, where, for whom.
struct Words<'a> {
    portal: &'a Portal,
    person: &'a PersonLabel,
    account: Option<&'a Account>,
}

impl Words<'_> {
    fn place(&self) -> String {
        match &self.portal.user_admin_place {
            Some(place) => format!("In {} ({}, {place})", self.portal.name, self.portal.url),
            None => format!("In {} ({})", self.portal.name, self.portal.url),
        }
    }

    fn who(&self) -> String {
        match self.account.and_then(|a| a.username.as_deref()) {
            Some(username) => format!("{} (portal username {username})", self.person.display),
            None => format!("{} ({})", self.person.display, self.person.user_name),
        }
    }

    fn role_names(&self, roles: &BTreeSet<String>) -> String {
        roles
            .iter()
            .map(|r| {
                self.portal
                    .role(r)
                    .map_or_else(|| r.clone(), |role| role.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn provision(&self, roles: &BTreeSet<String>) -> String {
        format!(
            "{}, give {} access with: {}.",
            self.place(),
            self.who(),
            self.role_names(roles)
        )
    }

    fn modify(&self, add: &BTreeSet<String>, remove: &BTreeSet<String>) -> String {
        let mut parts = Vec::new();
        if !remove.is_empty() {
            parts.push(format!("remove {}", self.role_names(remove)));
        }
        if !add.is_empty() {
            parts.push(format!("add {}", self.role_names(add)));
        }
        format!(
            "{}, for {}: {}.",
            self.place(),
            self.who(),
            parts.join("; ")
        )
    }

    fn deprovision(&self, roles: &BTreeSet<String>, maybe_created: bool) -> String {
        if maybe_created {
            return format!(
                "{}, an account for {} may have been created by a task now cancelled: if it \
                 exists, deactivate it.",
                self.place(),
                self.who()
            );
        }
        let held = if roles.is_empty() {
            String::new()
        } else {
            format!(" (it holds: {})", self.role_names(roles))
        };
        let other_orgs = self.account.is_some_and(|a| a.other_affiliations);
        if self.portal.multi_org && other_orgs {
            format!(
                "{}, remove this practice's affiliation from {}{held}. Do not deactivate the \
                 account: it serves other organizations.",
                self.place(),
                self.who()
            )
        } else if self.portal.multi_org {
            format!(
                "{}, remove this practice's affiliation from {}{held}; deactivate the account \
                 only if it serves no other organization.",
                self.place(),
                self.who()
            )
        } else {
            format!(
                "{}, deactivate the account of {}{held}.",
                self.place(),
                self.who()
            )
        }
    }

    fn transfer_admin(&self, roles: &BTreeSet<String>) -> String {
        format!(
            "{}, {} holds {}: make another staff member administrator first (the portal must \
             keep at least {} administrator(s)); their deprovision waits for this.",
            self.place(),
            self.who(),
            self.role_names(roles),
            self.portal.admin_limits.min.unwrap_or(1)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Catalog;

    fn portals() -> BTreeMap<String, Portal> {
        let catalog = Catalog::builtin().unwrap();
        ["availity-essentials", "noridian-nmp"]
            .into_iter()
            .map(|s| (s.to_owned(), catalog.portal(s).unwrap().clone()))
            .collect()
    }

    fn roles(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn person() -> PersonLabel {
        PersonLabel {
            display: "Dana Whitfield".into(),
            user_name: "dana@acme.example".into(),
        }
    }

    fn input<'a>(
        event: EventKind,
        entitled: bool,
        desired: &[(&str, &[&str])],
        accounts: &'a [Account],
        open: &'a [OpenTask],
        portals: &'a BTreeMap<String, Portal>,
        who: &'a PersonLabel,
    ) -> PlanInput<'a> {
        PlanInput {
            event,
            person: who,
            entitled,
            desired: desired
                .iter()
                .map(|(p, r)| ((*p).to_owned(), roles(r)))
                .collect(),
            accounts,
            open_tasks: open,
            portals,
            third_party: false,
            departed: event == EventKind::Leaver,
        }
    }

    #[test]
    fn joiner_gets_one_provision_task_per_portal() {
        let (portals, who) = (portals(), person());
        let plan = plan(&input(
            EventKind::Joiner,
            true,
            &[
                ("availity-essentials", &["eligibility-benefits"]),
                ("noridian-nmp", &["eligibility"]),
            ],
            &[],
            &[],
            &portals,
            &who,
        ));
        assert_eq!(plan.create.len(), 2);
        assert!(
            plan.create
                .iter()
                .all(|t| t.kind == TaskKind::Provision && t.sla == SlaKey::Provision)
        );
        assert!(
            plan.create[0]
                .action
                .contains("Eligibility and Benefits Inquiry"),
            "{}",
            plan.create[0].action
        );
    }

    #[test]
    fn leaver_with_admin_role_transfers_first_and_multi_org_wording() {
        let (portals, who) = (portals(), person());
        let accounts = [Account {
            portal: "availity-essentials".into(),
            username: Some("dwhit".into()),
            roles: roles(&["administrator", "claim-status"]),
            other_affiliations: true,
        }];
        let plan = plan(&input(
            EventKind::Leaver,
            false,
            &[],
            &accounts,
            &[],
            &portals,
            &who,
        ));
        assert_eq!(plan.create.len(), 2);
        let (transfer, deprovision) = (&plan.create[0], &plan.create[1]);
        assert_eq!(transfer.kind, TaskKind::TransferAdmin);
        assert_eq!(deprovision.kind, TaskKind::Deprovision);
        assert_eq!(deprovision.blocked_by, Some(transfer.key));
        assert!(
            deprovision
                .action
                .contains("remove this practice's affiliation"),
            "{}",
            deprovision.action
        );
        assert!(deprovision.action.contains("dwhit"));
    }

    #[test]
    fn replays_and_flip_backs_add_nothing() {
        let (portals, who) = (portals(), person());
        let pending = [OpenTask {
            id: uuid::Uuid::nil(),
            portal: Some("noridian-nmp".into()),
            kind: TaskKind::Provision,
            claimed: false,
            roles_add: roles(&["eligibility"]),
            roles_remove: roles(&[]),
        }];
        // Same desired state as the open task will produce: nothing to do.
        assert!(
            plan(&input(
                EventKind::Mover,
                true,
                &[("noridian-nmp", &["eligibility"])],
                &[],
                &pending,
                &portals,
                &who
            ))
            .is_empty()
        );
        // Policy no longer grants it before the admin acted: cancel, open nothing.
        let flip = plan(&input(
            EventKind::Mover,
            true,
            &[],
            &[],
            &pending,
            &portals,
            &who,
        ));
        assert_eq!(flip.cancel.len(), 1);
        assert!(flip.create.is_empty());
    }

    #[test]
    fn mover_swaps_roles_in_one_modify_task_due_on_the_removal_sla() {
        let (portals, who) = (portals(), person());
        let accounts = [Account {
            portal: "availity-essentials".into(),
            username: None,
            roles: roles(&["eligibility-benefits"]),
            other_affiliations: false,
        }];
        let plan = plan(&input(
            EventKind::Mover,
            true,
            &[("availity-essentials", &["claim-status"])],
            &accounts,
            &[],
            &portals,
            &who,
        ));
        let task = &plan.create[0];
        assert_eq!(task.kind, TaskKind::Modify);
        assert_eq!(task.roles_add, roles(&["claim-status"]));
        assert_eq!(task.roles_remove, roles(&["eligibility-benefits"]));
        assert_eq!(task.sla, SlaKey::ModifyRemoval);
    }

    #[test]
    fn claimed_provision_for_a_leaver_becomes_a_careful_deprovision() {
        let (portals, who) = (portals(), person());
        let claimed = [OpenTask {
            id: uuid::Uuid::nil(),
            portal: Some("noridian-nmp".into()),
            kind: TaskKind::Provision,
            claimed: true,
            roles_add: roles(&["eligibility"]),
            roles_remove: roles(&[]),
        }];
        let plan = plan(&input(
            EventKind::Leaver,
            false,
            &[],
            &[],
            &claimed,
            &portals,
            &who,
        ));
        assert_eq!(plan.cancel.len(), 1);
        assert_eq!(plan.create[0].kind, TaskKind::Deprovision);
        assert!(plan.create[0].action.contains("may have been created"));
    }

    #[test]
    fn classification() {
        assert_eq!(
            EventKind::classify(None, true, false),
            Some(EventKind::Joiner)
        );
        assert_eq!(EventKind::classify(None, false, false), None);
        assert_eq!(
            EventKind::classify(Some(true), false, false),
            Some(EventKind::Leaver)
        );
        assert_eq!(
            EventKind::classify(Some(true), true, true),
            Some(EventKind::Leaver)
        );
        assert_eq!(
            EventKind::classify(Some(false), true, false),
            Some(EventKind::Rehire)
        );
        assert_eq!(
            EventKind::classify(Some(true), true, false),
            Some(EventKind::Mover)
        );
    }
}
