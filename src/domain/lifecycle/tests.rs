//! Unit tests of the lifecycle planner: joiners, leavers, movers, replays and classification.

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
