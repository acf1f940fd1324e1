//! Policy: the rules that say who gets which role in which portal, one rule edited at a time
//! in a form, a "Preview" of who would gain and lose what before anything is stored, "Save"
//! behind the same checks and mass-revocation guard as `PUT /api/v1/policy`, and every
//! version with who saved it.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::session::{Act, SignedIn};
use super::view::{Frame, NoticeQuery, When as Moment, notice_link, urlencode, who};
use super::{render, see_other};
use crate::domain::policy::{PolicyDocument, Rule, When};
use crate::engine::policy::{self, RevocationGuard};
use crate::http::errors::WireError;
use crate::store::StoreError;
use crate::store::portals::PracticePortal;

struct RuleRow {
    name: String,
    applies: String,
    grants: String,
    edit: String,
}

struct VersionRow {
    version: i32,
    actor: String,
    at: Option<Moment>,
    rules: usize,
}

#[derive(Template)]
#[template(path = "policy.html", config = "src/console/askama.toml")]
struct PolicyPage {
    frame: Frame,
    version: i32,
    saved_by: Option<String>,
    saved_at: Option<Moment>,
    rules: Vec<RuleRow>,
    third_party: String,
    terminated: String,
    history: Vec<VersionRow>,
    notice: Option<String>,
}

/// "title Front Desk or Receptionist; group Billing Desk", or "everyone".
fn describe_when(when: &When) -> String {
    let parts: Vec<String> = [
        ("title", &when.title),
        ("department", &when.department),
        ("division", &when.division),
        ("cost center", &when.cost_center),
        ("employee type", &when.employee_type),
        ("group", &when.group),
    ]
    .into_iter()
    .filter(|(_, values)| !values.is_empty())
    .map(|(key, values)| format!("{key} {}", values.join(" or ")))
    .collect();
    if parts.is_empty() {
        "everyone".to_owned()
    } else {
        parts.join("; ")
    }
}

/// "Availity Essentials: Claim status, Remittance viewer", with the portals' own names.
fn describe_grants(
    grant: &BTreeMap<String, Vec<String>>,
    portals: &BTreeMap<String, PracticePortal>,
) -> String {
    grant
        .iter()
        .map(|(portal, roles)| {
            let known = portals.get(portal);
            let roles: Vec<String> = roles
                .iter()
                .map(|role| {
                    known
                        .and_then(|p| p.portal.roles.iter().find(|r| &r.slug == role))
                        .map_or_else(|| role.clone(), |r| r.name.clone())
                })
                .collect();
            format!(
                "{}: {}",
                known.map_or(portal.as_str(), |p| p.portal.name.as_str()),
                roles.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `GET /console/policy`: the rules, the markers, and every version with who saved it.
#[get("/policy")]
pub async fn page(me: SignedIn, query: web::Query<NoticeQuery>) -> Result<HttpResponse, WireError> {
    let store = me.store();
    let current = store.policy().await?;
    let portals = store.practice_portals().await?;
    let tz = me.session.practice.time_zone.tz();
    let now = me.now();
    let rules = current
        .document
        .rules
        .iter()
        .map(|rule| RuleRow {
            name: rule.name.clone(),
            applies: describe_when(&rule.when),
            grants: describe_grants(&rule.grant, &portals),
            edit: format!("/console/policy/rule?name={}", urlencode(&rule.name)),
        })
        .collect();
    let marker = |when: &Option<When>| match when {
        Some(w) if w != &When::default() => describe_when(w),
        _ => "not set".to_owned(),
    };
    let history = store
        .policy_history()
        .await?
        .into_iter()
        .map(|v| VersionRow {
            version: v.version,
            actor: v.actor.as_deref().map(who).unwrap_or_default(),
            at: v.created_at.map(|at| Moment::at(at, now, tz)),
            rules: v.document.rules.len(),
        })
        .collect();
    render(&PolicyPage {
        frame: Frame::load(&me, "Policy", "Policy").await?,
        version: current.version,
        saved_by: current.actor.as_deref().map(who),
        saved_at: current.created_at.map(|at| Moment::at(at, now, tz)),
        rules,
        third_party: marker(&current.document.third_party),
        terminated: marker(&current.document.terminated),
        history,
        notice: query.shown(&me),
    })
}

struct RoleChoice {
    value: String,
    id: String,
    name: String,
    checked: bool,
}

struct PortalChoice {
    name: String,
    roles: Vec<RoleChoice>,
}

struct ChangeRow {
    name: String,
    portal: String,
    role: String,
    rules: String,
}

struct PreviewPanel {
    gains: Vec<ChangeRow>,
    losses: Vec<ChangeRow>,
    removal_tasks: usize,
    accounts: u64,
    needs_confirmation: bool,
}

#[derive(Template)]
#[template(path = "policy_rule.html", config = "src/console/askama.toml")]
struct RuleForm {
    frame: Frame,
    base_version: i32,
    original: String,
    rule: RuleFields,
    portals: Vec<PortalChoice>,
    error: Option<String>,
    preview: Option<PreviewPanel>,
}

/// The form's text, as typed (one value per line).
#[derive(Debug, Default, Deserialize)]
pub struct RuleFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    division: String,
    #[serde(default)]
    cost_center: String,
    #[serde(default)]
    employee_type: String,
    #[serde(default)]
    group: String,
}

impl RuleFields {
    fn of(rule: &Rule) -> Self {
        let lines = |values: &[String]| values.join("\n");
        Self {
            name: rule.name.clone(),
            title: lines(&rule.when.title),
            department: lines(&rule.when.department),
            division: lines(&rule.when.division),
            cost_center: lines(&rule.when.cost_center),
            employee_type: lines(&rule.when.employee_type),
            group: lines(&rule.when.group),
        }
    }

    fn when(&self) -> When {
        let values = |text: &str| {
            let mut out: Vec<String> = Vec::new();
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if !out.iter().any(|v| v.eq_ignore_ascii_case(line)) {
                    out.push(line.to_owned());
                }
            }
            out
        };
        When {
            title: values(&self.title),
            department: values(&self.department),
            division: values(&self.division),
            cost_center: values(&self.cost_center),
            employee_type: values(&self.employee_type),
            group: values(&self.group),
        }
    }
}

/// The grant checkboxes: every role of every portal of the practice, ticked where `grant`
/// has it.
fn choices(
    portals: &BTreeMap<String, PracticePortal>,
    grant: &BTreeMap<String, Vec<String>>,
) -> Vec<PortalChoice> {
    portals
        .values()
        .map(|p| PortalChoice {
            name: p.portal.name.clone(),
            roles: p
                .portal
                .roles
                .iter()
                .map(|r| RoleChoice {
                    value: format!("{}/{}", p.portal.slug, r.slug),
                    id: format!("g-{}-{}", p.portal.slug, r.slug),
                    name: r.name.clone(),
                    checked: grant
                        .get(&p.portal.slug)
                        .is_some_and(|roles| roles.contains(&r.slug)),
                })
                .collect(),
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct RuleQuery {
    name: Option<String>,
}

/// `GET /console/policy/rule[?name=…]`: one rule in a form (a new one without a name).
#[get("/policy/rule")]
pub async fn rule_form(
    me: SignedIn,
    query: web::Query<RuleQuery>,
) -> Result<HttpResponse, WireError> {
    let store = me.store();
    let current = store.policy().await?;
    let portals = store.practice_portals().await?;
    let found = match &query.name {
        Some(name) => Some(
            current
                .document
                .rules
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| WireError::not_found("the policy has no rule of that name"))?,
        ),
        None => None,
    };
    let title = if found.is_some() {
        "Edit a rule"
    } else {
        "Add a rule"
    };
    render(&RuleForm {
        frame: Frame::load(&me, title, "Policy").await?,
        base_version: current.version,
        original: found.map(|r| r.name.clone()).unwrap_or_default(),
        rule: found.map(RuleFields::of).unwrap_or_default(),
        portals: choices(
            &portals,
            &found.map(|r| r.grant.clone()).unwrap_or_default(),
        ),
        error: None,
        preview: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct RuleInput {
    base_version: i32,
    #[serde(default)]
    original: String,
    #[serde(flatten)]
    rule: RuleFields,
    /// `preview`, `save` or `delete`.
    go: String,
    #[serde(default)]
    confirm_revocations: String,
}

/// `POST /console/policy/rule`: "Preview" shows who would gain and lose what (nothing is
/// stored); "Save" and "Delete rule" store a new version through the engine, with the same
/// checks and mass-revocation guard as the API, audited under the person's name.
#[post("/policy/rule")]
pub async fn submit(act: Act<RuleInput>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let input = &act.form;
    let store = me.store();
    let current = store.policy().await?;
    let portals = store.practice_portals().await?;
    let mut grant: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in &act.fields {
        if key == "grant"
            && let Some((portal, role)) = value.split_once('/')
        {
            grant
                .entry(portal.to_owned())
                .or_default()
                .push(role.to_owned());
        }
    }
    let rule = Rule {
        name: input.rule.name.trim().to_owned(),
        when: input.rule.when(),
        grant: grant.clone(),
    };
    let mut document: PolicyDocument = current.document.clone();
    let at = document
        .rules
        .iter()
        .position(|r| !input.original.is_empty() && r.name.eq_ignore_ascii_case(&input.original));
    match (input.go.as_str(), at) {
        ("delete", Some(at)) => {
            document.rules.remove(at);
        }
        ("delete", None) => {
            return Err(WireError::not_found("the policy has no rule of that name"));
        }
        ("preview" | "save", Some(at)) => document.rules[at] = rule,
        ("preview" | "save", None) => document.rules.push(rule),
        _ => {
            return Err(WireError::bad_request(
                "the form says neither Preview, Save nor Delete rule",
            ));
        }
    }
    let title = if input.original.is_empty() {
        "Add a rule"
    } else {
        "Edit a rule"
    };
    let frame = Frame::load(me, title, "Policy").await?;
    let form = |error: Option<String>, preview: Option<PreviewPanel>, base_version: i32| RuleForm {
        frame: frame.clone(),
        base_version,
        original: input.original.clone(),
        rule: RuleFields {
            name: input.rule.name.clone(),
            title: input.rule.title.clone(),
            department: input.rule.department.clone(),
            division: input.rule.division.clone(),
            cost_center: input.rule.cost_center.clone(),
            employee_type: input.rule.employee_type.clone(),
            group: input.rule.group.clone(),
        },
        portals: choices(&portals, &grant),
        error,
        preview,
    };
    let answer = |shown: RuleForm, status: StatusCode| -> Result<HttpResponse, WireError> {
        let mut response = render(&shown)?;
        *response.status_mut() = status;
        Ok(response)
    };
    let stale = |version: i32| {
        form(
            Some(format!(
                "The policy changed since this form was opened (it is now version {version}). \
                 Nothing was saved. Check this rule against the current policy, then preview \
                 or save again."
            )),
            None,
            version,
        )
    };
    if current.version != input.base_version {
        return answer(stale(current.version), StatusCode::CONFLICT);
    }
    if let Err(e) = policy::validate(&store, &document).await {
        let shown = form(Some(refusal(e)?), None, current.version);
        return answer(shown, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let portals = &portals;
    let preview_of = |document: PolicyDocument| {
        let store = me.store();
        async move {
            let changes = policy::access_changes(&store, &document).await?;
            let impact = policy::policy_impact(&store, &document, &me.actor()).await?;
            let row = |c: &policy::AccessChange| {
                let portal = portals.get(&c.portal);
                ChangeRow {
                    name: c.name.clone(),
                    portal: portal.map_or_else(|| c.portal.clone(), |p| p.portal.name.clone()),
                    role: portal
                        .and_then(|p| p.portal.roles.iter().find(|r| r.slug == c.role))
                        .map_or_else(|| c.role.clone(), |r| r.name.clone()),
                    rules: c.rules.join(", "),
                }
            };
            Ok::<_, StoreError>(PreviewPanel {
                gains: changes.iter().filter(|c| c.gained).map(row).collect(),
                losses: changes.iter().filter(|c| !c.gained).map(row).collect(),
                removal_tasks: impact.removals,
                accounts: impact.accounts,
                needs_confirmation: impact.exceeds(me.state.mass_revocation_share),
            })
        }
    };
    if input.go == "preview" {
        let panel = preview_of(document).await?;
        let shown = form(None, Some(panel), current.version);
        return answer(shown, StatusCode::OK);
    }
    let guard = RevocationGuard {
        max_share: me.state.mass_revocation_share,
        confirmed: input.confirm_revocations.trim().parse().ok(),
        // Checked again in the write: another save between this check and that one loses
        // nothing.
        based_on: Some(input.base_version),
    };
    match policy::replace_policy(&store, &document, &me.actor(), guard).await {
        Ok(version) => {
            let what = if input.go == "delete" {
                "Rule deleted"
            } else {
                "Rule saved"
            };
            Ok(see_other(&notice_link(
                me,
                "/console/policy",
                &format!("{what}: the policy is now version {version}."),
            )))
        }
        Err(StoreError::MassRevocation { removals, .. }) => {
            let panel = preview_of(document).await?;
            let shown = form(
                Some(format!(
                    "This change would open {removals} removal tasks, more than the share of the \
                     practice's accounts a change may take away unconfirmed. Nothing was saved. \
                     If it is meant, type {removals} below and save again."
                )),
                Some(panel),
                current.version,
            );
            answer(shown, StatusCode::CONFLICT)
        }
        Err(StoreError::Refused(why)) => {
            let shown = form(Some(why), None, current.version);
            answer(shown, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(StoreError::VersionMismatch { current }) => answer(
            stale(i32::try_from(current).unwrap_or(i32::MAX)),
            StatusCode::CONFLICT,
        ),
        Err(other) => Err(other.into()),
    }
}

/// A refusal's words for the form; anything else is an error shown.
fn refusal(error: StoreError) -> Result<String, WireError> {
    match error {
        StoreError::Refused(why) => Ok(why),
        other => Err(other.into()),
    }
}
