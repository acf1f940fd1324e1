//! Reconciling a portal's user list with what Portcullis recorded: which listed account is
//! whose, and what each difference means (DESIGN.md "Reconciliation"). Pure: the engine
//! gathers the records, calls [`reconcile`] for the preview and again, in its write
//! transaction, for the commit (the two must agree), and carries out each finding's
//! [`Effect`].
//!
//! Correlation: a recorded account's username, then the person's e-mail, then name and NPI
//! together; a match that could be more than one person is never guessed.

pub mod list;
pub mod shared;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::task::{TaskKind, TaskState};
pub use list::{ListColumns, ListedAccount};
pub use shared::SharedRule;

/// A person of the practice, as correlation needs them.
#[derive(Debug, Clone)]
pub struct KnownPerson {
    pub id: Uuid,
    pub name: String,
    /// Lower case.
    pub emails: Vec<String>,
    /// NPIs known for them (from accounts recorded with one).
    pub npis: Vec<String>,
    /// Active and not deleted: should have what policy grants.
    pub entitled: bool,
    /// When they left (their last leaver event), if they are gone.
    pub left_at: Option<DateTime<Utc>>,
}

/// An account recorded for this portal.
#[derive(Debug, Clone)]
pub struct RecordedAccount {
    pub person: Uuid,
    pub username: Option<String>,
    pub roles: BTreeSet<String>,
    /// Still grants access as far as Portcullis knows (not revoked, not gone).
    pub active: bool,
}

/// A task of this portal, finished or not, as reconciliation needs it (given oldest first).
#[derive(Debug, Clone)]
pub struct PortalTask {
    pub id: Uuid,
    pub person: Option<Uuid>,
    /// The portal account it is about, for tasks on an account no person is known for.
    pub username: Option<String>,
    pub kind: TaskKind,
    pub state: TaskState,
    pub roles_add: BTreeSet<String>,
    pub roles_remove: BTreeSet<String>,
    pub done_at: Option<DateTime<Utc>>,
}

/// A listed account the practice marked a service account, until its review date.
#[derive(Debug, Clone)]
pub struct ServiceAccount {
    pub username: String,
    pub review_at: DateTime<Utc>,
}

/// Everything reconciliation reads.
#[derive(Debug)]
pub struct Records<'a> {
    pub people: &'a [KnownPerson],
    pub accounts: &'a [RecordedAccount],
    pub tasks: &'a [PortalTask],
    pub service_accounts: &'a [ServiceAccount],
    /// The portal's administrator role slugs.
    pub admin_roles: &'a BTreeSet<String>,
    /// Days unused after which the portal disables an account (its inactivity rule).
    pub dormant_after_days: Option<u32>,
    pub practice_name: &'a str,
    pub now: DateTime<Utc>,
}

crate::domain::task::vocabulary! {
    /// What kind of difference a finding is.
    FindingKind {
        /// A done removal the list confirms.
        InStep => "in_step",
        /// The list still shows access a done or verified task removed.
        RevokedNotRemoved => "revoked_not_removed",
        /// An account for someone who left.
        Orphan => "orphan",
        /// An account for nobody we know (or for someone we cannot tell apart).
        Unmatched => "unmatched",
        /// More or fewer roles than recorded, or an account we had not recorded.
        RoleDrift => "role_drift",
        /// A login that looks shared or generic.
        SharedLogin => "shared_login",
        /// A recorded account the list does not show (or shows disabled).
        Missing => "missing",
        /// Unused for longer than the portal allows.
        Dormant => "dormant",
        /// A service account the practice accepted, not yet due for review.
        ServiceAccount => "service_account",
    }
}

/// One thing the list shows that the records do not (or confirms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    pub kind: FindingKind,
    /// The list's row (a spreadsheet's numbering); `None` for an account the list lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_name: Option<String>,
    /// For a shared login: the rule it breaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<SharedRule>,
    /// What it is, in words.
    pub detail: String,
    /// What committing the import does about it.
    pub effect: Effect,
}

/// What a commit does for a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Effect {
    /// Nothing to change (listed for the record, or already in hand).
    Nothing,
    /// A done removal the list confirms: the task becomes verified.
    VerifyTask { task: Uuid },
    /// A removal the list contradicts: the task reopens and its ladder restarts.
    ReopenTask { task: Uuid },
    /// The person's account is recorded as the list shows it (roles when the list has them);
    /// policy then decides the task.
    RecordAccount {
        person: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        roles: Option<BTreeSet<String>>,
    },
    /// The person's account is marked gone; policy then decides.
    MarkGone { person: Uuid },
    /// A deprovision task for an account of nobody we know.
    OpenDeprovision { username: String },
    /// A task to replace a shared login with personal accounts.
    ReplaceSharedLogin { username: String },
    /// An administrator account a week or less from its portal's inactivity lockout: an alert.
    LockoutAlert { lockout_at: DateTime<Utc> },
}

/// What a list shows, all told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reconciliation {
    /// Accounts the list holds.
    pub listed: usize,
    /// Listed accounts matched to a person.
    pub matched: usize,
    /// Listed accounts that agree with the records.
    pub in_step: usize,
    /// Findings of each kind.
    pub counts: BTreeMap<FindingKind, usize>,
    /// Accounts recorded active for this portal before the import.
    pub recorded_active: usize,
    /// The findings, in the list's order, then the accounts it lacks.
    pub findings: Vec<Finding>,
    /// Administrator accounts' last sign-ins, kept by the commit so the sweeper can warn a
    /// week before the portal's inactivity lockout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admin_logins: Vec<AdminLogin>,
}

/// An administrator account's last sign-in, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AdminLogin {
    pub person: Uuid,
    pub last_login: DateTime<Utc>,
}

impl Reconciliation {
    /// How many recorded accounts the commit would mark gone.
    pub fn missing(&self) -> usize {
        self.counts.get(&FindingKind::Missing).copied().unwrap_or(0)
    }

    /// Whether marking that many gone needs the caller to confirm the number: more than
    /// `share` of the portal's recorded active accounts.
    pub fn needs_confirmation(&self, share: f64) -> bool {
        let missing = self.missing();
        missing > 0 && (missing as f64) > share * (self.recorded_active as f64)
    }
}

impl utoipa::PartialSchema for FindingKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let words: Vec<&str> = FindingKind::ALL.iter().map(|k| k.as_str()).collect();
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(words))
            .into()
    }
}

impl utoipa::ToSchema for FindingKind {}

fn lower(text: &str) -> String {
    text.trim().to_lowercase()
}

/// A name compared without case, punctuation or word order ("Doe, Jane" is "Jane Doe").
fn normal_name(text: &str) -> String {
    let mut words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.sort();
    words.join(" ")
}

/// Who a listed account is: a person (with their recorded account, if any), or why not.
enum Match<'a> {
    Person(&'a KnownPerson, Option<&'a RecordedAccount>),
    /// Recorded for several people.
    SeveralPeople(Vec<&'a KnownPerson>),
    /// The e-mail or the name and NPI fit several people.
    Ambiguous(&'static str, usize),
    Nobody,
}

struct Index<'a> {
    people: HashMap<Uuid, &'a KnownPerson>,
    by_username: HashMap<String, Vec<&'a RecordedAccount>>,
    account_of: HashMap<Uuid, &'a RecordedAccount>,
    by_email: HashMap<String, Vec<&'a KnownPerson>>,
    by_name_npi: HashMap<(String, String), Vec<&'a KnownPerson>>,
}

impl<'a> Index<'a> {
    fn new(records: &Records<'a>) -> Self {
        let mut index = Index {
            people: records.people.iter().map(|p| (p.id, p)).collect(),
            by_username: HashMap::new(),
            account_of: HashMap::new(),
            by_email: HashMap::new(),
            by_name_npi: HashMap::new(),
        };
        for account in records.accounts {
            if let Some(username) = &account.username {
                index
                    .by_username
                    .entry(lower(username))
                    .or_default()
                    .push(account);
            }
            index.account_of.insert(account.person, account);
        }
        for person in records.people {
            for email in &person.emails {
                index
                    .by_email
                    .entry(email.clone())
                    .or_default()
                    .push(person);
            }
            for npi in &person.npis {
                index
                    .by_name_npi
                    .entry((normal_name(&person.name), npi.clone()))
                    .or_default()
                    .push(person);
            }
        }
        index
    }

    fn correlate(&self, row: &ListedAccount) -> Match<'a> {
        if let Some(accounts) = self.by_username.get(&lower(&row.username)) {
            let people: Vec<&KnownPerson> = accounts
                .iter()
                .filter_map(|a| self.people.get(&a.person).copied())
                .collect();
            return match people.as_slice() {
                [one] => Match::Person(one, accounts.first().copied()),
                [] => Match::Nobody,
                _ => Match::SeveralPeople(people),
            };
        }
        let one_of = |found: Option<&Vec<&'a KnownPerson>>, by: &'static str| match found
            .map(Vec::as_slice)
        {
            Some([one]) => Some(Match::Person(one, self.account_of.get(&one.id).copied())),
            Some(many) if many.len() > 1 => Some(Match::Ambiguous(by, many.len())),
            _ => None,
        };
        if let Some(found) = row
            .email
            .as_ref()
            .and_then(|e| one_of(self.by_email.get(e), "e-mail"))
        {
            return found;
        }
        if let (Some(name), Some(npi)) = (&row.name, &row.npi)
            && let Some(found) = one_of(
                self.by_name_npi.get(&(normal_name(name), npi.clone())),
                "name and NPI",
            )
        {
            return found;
        }
        Match::Nobody
    }
}

/// The finished tasks that changed a person's (or an unknown username's) account, latest last.
fn settled_changes<'t>(
    tasks: &'t [PortalTask],
    person: Option<Uuid>,
    username: Option<&str>,
) -> Vec<&'t PortalTask> {
    let mut found: Vec<&PortalTask> = tasks
        .iter()
        .filter(|t| matches!(t.state, TaskState::Done | TaskState::Verified))
        .filter(|t| {
            matches!(
                t.kind,
                TaskKind::Provision
                    | TaskKind::Modify
                    | TaskKind::Deprovision
                    | TaskKind::TransferAdmin
            )
        })
        .filter(|t| match (person, username) {
            (Some(p), _) => t.person == Some(p),
            (None, Some(u)) => {
                t.person.is_none() && t.username.as_deref().map(lower) == Some(lower(u))
            }
            (None, None) => false,
        })
        .collect();
    // Stable: tasks done at the same instant keep the order they were created in.
    found.sort_by_key(|t| t.done_at);
    found
}

fn pending<'t>(
    tasks: &'t [PortalTask],
    kind: TaskKind,
    person: Option<Uuid>,
    username: Option<&str>,
) -> Option<&'t PortalTask> {
    tasks.iter().find(|t| {
        TaskState::PENDING.contains(&t.state)
            && t.kind == kind
            && match person {
                Some(p) => t.person == Some(p),
                None => {
                    t.person.is_none() && t.username.as_deref().map(lower) == username.map(lower)
                }
            }
    })
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn roles_text(roles: &BTreeSet<String>) -> String {
    if roles.is_empty() {
        "no roles".to_owned()
    } else {
        roles.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// What the list shows against the records.
pub fn reconcile(list: &[ListedAccount], records: &Records<'_>) -> Reconciliation {
    let index = Index::new(records);
    let mut out = Reconciliation {
        listed: list.len(),
        matched: 0,
        in_step: 0,
        counts: BTreeMap::new(),
        recorded_active: records.accounts.iter().filter(|a| a.active).count(),
        findings: Vec::new(),
        admin_logins: Vec::new(),
    };
    let mut emails: HashMap<&str, usize> = HashMap::new();
    for row in list {
        if let Some(email) = &row.email {
            *emails.entry(email.as_str()).or_default() += 1;
        }
    }
    // People whose account the list shows enabled.
    let mut shown: HashSet<Uuid> = HashSet::new();
    let mut findings = Vec::new();
    for row in list {
        let before = findings.len();
        reconcile_row(
            row,
            records,
            &index,
            &emails,
            &mut shown,
            &mut out.matched,
            &mut findings,
        );
        if findings[before..]
            .iter()
            .all(|f: &Finding| f.kind == FindingKind::InStep)
        {
            out.in_step += 1;
        }
    }
    // Recorded accounts the list does not show enabled, and removals it confirms.
    let mut gone_people: Vec<&RecordedAccount> = records
        .accounts
        .iter()
        .filter(|a| !shown.contains(&a.person))
        .collect();
    gone_people.sort_by_key(|a| (a.username.clone(), a.person));
    for account in gone_people {
        let Some(person) = index.people.get(&account.person) else {
            continue;
        };
        let label = account.username.clone();
        if account.active {
            findings.push(Finding {
                kind: FindingKind::Missing,
                row: list
                    .iter()
                    .find(|r| Some(lower(&r.username)) == label.as_deref().map(lower))
                    .map(|r| r.row),
                username: label.clone(),
                person: Some(person.id),
                person_name: Some(person.name.clone()),
                rule: None,
                detail: "recorded as active, but the list does not show it enabled: marked gone"
                    .to_owned(),
                effect: Effect::MarkGone { person: person.id },
            });
        }
        if let Some(last) = settled_changes(records.tasks, Some(person.id), None).last()
            && last.kind == TaskKind::Deprovision
            && last.state == TaskState::Done
        {
            findings.push(verified_removal(last, label, Some(person)));
        }
    }
    // Removals of accounts nobody was known for, which the list no longer shows.
    let enabled: HashSet<String> = list
        .iter()
        .filter(|r| r.enabled)
        .map(|r| lower(&r.username))
        .collect();
    for task in records.tasks.iter().filter(|t| {
        t.person.is_none()
            && t.kind == TaskKind::Deprovision
            && t.state == TaskState::Done
            && t.username
                .as_deref()
                .is_some_and(|u| !enabled.contains(&lower(u)))
    }) {
        findings.push(verified_removal(task, task.username.clone(), None));
    }
    for finding in &findings {
        *out.counts.entry(finding.kind).or_default() += 1;
    }
    out.admin_logins = admin_logins(list, records, &index);
    out.findings = findings;
    out
}

/// The last sign-ins of the enabled administrator accounts the list shows, by person.
fn admin_logins(
    list: &[ListedAccount],
    records: &Records<'_>,
    index: &Index<'_>,
) -> Vec<AdminLogin> {
    list.iter()
        .filter(|row| row.enabled)
        .filter_map(|row| {
            let Match::Person(person, account) = index.correlate(row) else {
                return None;
            };
            let roles = row.roles.as_ref().or(account.map(|a| &a.roles))?;
            let admin = roles.iter().any(|r| records.admin_roles.contains(r));
            (admin && person.entitled).then_some(AdminLogin {
                person: person.id,
                last_login: row.last_login?,
            })
        })
        .collect()
}

fn verified_removal(
    task: &PortalTask,
    username: Option<String>,
    person: Option<&KnownPerson>,
) -> Finding {
    Finding {
        kind: FindingKind::InStep,
        row: None,
        username,
        person: person.map(|p| p.id),
        person_name: person.map(|p| p.name.clone()),
        rule: None,
        detail: "the removal is confirmed: the list no longer shows the account enabled".to_owned(),
        effect: Effect::VerifyTask { task: task.id },
    }
}

#[allow(clippy::too_many_arguments)]
fn reconcile_row<'a>(
    row: &ListedAccount,
    records: &Records<'a>,
    index: &Index<'a>,
    emails: &HashMap<&str, usize>,
    shown: &mut HashSet<Uuid>,
    matched: &mut usize,
    findings: &mut Vec<Finding>,
) {
    let finding =
        |kind: FindingKind, person: Option<&KnownPerson>, detail: String, effect: Effect| Finding {
            kind,
            row: Some(row.row),
            username: Some(row.username.clone()),
            person: person.map(|p| p.id),
            person_name: person.map(|p| p.name.clone()),
            rule: None,
            detail,
            effect,
        };
    if records
        .service_accounts
        .iter()
        .any(|s| lower(&s.username) == lower(&row.username) && s.review_at > records.now)
    {
        findings.push(finding(
            FindingKind::ServiceAccount,
            None,
            "marked a service account; not checked until its review date".to_owned(),
            Effect::Nothing,
        ));
        return;
    }
    let shared_task = |rule: SharedRule, person: Option<&KnownPerson>, detail: String| {
        let effect = if pending(
            records.tasks,
            TaskKind::ReplaceSharedLogin,
            None,
            Some(&row.username),
        )
        .is_some()
        {
            Effect::Nothing
        } else {
            Effect::ReplaceSharedLogin {
                username: row.username.clone(),
            }
        };
        Finding {
            rule: Some(rule),
            ..finding(FindingKind::SharedLogin, person, detail, effect)
        }
    };
    // Shared-login rules that need no person.
    let generic = shared::generic_rule(&row.username, records.practice_name).or_else(|| {
        row.name
            .as_deref()
            .and_then(|n| shared::generic_rule(n, records.practice_name))
    });
    let mut shared_found = false;
    if row.enabled {
        if let Some(rule) = generic {
            findings.push(shared_task(
                rule,
                None,
                format!("`{}` is {}", row.username, rule.describe()),
            ));
            shared_found = true;
        } else if let Some(email) = &row.email
            && emails.get(email.as_str()).copied().unwrap_or(0) > 1
        {
            let rule = SharedRule::EmailOnSeveralAccounts;
            findings.push(shared_task(
                rule,
                None,
                format!("{email} is on {} accounts", emails[email.as_str()]),
            ));
            shared_found = true;
        }
    }
    let (person, account) = match index.correlate(row) {
        Match::Person(person, account) => (person, account),
        Match::SeveralPeople(people) => {
            let names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
            let rule = SharedRule::SeveralPeople;
            if !shared_found && row.enabled {
                findings.push(shared_task(
                    rule,
                    None,
                    format!("recorded for {}", names.join(", ")),
                ));
            }
            return;
        }
        Match::Ambiguous(by, count) => {
            if row.enabled {
                findings.push(finding(
                    FindingKind::Unmatched,
                    None,
                    format!("its {by} fits {count} people; link it to the right one"),
                    Effect::Nothing,
                ));
            }
            return;
        }
        Match::Nobody => {
            if row.enabled && !shared_found {
                findings.push(unknown_account(row, records, &finding));
            }
            return;
        }
    };
    *matched += 1;
    if !row.enabled {
        // Shown disabled: handled with the accounts the list lacks.
        return;
    }
    shown.insert(person.id);
    // Role names the portal's catalogue entry does not know leave the account's roles
    // unknown: comparing the known ones alone would "correct" the record into a wrong one.
    let unknown_named;
    let row = if row.unknown_roles.is_empty() {
        row
    } else {
        findings.push(finding(
            FindingKind::RoleDrift,
            Some(person),
            format!(
                "the list names roles this portal's roles do not include ({}); the record is \
                 left as it is until they are added to the portal or the file uses the \
                 portal's role names",
                row.unknown_roles.join(", ")
            ),
            Effect::Nothing,
        ));
        unknown_named = ListedAccount {
            roles: None,
            ..row.clone()
        };
        &unknown_named
    };
    if let (Some(left), Some(login)) = (person.left_at, row.last_login)
        && !person.entitled
        && login > left
    {
        findings.push(shared_task(
            SharedRule::LoginAfterLeaving,
            Some(person),
            format!(
                "signed in {} after {} left on {}",
                day(login),
                person.name,
                day(left)
            ),
        ));
    }
    let changes = settled_changes(records.tasks, Some(person.id), None);
    let recorded_active = account.is_some_and(|a| a.active);
    let last = changes.last().copied();
    match last {
        // A removal the list contradicts.
        Some(task) if task.kind == TaskKind::Deprovision && !recorded_active => {
            findings.push(finding(
                FindingKind::RevokedNotRemoved,
                Some(person),
                format!(
                    "the deprovision task done {} removed it, but the list still shows it enabled",
                    task.done_at.map(day).unwrap_or_default()
                ),
                Effect::ReopenTask { task: task.id },
            ));
            dormant(row, person, account, records, &finding, findings);
            return;
        }
        Some(task)
            if task.kind == TaskKind::Modify
                && row.roles.as_ref().is_some_and(|roles| {
                    task.roles_remove.iter().any(|r| roles.contains(r))
                        && account
                            .is_some_and(|a| !task.roles_remove.iter().any(|r| a.roles.contains(r)))
                }) =>
        {
            let kept: BTreeSet<String> = task
                .roles_remove
                .iter()
                .filter(|r| row.roles.as_ref().is_some_and(|roles| roles.contains(*r)))
                .cloned()
                .collect();
            findings.push(finding(
                FindingKind::RevokedNotRemoved,
                Some(person),
                format!(
                    "the task done {} removed {}, but the list still shows it",
                    task.done_at.map(day).unwrap_or_default(),
                    roles_text(&kept)
                ),
                Effect::ReopenTask { task: task.id },
            ));
            dormant(row, person, account, records, &finding, findings);
            return;
        }
        _ => {}
    }
    if !person.entitled {
        let effect = if recorded_active
            && pending(records.tasks, TaskKind::Deprovision, Some(person.id), None).is_some()
        {
            Effect::Nothing
        } else {
            Effect::RecordAccount {
                person: person.id,
                roles: row.roles.clone(),
            }
        };
        let left = person
            .left_at
            .map(|d| format!(" on {}", day(d)))
            .unwrap_or_default();
        let detail = match effect {
            Effect::Nothing => format!("{} left{left}; the deprovision task is open", person.name),
            _ => format!(
                "{} left{left}, but the account is enabled: a deprovision task",
                person.name
            ),
        };
        findings.push(finding(FindingKind::Orphan, Some(person), detail, effect));
    } else if !recorded_active {
        findings.push(finding(
            FindingKind::RoleDrift,
            Some(person),
            format!(
                "an account with {} that was not recorded as active: recorded, and policy decides",
                row.roles
                    .as_ref()
                    .map(roles_text)
                    .unwrap_or_else(|| "unknown roles".into())
            ),
            Effect::RecordAccount {
                person: person.id,
                roles: row.roles.clone(),
            },
        ));
    } else if let (Some(listed), Some(account)) = (&row.roles, account)
        && listed != &account.roles
    {
        findings.push(finding(
            FindingKind::RoleDrift,
            Some(person),
            format!(
                "the list shows {}; recorded: {}. The record is corrected and policy decides",
                roles_text(listed),
                roles_text(&account.roles)
            ),
            Effect::RecordAccount {
                person: person.id,
                roles: Some(listed.clone()),
            },
        ));
    } else if let Some(task) = last
        && task.kind == TaskKind::Modify
        && task.state == TaskState::Done
    {
        findings.push(finding(
            FindingKind::InStep,
            Some(person),
            "the change is confirmed: the list shows the roles the task left".to_owned(),
            Effect::VerifyTask { task: task.id },
        ));
    }
    dormant(row, person, account, records, &finding, findings);
}

/// An enabled account for nobody we know: a deprovision task (or the one already open), and
/// the finding stays unmatched until it is linked or marked a service account. A removal of
/// it already done is reopened instead.
fn unknown_account(
    row: &ListedAccount,
    records: &Records<'_>,
    finding: &impl Fn(FindingKind, Option<&KnownPerson>, String, Effect) -> Finding,
) -> Finding {
    if let Some(done) = settled_changes(records.tasks, None, Some(&row.username)).last() {
        return finding(
            FindingKind::RevokedNotRemoved,
            None,
            format!(
                "the deprovision task done {} removed it, but the list still shows it enabled",
                done.done_at.map(day).unwrap_or_default()
            ),
            Effect::ReopenTask { task: done.id },
        );
    }
    let effect = if pending(
        records.tasks,
        TaskKind::Deprovision,
        None,
        Some(&row.username),
    )
    .is_some()
    {
        Effect::Nothing
    } else {
        Effect::OpenDeprovision {
            username: row.username.clone(),
        }
    };
    let who = [row.name.as_deref(), row.email.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let who = if who.is_empty() {
        String::new()
    } else {
        format!(" ({who})")
    };
    finding(
        FindingKind::Unmatched,
        None,
        format!(
            "an account{who} for nobody we know: a deprovision task, until it is linked to a person or marked a service account"
        ),
        effect,
    )
}

fn dormant(
    row: &ListedAccount,
    person: &KnownPerson,
    account: Option<&RecordedAccount>,
    records: &Records<'_>,
    finding: &impl Fn(FindingKind, Option<&KnownPerson>, String, Effect) -> Finding,
    findings: &mut Vec<Finding>,
) {
    // A leaver's account is an orphan whatever its last login.
    let (Some(days), Some(login), true) =
        (records.dormant_after_days, row.last_login, person.entitled)
    else {
        return;
    };
    let lockout = login + Duration::days(i64::from(days));
    let roles = row.roles.as_ref().or(account.map(|a| &a.roles));
    let admin = roles.is_some_and(|r| r.iter().any(|role| records.admin_roles.contains(role)));
    if records.now >= lockout {
        findings.push(finding(
            FindingKind::Dormant,
            Some(person),
            format!(
                "last signed in {}; the portal disables accounts unused {days} days",
                day(login)
            ),
            Effect::Nothing,
        ));
    } else if admin && records.now >= lockout - Duration::days(7) {
        findings.push(finding(
            FindingKind::Dormant,
            Some(person),
            format!(
                "an administrator account last signed in {}: the portal locks it on {} unless it signs in",
                day(login),
                day(lockout)
            ),
            Effect::LockoutAlert { lockout_at: lockout },
        ));
    }
}

#[cfg(test)]
mod tests;
