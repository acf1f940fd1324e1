//! Portals: the practice's carrier directory (the seed article asks for one: every contracted
//! carrier with its direct URL), with the organization's identifiers, administrators against
//! the portal's minimum, SLA overrides and open work.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::home::portal_load;
use super::session::{Act, SignedIn};
use super::view::{Frame, NoticeQuery, When, notice_link, urlencode};
use super::{render, see_other};
use crate::domain::duty::DutyState;
use crate::domain::sla::{Sla, SlaKey};
use crate::domain::training::TrainingRule;
use crate::engine::portals::checked;
use crate::engine::reports::access_lines;
use crate::http::errors::WireError;
use crate::store::StoreError;
use crate::store::duties::DutyChange;
use crate::store::portals::{OrgScope, PracticePortalWrite};

pub(super) struct PortalRow {
    slug: String,
    name: String,
    url: String,
    kind: String,
    identifiers: String,
    admins: usize,
    min_admins: Option<u32>,
    short_of_admins: bool,
    overrides: String,
    open: u64,
    overdue: u64,
    own: bool,
}

#[derive(Template)]
#[template(path = "portals.html", config = "src/console/askama.toml")]
struct Portals {
    frame: Frame,
    portals: Vec<PortalRow>,
    catalogue: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

#[get("/portals")]
pub async fn page(me: SignedIn, query: web::Query<NoticeQuery>) -> Result<HttpResponse, WireError> {
    directory_page(&me, query.shown(&me), None).await
}

/// The directory, with what the last action said.
async fn directory_page(
    me: &SignedIn,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, WireError> {
    let store = me.store();
    let portals = store.practice_portals().await?;
    let work = store.open_work(me.now()).await?;
    let load: BTreeMap<String, (u64, u64)> = portal_load(me, &work)
        .await?
        .into_iter()
        .map(|p| (p.slug, (p.open, p.overdue)))
        .collect();
    // Administrators per portal: recorded accounts holding one of its administrator roles.
    let mut admins: BTreeMap<String, usize> = BTreeMap::new();
    for line in access_lines(&store).await? {
        let Some(portal) = portals.get(&line.portal) else {
            continue;
        };
        let is_admin = line.roles.iter().any(|r| {
            portal
                .portal
                .roles
                .iter()
                .any(|role| &role.slug == r && role.is_admin)
        });
        if is_admin {
            *admins.entry(line.portal.clone()).or_default() += 1;
        }
    }
    let rows = portals
        .values()
        .map(|p| {
            let scope = &p.org_scope;
            let identifiers = [
                ("TIN", &scope.tin),
                ("NPI", &scope.group_npi),
                ("PTAN", &scope.ptan),
                ("Trading partner", &scope.trading_partner_id),
            ]
            .into_iter()
            .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label} {v}")))
            .collect::<Vec<_>>()
            .join(" · ");
            let min = p.min_admins.or(p.portal.admin_limits.min);
            let count = admins.get(&p.portal.slug).copied().unwrap_or(0);
            let (open, overdue) = load.get(&p.portal.slug).copied().unwrap_or((0, 0));
            PortalRow {
                slug: p.portal.slug.clone(),
                name: p.portal.name.clone(),
                url: p.portal.url.clone(),
                kind: kind_words(&p.portal.kind),
                identifiers,
                admins: count,
                short_of_admins: min.is_some_and(|m| (count as u32) < m),
                min_admins: min,
                overrides: p
                    .sla_overrides
                    .iter()
                    .map(|(key, sla)| format!("{key} {sla}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                open,
                overdue,
                own: p.custom,
            }
        })
        .collect();
    let catalogue = me
        .state
        .store
        .catalog()
        .portals
        .iter()
        .filter(|c| !portals.contains_key(&c.slug))
        .map(|c| (c.slug.clone(), c.name.clone()))
        .collect();
    let status = if error.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let mut response = render(&Portals {
        frame: Frame::load(me, "Portals", "Portals").await?,
        portals: rows,
        catalogue,
        notice,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    portal: String,
    tin: Option<String>,
    group_npi: Option<String>,
    ptan: Option<String>,
}

/// `POST /console/portals`: add a catalogue portal, with the organization's identifiers,
/// checked by the same rules as `POST /api/v1/practice-portals`.
#[post("/portals")]
pub async fn add(act: Act<AddForm>) -> Result<HttpResponse, WireError> {
    let filled = |v: &Option<String>| {
        v.as_deref()
            .map(|t| t.trim().replace([' ', '-'], ""))
            .filter(|t| !t.is_empty())
    };
    let write = PracticePortalWrite {
        portal_slug: act.form.portal.trim().to_owned(),
        custom: None,
        org_scope: OrgScope {
            tin: filled(&act.form.tin),
            group_npi: filled(&act.form.group_npi),
            ptan: filled(&act.form.ptan),
            ..Default::default()
        },
        min_admins: None,
        max_admins: None,
        sla_overrides: Default::default(),
        url: None,
    };
    let write = checked(act.me.state.store.catalog(), write)?;
    let added = act
        .me
        .store()
        .add_practice_portal(write, &act.me.actor())
        .await?;
    Ok(see_other(&notice_link(
        &act.me,
        "/console/portals",
        &format!("{} added.", added.portal.name),
    )))
}

/// The SLA keys a practice portal may override, with the words the Settings page uses.
const OVERRIDABLE: [(SlaKey, &str); 5] = [
    (SlaKey::Deprovision, "Remove a leaver's access"),
    (SlaKey::ModifyRemoval, "Take roles away from a mover"),
    (SlaKey::Provision, "Create accounts and add roles"),
    (
        SlaKey::TransferAdmin,
        "Hand over a leaver's portal-administrator role",
    ),
    (
        SlaKey::NotifyThirdParty,
        "Tell a vendor or billing company their user left",
    ),
];

struct OverrideField {
    key: &'static str,
    label: &'static str,
    value: String,
    default: String,
}

struct RoleLine {
    name: String,
    sensitivity: String,
    admin: bool,
}

#[derive(Template)]
#[template(path = "portal.html", config = "src/console/askama.toml")]
struct PortalPage {
    frame: Frame,
    slug: String,
    name: String,
    url: String,
    catalogue_url: String,
    kind: String,
    own: bool,
    version: i64,
    tin: String,
    group_npi: String,
    ptan: String,
    trading_partner_id: String,
    url_override: String,
    min_admins: String,
    max_admins: String,
    catalogue_limits: String,
    overrides: Vec<OverrideField>,
    roles: Vec<RoleLine>,
    user_admin_place: String,
    open: u64,
    overdue: u64,
    duties: Vec<DutyRow>,
    training: TrainingShown,
    lists: super::imports::ListSection,
    /// Today's date in the practice's time zone, the "met on" default.
    today: String,
    notice: Option<String>,
    error: Option<String>,
}

/// The portal's training rule, as its page shows and edits it.
struct TrainingShown {
    required: bool,
    /// "catalogue", "yes" or "no": the practice's choice, for the form.
    choice: &'static str,
    catalogue_required: bool,
    valid_days: String,
    catalogue_valid_days: String,
}

/// A standing duty as the portal page shows it.
struct DutyRow {
    key: String,
    name: String,
    consequence: String,
    every_days: u32,
    window_days: u32,
    /// The practice's own value differs from the catalogue's: say so.
    corrected: bool,
    last_met: String,
    due: When,
    window_opens: When,
    state: &'static str,
    alarming: bool,
    /// The deadline a review started from this duty gets: the duty's own, or a week from
    /// today when that has passed.
    review_deadline: String,
}

/// The form's values as typed, for showing them again with a refusal.
#[derive(Debug, Default, Deserialize)]
pub struct PortalForm {
    version: i64,
    #[serde(default)]
    tin: String,
    #[serde(default)]
    group_npi: String,
    #[serde(default)]
    ptan: String,
    #[serde(default)]
    trading_partner_id: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    min_admins: String,
    #[serde(default)]
    max_admins: String,
    #[serde(default)]
    deprovision: String,
    #[serde(default)]
    modify_removal: String,
    #[serde(default)]
    provision: String,
    #[serde(default)]
    transfer_admin: String,
    #[serde(default)]
    notify_third_party: String,
}

impl PortalForm {
    fn override_text(&self, key: SlaKey) -> &str {
        match key {
            SlaKey::Deprovision => &self.deprovision,
            SlaKey::ModifyRemoval => &self.modify_removal,
            SlaKey::Provision => &self.provision,
            SlaKey::TransferAdmin => &self.transfer_admin,
            SlaKey::NotifyThirdParty => &self.notify_third_party,
        }
    }
}

fn kind_words(kind: &crate::domain::catalog::PortalKind) -> String {
    format!("{kind:?}")
        .chars()
        .flat_map(|c| {
            if c.is_uppercase() {
                vec![' ', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

async fn portal_page(
    me: &SignedIn,
    slug: &str,
    typed: Option<&PortalForm>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, WireError> {
    let store = me.store();
    let p = store
        .practice_portals()
        .await?
        .remove(slug)
        .ok_or_else(|| WireError::not_found("the practice does not use this portal"))?;
    let practice = store.practice().await?;
    let work = store.open_work(me.now()).await?;
    let (open, overdue) = portal_load(me, &work)
        .await?
        .into_iter()
        .find(|l| l.slug == slug)
        .map_or((0, 0), |l| (l.open, l.overdue));
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let overrides = OVERRIDABLE
        .iter()
        .map(|(key, label)| OverrideField {
            key: key.as_str(),
            label,
            value: match typed {
                Some(form) => form.override_text(*key).to_owned(),
                None => p
                    .sla_overrides
                    .get(key.as_str())
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            },
            default: practice.sla.for_key(*key, &Default::default()).to_string(),
        })
        .collect();
    let catalogue_url = me
        .state
        .store
        .catalog()
        .portal(slug)
        .map(|c| c.url.clone())
        .unwrap_or_default();
    let limits = &p.portal.admin_limits;
    let any = |n: Option<u32>| n.map_or_else(|| "any".to_owned(), |n| n.to_string());
    let catalogue_limits = match (limits.min, limits.max) {
        (None, None) => "none".to_owned(),
        (min, max) => format!("at least {}, at most {}", any(min), any(max)),
    };
    let roles = p
        .portal
        .roles
        .iter()
        .map(|r| RoleLine {
            name: r.name.clone(),
            sensitivity: format!("{:?}", r.sensitivity).to_lowercase(),
            admin: r.is_admin,
        })
        .collect();
    let now = me.now();
    let tz = me.session.practice.time_zone.tz();
    let duties = me
        .store()
        .duties(Some(slug), now)
        .await?
        .into_iter()
        .map(|d| DutyRow {
            corrected: d.every_days != d.catalogue_every_days
                || d.window_days != d.catalogue_window_days,
            last_met: match (&d.last_met_at, &d.met_by) {
                (Some(at), Some(by)) => format!(
                    "{}, recorded by {}",
                    When::at(*at, now, tz).text,
                    super::view::who(by)
                ),
                (Some(at), None) => When::at(*at, now, tz).text,
                _ => "never recorded: counted from when the portal was added".to_owned(),
            },
            due: When::due(d.due_at, now, tz, true),
            window_opens: When::at(d.window_opens_at, now, tz),
            state: match d.state {
                DutyState::Ok => "not yet open",
                DutyState::WindowOpen => "window open",
                DutyState::Overdue => "overdue",
            },
            alarming: d.state != DutyState::Ok,
            review_deadline: if d.due_at > now + chrono::Duration::days(1) {
                d.due_at.with_timezone(&tz).date_naive()
            } else {
                (now + chrono::Duration::days(7))
                    .with_timezone(&tz)
                    .date_naive()
            }
            .to_string(),
            key: d.key,
            name: d.name,
            consequence: d.consequence,
            every_days: d.every_days,
            window_days: d.window_days,
        })
        .collect();
    let catalogue = TrainingRule::of_catalogue(&p.portal);
    let days = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_default();
    let training = TrainingShown {
        required: p.training.required,
        choice: match p.training_required_set {
            None => "catalogue",
            Some(true) => "yes",
            Some(false) => "no",
        },
        catalogue_required: catalogue.required,
        valid_days: days(p.training_valid_days_set),
        catalogue_valid_days: days(catalogue.valid_days),
    };
    let frame = Frame::load(me, p.portal.name.clone(), "Portals").await?;
    let lists = super::imports::list_section(me, &p.portal).await?;
    let shown = PortalPage {
        lists,
        duties,
        training,
        today: now.with_timezone(&tz).date_naive().to_string(),
        frame,
        slug: p.portal.slug.clone(),
        name: p.portal.name.clone(),
        url: p.portal.url.clone(),
        catalogue_url: catalogue_url.clone(),
        kind: kind_words(&p.portal.kind),
        own: p.custom,
        version: p.version,
        tin: typed.map_or_else(|| text(&p.org_scope.tin), |f| f.tin.clone()),
        group_npi: typed.map_or_else(|| text(&p.org_scope.group_npi), |f| f.group_npi.clone()),
        ptan: typed.map_or_else(|| text(&p.org_scope.ptan), |f| f.ptan.clone()),
        trading_partner_id: typed.map_or_else(
            || text(&p.org_scope.trading_partner_id),
            |f| f.trading_partner_id.clone(),
        ),
        // The portal's URL is the practice's own when it differs from the catalogue's.
        url_override: typed.map_or_else(
            || {
                if p.custom || p.portal.url == catalogue_url {
                    String::new()
                } else {
                    p.portal.url.clone()
                }
            },
            |f| f.url.clone(),
        ),
        min_admins: typed.map_or_else(|| number(p.min_admins), |f| f.min_admins.clone()),
        max_admins: typed.map_or_else(|| number(p.max_admins), |f| f.max_admins.clone()),
        catalogue_limits,
        overrides,
        roles,
        user_admin_place: p.portal.user_admin_place.clone().unwrap_or_default(),
        open,
        overdue,
        notice,
        error: error.clone(),
    };
    let mut response = render(&shown)?;
    if error.is_some() {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /console/portals/{slug}`: one practice portal, its roles, and its settings in a form.
#[get("/portals/{slug}")]
pub async fn detail(
    me: SignedIn,
    slug: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WireError> {
    portal_page(&me, &slug, None, query.shown(&me), None).await
}

/// The form as a write, or what to fix.
fn portal_write(
    slug: &str,
    custom: Option<crate::domain::catalog::Portal>,
    form: &PortalForm,
) -> Result<PracticePortalWrite, String> {
    let optional = |v: &str| {
        let v = v.trim().replace([' ', '-'], "");
        (!v.is_empty()).then_some(v)
    };
    let count = |label: &str, v: &str| -> Result<Option<u32>, String> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u32>()
            .map(Some)
            .map_err(|_| format!("{label}: `{v}` is not a whole number"))
    };
    let mut sla_overrides = crate::domain::sla::SlaOverrides::new();
    for (key, label) in OVERRIDABLE {
        let text = form.override_text(key).trim();
        if !text.is_empty() {
            let sla = Sla::parse(text).map_err(|e| format!("{label}: {e}"))?;
            sla_overrides.insert(key.as_str().to_owned(), sla);
        }
    }
    let url = form.url.trim();
    Ok(PracticePortalWrite {
        portal_slug: slug.to_owned(),
        custom,
        org_scope: OrgScope {
            tin: optional(&form.tin),
            group_npi: optional(&form.group_npi),
            ptan: optional(&form.ptan),
            trading_partner_id: optional(&form.trading_partner_id),
        },
        min_admins: count("At least this many administrators", &form.min_admins)?,
        max_admins: count("At most this many administrators", &form.max_admins)?,
        sla_overrides,
        url: (!url.is_empty()).then(|| url.to_owned()),
    })
}

#[derive(Debug, Deserialize)]
pub struct TrainingRuleForm {
    /// "catalogue", "yes" or "no".
    required: String,
    valid_days: String,
}

/// `POST /console/portals/{slug}/training`: whether the portal requires training before
/// access, and for how long a training stays valid.
#[post("/portals/{slug}/training")]
pub async fn training_rule(
    act: Act<TrainingRuleForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let required = match act.form.required.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let days = act.form.valid_days.trim();
    let said = match (days.is_empty(), days.parse::<u32>()) {
        (false, Err(_)) => {
            "Not saved: write the days as a number, like 365, or leave it empty.".to_owned()
        }
        (empty, parsed) => {
            let valid_days = if empty { None } else { parsed.ok() };
            match me
                .store()
                .set_training_rule(&slug, required, valid_days, &me.actor())
                .await
            {
                Ok(p) if p.training.required => format!(
                    "Saved: training is required before access{}.",
                    p.training
                        .valid_days
                        .map(|d| format!(", valid {d} days"))
                        .unwrap_or_default()
                ),
                Ok(_) => "Saved: training is not required before access.".to_owned(),
                Err(StoreError::Refused(why)) => format!("Not saved: {why}."),
                Err(other) => return Err(other.into()),
            }
        }
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/portals/{slug}#training"),
        &said,
    )))
}

#[derive(Debug, Deserialize)]
pub struct DutyMetForm {
    met_on: String,
}

/// `POST /console/portals/{slug}/duties/{key}`: record a duty met on a date.
#[post("/portals/{slug}/duties/{key}")]
pub async fn duty_met(
    act: Act<DutyMetForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let (slug, key) = path.into_inner();
    let tz = me.session.practice.time_zone.tz();
    let store = me.store();
    let said = match chrono::NaiveDate::parse_from_str(act.form.met_on.trim(), "%Y-%m-%d") {
        Err(_) => "Not recorded: write the date like 2027-01-04.".to_owned(),
        Ok(day) => {
            let current = store
                .duties(Some(&slug), me.now())
                .await?
                .into_iter()
                .find(|d| d.key == key)
                .ok_or(WireError::not_found("duty not found"))?;
            // Keeps the practice's own cadence and window as they are.
            let change = DutyChange {
                last_met_at: Some(crate::http::instant::day_start(day, tz).min(me.now())),
                every_days: (current.every_days != current.catalogue_every_days)
                    .then_some(current.every_days),
                window_days: (current.window_days != current.catalogue_window_days)
                    .then_some(current.window_days),
            };
            match store.change_duty(&slug, &key, change, &me.actor()).await {
                Ok(d) => format!(
                    "Recorded: {} met. Next due {}.",
                    d.name,
                    When::at(d.due_at, me.now(), tz).text
                ),
                Err(StoreError::Refused(why)) => format!("Not recorded: {why}."),
                Err(other) => return Err(other.into()),
            }
        }
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/portals/{slug}#duties"),
        &said,
    )))
}

/// `POST /console/portals/{slug}`: the organization's identifiers, administrator limits,
/// deadlines of its own and sign-in URL, checked as `PUT /api/v1/practice-portals/{slug}`
/// checks them; a form opened before someone else's change is refused.
#[post("/portals/{slug}")]
pub async fn update(
    act: Act<PortalForm>,
    slug: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let store = me.store();
    let current = store
        .practice_portals()
        .await?
        .remove(slug.as_str())
        .ok_or_else(|| WireError::not_found("the practice does not use this portal"))?;
    let custom = current.custom.then(|| current.portal.clone());
    let write = portal_write(&slug, custom, &act.form)
        .map_err(crate::store::StoreError::Refused)
        .and_then(|w| checked(me.state.store.catalog(), w));
    let outcome = match write {
        Ok(write) => store
            .update_practice_portal(write, Some(act.form.version), &me.actor())
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(see_other(&notice_link(
            me,
            &format!("/console/portals/{}", urlencode(&slug)),
            "Saved.",
        ))),
        Err(crate::store::StoreError::Refused(why)) => {
            portal_page(me, &slug, Some(&act.form), None, Some(why)).await
        }
        Err(crate::store::StoreError::VersionMismatch { .. }) => {
            portal_page(
                me,
                &slug,
                None,
                None,
                Some(
                    "Someone changed this portal since the form was opened; nothing was saved. \
                     The form now shows the current values."
                        .into(),
                ),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct OwnPortalForm {
    name: String,
    url: String,
    kind: String,
    roles: String,
    #[serde(default)]
    user_admin_place: String,
}

/// A slug from a name: "Acme Health Plan" → `acme-health-plan`.
fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(63).collect()
}

/// The role lines of the form: `Name, sensitivity` (eligibility, clinical, claims, financial,
/// admin; `admin` marks the portal-administrator role).
fn role_lines(text: &str) -> Result<Vec<crate::domain::catalog::PortalRole>, String> {
    use crate::domain::catalog::{PortalRole, Sensitivity};
    let mut roles = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, sensitivity) = line.rsplit_once(',').ok_or_else(|| {
            format!("Roles: `{line}` needs its kind of data after a comma, e.g. `{line}, claims`")
        })?;
        let sensitivity = match sensitivity.trim().to_lowercase().as_str() {
            "eligibility" => Sensitivity::Eligibility,
            "clinical" => Sensitivity::Clinical,
            "claims" => Sensitivity::Claims,
            "financial" => Sensitivity::Financial,
            "admin" => Sensitivity::Admin,
            other => {
                return Err(format!(
                    "Roles: `{other}` is not a kind of data; use eligibility, clinical, claims, \
                     financial or admin"
                ));
            }
        };
        let slug = slug_of(name);
        roles.push(PortalRole {
            slug: if slug.len() < 2 {
                format!("role-{slug}")
            } else {
                slug
            },
            name: name.trim().to_owned(),
            is_admin: sensitivity == Sensitivity::Admin,
            sensitivity,
        });
    }
    Ok(roles)
}

/// `POST /console/portal-definitions`: a portal the catalogue does not have (a regional plan, a
/// state Medicaid portal), defined by the practice.
#[post("/portal-definitions")]
pub async fn add_own(act: Act<OwnPortalForm>) -> Result<HttpResponse, WireError> {
    use crate::domain::catalog::{Portal, PortalKind};
    let me = &act.me;
    let form = &act.form;
    let kind = match form.kind.as_str() {
        "payer" => PortalKind::Payer,
        "medicaid" => PortalKind::Medicaid,
        "medicare_mac" => PortalKind::MedicareMac,
        "multi_payer_hub" => PortalKind::MultiPayerHub,
        "workers_comp" => PortalKind::WorkersComp,
        _ => PortalKind::Other,
    };
    let slug = slug_of(&form.name);
    let write = role_lines(&form.roles)
        .map(|roles| PracticePortalWrite {
            portal_slug: slug.clone(),
            custom: Some(Portal {
                slug: slug.clone(),
                name: form.name.trim().to_owned(),
                url: form.url.trim().to_owned(),
                kind,
                payers: Vec::new(),
                jurisdictions: Vec::new(),
                multi_org: false,
                user_admin_place: Some(form.user_admin_place.trim().to_owned())
                    .filter(|p| !p.is_empty()),
                admin_limits: Default::default(),
                lifecycle: Default::default(),
                duties: Vec::new(),
                list_columns: None,
                roles,
            }),
            org_scope: OrgScope::default(),
            min_admins: None,
            max_admins: None,
            sla_overrides: Default::default(),
            url: None,
        })
        .map_err(crate::store::StoreError::Refused)
        .and_then(|w| checked(me.state.store.catalog(), w));
    let added = match write {
        Ok(write) => me.store().add_practice_portal(write, &me.actor()).await,
        Err(e) => Err(e),
    };
    match added {
        Ok(added) => Ok(see_other(&notice_link(
            me,
            &format!("/console/portals/{}", urlencode(&added.portal.slug)),
            &format!(
                "{} added. Fill in the organization's identifiers below.",
                added.portal.name
            ),
        ))),
        Err(crate::store::StoreError::Refused(why)) => directory_page(me, None, Some(why)).await,
        Err(crate::store::StoreError::Conflict(_)) => {
            let why = "The practice already has a portal of that name.".to_owned();
            directory_page(me, None, Some(why)).await
        }
        Err(other) => Err(other.into()),
    }
}
