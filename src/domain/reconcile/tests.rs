use super::*;

fn at(day: &str) -> DateTime<Utc> {
    format!("{day}T12:00:00Z").parse().unwrap()
}

fn roles(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|r| (*r).to_owned()).collect()
}

fn person(n: u128, name: &str, entitled: bool) -> KnownPerson {
    KnownPerson {
        id: Uuid::from_u128(n),
        name: name.to_owned(),
        emails: vec![format!(
            "{}@acme.example",
            name.split(' ').next().unwrap().to_lowercase()
        )],
        npis: vec![],
        entitled,
        left_at: (!entitled).then(|| at("2026-11-01")),
    }
}

fn account(n: u128, username: &str, held: &[&str], active: bool) -> RecordedAccount {
    RecordedAccount {
        person: Uuid::from_u128(n),
        username: Some(username.to_owned()),
        roles: roles(held),
        active,
    }
}

fn row(n: usize, username: &str, held: &[&str]) -> ListedAccount {
    ListedAccount {
        row: n,
        username: username.to_owned(),
        name: None,
        email: None,
        npi: None,
        roles: Some(roles(held)),
        unknown_roles: vec![],
        enabled: true,
        last_login: Some(at("2026-11-30")),
    }
}

fn task(n: u128, person: u128, kind: TaskKind, state: TaskState) -> PortalTask {
    PortalTask {
        id: Uuid::from_u128(1000 + n),
        person: Some(Uuid::from_u128(person)),
        username: None,
        kind,
        state,
        roles_add: BTreeSet::new(),
        roles_remove: BTreeSet::new(),
        done_at: Some(at("2026-11-10")),
    }
}

struct World {
    people: Vec<KnownPerson>,
    accounts: Vec<RecordedAccount>,
    tasks: Vec<PortalTask>,
    service: Vec<ServiceAccount>,
    admin: BTreeSet<String>,
}

impl World {
    fn new() -> Self {
        Self {
            people: vec![
                person(1, "Ann Lee", true),
                person(2, "Bo Chen", false),
                person(3, "Cy Diaz", true),
            ],
            accounts: vec![],
            tasks: vec![],
            service: vec![],
            admin: roles(&["provider-administrator"]),
        }
    }

    fn run(&self, list: &[ListedAccount]) -> Reconciliation {
        reconcile(
            list,
            &Records {
                people: &self.people,
                accounts: &self.accounts,
                tasks: &self.tasks,
                service_accounts: &self.service,
                admin_roles: &self.admin,
                dormant_after_days: Some(30),
                practice_name: "Acme Family Medicine",
                now: at("2026-12-07"),
            },
        )
    }
}

fn only(r: &Reconciliation) -> &Finding {
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    &r.findings[0]
}

#[test]
fn an_agreeing_list_is_in_step_and_verifies_a_done_modify() {
    let mut w = World::new();
    w.accounts.push(account(1, "alee", &["eligibility"], true));
    let mut modify = task(1, 1, TaskKind::Modify, TaskState::Done);
    modify.roles_remove = roles(&["claim-status"]);
    w.tasks.push(modify);
    let r = w.run(&[row(2, "ALee", &["eligibility"])]);
    assert_eq!((r.listed, r.matched, r.in_step), (1, 1, 1));
    assert_eq!(
        only(&r).effect,
        Effect::VerifyTask {
            task: Uuid::from_u128(1001)
        }
    );
}

#[test]
fn a_leavers_removal_is_verified_when_gone_and_reopened_when_still_there() {
    let mut w = World::new();
    w.accounts.push(account(2, "bchen", &[], false));
    w.tasks
        .push(task(1, 2, TaskKind::Deprovision, TaskState::Done));
    let r = w.run(&[row(2, "other", &[])]);
    let verified: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::InStep)
        .collect();
    assert_eq!(
        verified[0].effect,
        Effect::VerifyTask {
            task: Uuid::from_u128(1001)
        }
    );
    w.tasks[0].state = TaskState::Verified;
    let mut still = row(2, "bchen", &["eligibility"]);
    still.last_login = None;
    let r = w.run(&[still]);
    let f = only(&r);
    assert_eq!(f.kind, FindingKind::RevokedNotRemoved);
    assert_eq!(
        f.effect,
        Effect::ReopenTask {
            task: Uuid::from_u128(1001)
        }
    );
}

#[test]
fn a_modify_whose_removed_role_is_still_listed_reopens() {
    let mut w = World::new();
    w.accounts.push(account(1, "alee", &["eligibility"], true));
    let mut modify = task(1, 1, TaskKind::Modify, TaskState::Done);
    modify.roles_remove = roles(&["claim-status"]);
    w.tasks.push(modify);
    let r = w.run(&[row(2, "alee", &["eligibility", "claim-status"])]);
    assert_eq!(only(&r).kind, FindingKind::RevokedNotRemoved);
}

#[test]
fn orphans_of_leavers_and_of_nobody() {
    let mut w = World::new();
    let mut by_email = row(2, "bo.chen", &["eligibility"]);
    by_email.email = Some("bo@acme.example".into());
    by_email.last_login = Some(at("2026-10-30"));
    let mut stranger = row(3, "zz9", &[]);
    stranger.name = Some("Zed Zulu".into());
    let r = w.run(&[by_email.clone(), stranger.clone()]);
    assert_eq!(r.findings[0].kind, FindingKind::Orphan);
    assert_eq!(
        r.findings[0].effect,
        Effect::RecordAccount {
            person: Uuid::from_u128(2),
            roles: Some(roles(&["eligibility"]))
        }
    );
    assert_eq!(r.findings[1].kind, FindingKind::Unmatched);
    assert_eq!(
        r.findings[1].effect,
        Effect::OpenDeprovision {
            username: "zz9".into()
        }
    );
    // Once its deprovision task is open, a second import opens no other.
    w.tasks.push(PortalTask {
        person: None,
        username: Some("ZZ9".into()),
        ..task(5, 0, TaskKind::Deprovision, TaskState::Open)
    });
    let r = w.run(&[stranger.clone()]);
    assert_eq!(only(&r).effect, Effect::Nothing);
    // A service account is listed as such until its review date.
    w.service.push(ServiceAccount {
        username: "zz9".into(),
        review_at: at("2027-01-01"),
    });
    assert_eq!(only(&w.run(&[stranger])).kind, FindingKind::ServiceAccount);
}

#[test]
fn ambiguous_matches_are_never_guessed() {
    let mut w = World::new();
    w.people.push(KnownPerson {
        id: Uuid::from_u128(9),
        ..person(9, "Ann Other", true)
    });
    let mut r1 = row(2, "annie", &[]);
    r1.email = Some("ann@acme.example".into());
    let r = w.run(&[r1]);
    let f = only(&r);
    assert_eq!((f.kind, f.person), (FindingKind::Unmatched, None));
    assert!(f.detail.contains("fits 2 people"), "{}", f.detail);
    // Name and NPI together match; the name alone never does.
    w.people[0].npis.push("1234567893".into());
    let mut r2 = row(2, "a.lee", &[]);
    r2.name = Some("Ann  Lee".into());
    r2.npi = Some("1234567893".into());
    let r = w.run(&[r2.clone()]);
    assert_eq!(only(&r).person, Some(Uuid::from_u128(1)));
    r2.npi = None;
    assert_eq!(only(&w.run(&[r2])).kind, FindingKind::Unmatched);
}

#[test]
fn role_drift_corrects_the_record() {
    let mut w = World::new();
    w.accounts.push(account(1, "alee", &["eligibility"], true));
    let r = w.run(&[row(2, "alee", &["eligibility", "remittance"])]);
    let f = only(&r);
    assert_eq!(f.kind, FindingKind::RoleDrift);
    assert_eq!(
        f.effect,
        Effect::RecordAccount {
            person: Uuid::from_u128(1),
            roles: Some(roles(&["eligibility", "remittance"]))
        }
    );
    // Without a roles column nothing is known about roles: no drift.
    let mut no_roles = row(2, "alee", &[]);
    no_roles.roles = None;
    assert!(w.run(&[no_roles]).findings.is_empty());
}

#[test]
fn shared_logins_by_every_rule() {
    let mut w = World::new();
    w.accounts.push(account(1, "alee", &[], true));
    w.accounts.push(account(3, "alee", &[], true));
    let mut same_mail = [row(3, "x1", &[]), row(4, "x2", &[])];
    for r in &mut same_mail {
        r.email = Some("office@acme.example".into());
    }
    let mut practice = row(5, "afm", &[]);
    practice.name = Some("Acme Family Medicine".into());
    let r = w.run(&[
        row(2, "frontdesk", &[]),
        same_mail[0].clone(),
        same_mail[1].clone(),
        practice,
        row(6, "alee", &[]),
    ]);
    let rules: Vec<_> = r.findings.iter().filter_map(|f| f.rule).collect();
    assert_eq!(
        rules,
        [
            SharedRule::GenericName,
            SharedRule::EmailOnSeveralAccounts,
            SharedRule::EmailOnSeveralAccounts,
            SharedRule::PracticeName,
            SharedRule::SeveralPeople,
        ]
    );
    assert!(
        r.findings
            .iter()
            .filter(|f| f.rule.is_some())
            .all(|f| f.kind == FindingKind::SharedLogin)
    );
    assert_eq!(
        r.counts[&FindingKind::Missing],
        2,
        "neither of alee's two people is shown"
    );
    // A leaver's account used after they left.
    let mut w = World::new();
    w.accounts.push(account(2, "bchen", &[], true));
    w.tasks
        .push(task(1, 2, TaskKind::Deprovision, TaskState::Open));
    let r = w.run(&[row(2, "bchen", &[])]);
    assert_eq!(r.findings[0].rule, Some(SharedRule::LoginAfterLeaving));
    assert_eq!(r.findings[1].kind, FindingKind::Orphan);
    assert_eq!(
        r.findings[1].effect,
        Effect::Nothing,
        "its deprovision is open"
    );
}

#[test]
fn missing_accounts_are_marked_gone_and_weighed() {
    let mut w = World::new();
    for (n, name) in [(1, "alee"), (3, "cdiaz")] {
        w.accounts.push(account(n, name, &[], true));
    }
    let mut disabled = row(2, "cdiaz", &[]);
    disabled.enabled = false;
    let r = w.run(&[row(2, "alee", &[]), disabled]);
    let f = only(&r);
    assert_eq!(
        (f.kind, f.effect.clone()),
        (
            FindingKind::Missing,
            Effect::MarkGone {
                person: Uuid::from_u128(3)
            }
        )
    );
    assert_eq!(r.missing(), 1);
    assert!(r.needs_confirmation(0.2), "one of two is 50 %");
    assert!(!r.needs_confirmation(0.5));
}

#[test]
fn dormant_accounts_and_administrators_near_lockout() {
    let mut w = World::new();
    w.accounts.push(account(1, "alee", &[], true));
    w.accounts
        .push(account(3, "cdiaz", &["provider-administrator"], true));
    let mut idle = row(2, "alee", &[]);
    idle.last_login = Some(at("2026-10-01"));
    let mut admin = row(3, "cdiaz", &["provider-administrator"]);
    admin.last_login = Some(at("2026-11-10"));
    let r = w.run(&[idle, admin]);
    assert_eq!(r.counts[&FindingKind::Dormant], 2);
    assert_eq!(r.findings[0].effect, Effect::Nothing);
    assert_eq!(
        r.findings[1].effect,
        Effect::LockoutAlert {
            lockout_at: at("2026-12-10")
        }
    );
}

#[test]
fn role_names_the_portal_does_not_know_never_rewrite_the_record() {
    let mut w = World::new();
    w.accounts
        .push(account(1, "alee", &["eligibility", "remittance"], true));
    let mut odd = row(2, "alee", &["eligibility"]);
    odd.unknown_roles = vec!["Remit Advice".into()];
    let r = w.run(&[odd]);
    let f = only(&r);
    assert_eq!(
        (f.kind, f.effect.clone()),
        (FindingKind::RoleDrift, Effect::Nothing)
    );
    assert!(f.detail.contains("Remit Advice"), "{}", f.detail);
}
