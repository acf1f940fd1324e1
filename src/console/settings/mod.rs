//! Settings: the practice's deadlines (SLAs), verification by a second person (four-eyes),
//! the escalation ladder, webhooks (with "Send test" and each one's delivery log), the
//! administrators, and the identity provider's tokens. One page, one form per section; each
//! change goes through the same store and engine calls as the admin API, audited under the
//! person's name. Only portal administrators change settings (`domain::admin::Need::Operate`).
//!
//! Here: the page and the practice-wide settings; `alerts` the webhooks; `email` the mail
//! server; `access` the administrators and tokens.

mod access;
mod alerts;
mod email;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::session::{Act, SignedIn};
use super::view::{Frame, NoticeQuery, When, notice_link, who};
use super::{render, see_other};
use crate::domain::escalation::EscalationPolicy;
use crate::domain::mail::SmtpSecurity;
use crate::domain::sla::{Sla, SlaChanges, SlaKey};
use crate::http::errors::WireError;
use crate::store::StoreError;
use crate::store::webhooks::redact_url;

pub use access::{add_admin, create_token, remove_admin, revoke_token};
pub use alerts::{add_webhook, delete_webhook, delivery_log, test_webhook};
pub use email::{delete_email, save_email, test_email};

struct SlaRow {
    key: &'static str,
    label: &'static str,
    value: String,
}

struct EscalationForm {
    reminders: String,
    chain: String,
    interval: String,
    quiet_hours: String,
    digest_at: String,
    version: i32,
    saved_by: Option<String>,
}

struct WebhookRow {
    id: String,
    name: String,
    url: String,
    events: String,
    format: String,
    enabled: bool,
}

/// The e-mail section: the saved settings (empty fields before the first save).
struct EmailSection {
    /// The channel's id (its delivery log) once saved.
    id: Option<String>,
    host: String,
    port: String,
    security: &'static str,
    username: String,
    /// Where the password is read from: the practice's own variable.
    password_variable: String,
    from: String,
    events: String,
}

struct AdminRow {
    id: String,
    name: String,
    email: String,
    role: String,
    since: When,
    status: String,
    active: bool,
}

struct TokenRow {
    id: String,
    name: String,
    scopes: String,
    created: When,
    last_used: Option<When>,
    status: String,
    live: bool,
}

/// A secret shown this once (a new webhook's signing secret, a new token).
pub(super) struct ShownSecret {
    what: String,
    text: String,
}

/// Where a refusal goes on the page, and what it says.
pub(super) struct Refusal {
    section: &'static str,
    message: String,
}

#[derive(Template)]
#[template(path = "settings.html", config = "src/console/askama.toml")]
struct SettingsPage {
    frame: Frame,
    notice: Option<String>,
    refusal: Option<Refusal>,
    secret: Option<ShownSecret>,
    sla: Vec<SlaRow>,
    four_eyes: bool,
    escalation: EscalationForm,
    webhooks: Vec<WebhookRow>,
    email: EmailSection,
    admins: Vec<AdminRow>,
    tokens: Vec<TokenRow>,
}

impl SettingsPage {
    fn refused_in(&self, section: &str) -> Option<&str> {
        self.refusal
            .as_ref()
            .filter(|r| r.section == section)
            .map(|r| r.message.as_str())
    }
}

fn sla_label(key: SlaKey) -> &'static str {
    match key {
        SlaKey::Deprovision => "Remove a leaver's access",
        SlaKey::ModifyRemoval => "Take roles away from a mover",
        SlaKey::Provision => "Create accounts and add roles",
        SlaKey::TransferAdmin => "Hand over a leaver's portal-administrator role",
        SlaKey::NotifyThirdParty => "Tell a vendor or billing company their user left",
    }
}

/// The whole page, with what the last action said.
pub(super) async fn settings_page(
    me: &SignedIn,
    notice: Option<String>,
    refusal: Option<Refusal>,
    secret: Option<ShownSecret>,
) -> Result<HttpResponse, WireError> {
    let store = me.store();
    let practice = store.practice().await?;
    let tz = practice.time_zone.tz();
    let now = me.now();
    let sla = SlaKey::ALL
        .into_iter()
        .map(|key| SlaRow {
            key: key.as_str(),
            label: sla_label(key),
            value: practice.sla.for_key(key, &Default::default()).to_string(),
        })
        .collect();
    let ladder = store.escalation_policy().await?;
    let policy = &ladder.document;
    let escalation = EscalationForm {
        reminders: policy
            .reminders_at_percent
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        chain: policy
            .chain
            .iter()
            .map(|c| String::from(c.clone()))
            .collect::<Vec<_>>()
            .join("\n"),
        interval: String::from(policy.interval),
        quiet_hours: policy.quiet_hours.map(String::from).unwrap_or_default(),
        digest_at: policy.digest_at.map(String::from).unwrap_or_default(),
        version: ladder.version,
        saved_by: ladder.actor.as_deref().map(who),
    };
    // The e-mail channel has its own section.
    let webhooks = store
        .webhooks()
        .await?
        .into_iter()
        .filter(|w| w.format != crate::domain::mail::EMAIL_FORMAT)
        .map(|w| WebhookRow {
            id: w.id.to_string(),
            url: redact_url(&w.url),
            events: w.event_types.join(", "),
            name: w.name,
            format: w.format,
            enabled: w.enabled,
        })
        .collect();
    let email = match store.email_channel().await? {
        Some(channel) => EmailSection {
            id: Some(channel.id.to_string()),
            host: channel.settings.host,
            port: channel.settings.port.to_string(),
            security: match channel.settings.security {
                SmtpSecurity::Starttls => "starttls",
                SmtpSecurity::Tls => "tls",
                SmtpSecurity::None => "none",
            },
            username: channel.settings.username.unwrap_or_default(),
            password_variable: crate::domain::mail::password_variable(practice.slug.as_str()),
            from: channel.settings.from,
            events: channel.event_types.join(", "),
        },
        None => EmailSection {
            id: None,
            host: String::new(),
            port: "587".to_owned(),
            security: "starttls",
            username: String::new(),
            password_variable: crate::domain::mail::password_variable(practice.slug.as_str()),
            from: String::new(),
            events: String::new(),
        },
    };
    let admins = store
        .list_admins()
        .await?
        .into_iter()
        .map(|a| {
            let status = match (a.admin.active, a.removed_at) {
                (_, Some(at)) => format!("removed {}", When::at(at, now, tz).text),
                (false, None) => "deactivated by the operator".to_owned(),
                (true, None) => "active".to_owned(),
            };
            AdminRow {
                id: a.admin.id.to_string(),
                active: a.admin.active && a.removed_at.is_none(),
                name: a.admin.name,
                email: a.admin.email,
                role: a.role.as_str().replace('_', " "),
                since: When::at(a.member_since, now, tz),
                status,
            }
        })
        .collect();
    let tokens = store
        .list_tokens()
        .await?
        .into_iter()
        // Tokens of named administrators are theirs to see (`GET /api/v1/tokens`); this
        // section is the machines'.
        .filter(|t| t.admin_id.is_none())
        .map(|t| {
            let (status, live) = match (t.revoked_at, t.is_expired(now)) {
                (Some(at), _) => (format!("revoked {}", When::at(at, now, tz).text), false),
                (None, true) => ("expired".to_owned(), false),
                (None, false) => ("active".to_owned(), true),
            };
            TokenRow {
                id: t.id.to_string(),
                name: t.name,
                scopes: t.scopes.to_text(),
                created: When::at(t.created_at, now, tz),
                last_used: t.last_used_at.map(|at| When::at(at, now, tz)),
                status,
                live,
            }
        })
        .collect();
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = render(&SettingsPage {
        frame: Frame::load(me, "Settings", "Settings").await?,
        notice,
        refusal,
        secret,
        sla,
        four_eyes: practice.four_eyes,
        escalation,
        webhooks,
        email,
        admins,
        tokens,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// Event types as a form gives them: separated by commas or lines; empty for the defaults.
pub(super) fn event_list(text: &str) -> Option<Vec<String>> {
    let events: Vec<String> = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect();
    (!events.is_empty()).then_some(events)
}

/// After a change: back to the page's section, saying what happened.
pub(super) fn done(me: &SignedIn, section: &str, notice: &str) -> HttpResponse {
    see_other(&notice_link(
        me,
        &format!("/console/settings#{section}"),
        notice,
    ))
}

/// A refusal from the store or engine shown in its section; anything else is an error page.
pub(super) async fn refused(
    me: &SignedIn,
    section: &'static str,
    error: StoreError,
) -> Result<HttpResponse, WireError> {
    match error {
        StoreError::Refused(message) => {
            settings_page(me, None, Some(Refusal { section, message }), None).await
        }
        StoreError::NotFound(what) => Err(WireError::not_found(format!("{what} not found"))),
        other => Err(other.into()),
    }
}

/// `GET /console/settings`.
#[get("/settings")]
pub async fn page(me: SignedIn, query: web::Query<NoticeQuery>) -> Result<HttpResponse, WireError> {
    settings_page(&me, query.shown(&me), None, None).await
}

#[derive(Debug, Deserialize)]
pub struct SlaForm {
    deprovision: String,
    modify_removal: String,
    provision: String,
    transfer_admin: String,
    notify_third_party: String,
}

/// `POST /console/settings/sla`: every deadline at once, each checked as the API checks it.
#[post("/settings/sla")]
pub async fn save_sla(act: Act<SlaForm>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let form = &act.form;
    let parse = |key: SlaKey, text: &str| {
        Sla::parse(text.trim()).map_err(|e| StoreError::Refused(format!("{}: {e}", sla_label(key))))
    };
    let parsed = (|| {
        Ok::<_, StoreError>(SlaChanges {
            deprovision: Some(parse(SlaKey::Deprovision, &form.deprovision)?),
            modify_removal: Some(parse(SlaKey::ModifyRemoval, &form.modify_removal)?),
            provision: Some(parse(SlaKey::Provision, &form.provision)?),
            transfer_admin: Some(parse(SlaKey::TransferAdmin, &form.transfer_admin)?),
            notify_third_party: Some(parse(SlaKey::NotifyThirdParty, &form.notify_third_party)?),
        })
    })();
    let changes = match parsed {
        Ok(changes) => changes,
        Err(e) => return refused(me, "deadlines", e).await,
    };
    let store = me.store();
    let sla = store.practice().await?.sla.merged(&changes);
    match store.set_sla(&sla, &me.actor()).await {
        Ok(()) => Ok(done(
            me,
            "deadlines",
            "Deadlines saved; new tasks use them.",
        )),
        Err(e) => refused(me, "deadlines", e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct VerificationForm {
    #[serde(default)]
    four_eyes: Option<String>,
}

/// `POST /console/settings/verification`: four-eyes on or off (off only for a practice with
/// a single portal administrator, as the API rules).
#[post("/settings/verification")]
pub async fn save_verification(act: Act<VerificationForm>) -> Result<HttpResponse, WireError> {
    let on = act.form.four_eyes.is_some();
    match act.me.store().set_four_eyes(on, &act.me.actor()).await {
        Ok(()) => Ok(done(
            &act.me,
            "verification",
            if on {
                "A second person now verifies every completed task."
            } else {
                "Verification by a second person is off."
            },
        )),
        Err(e) => refused(&act.me, "verification", e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct EscalationInput {
    /// The version the form showed.
    version: i32,
    reminders: String,
    chain: String,
    interval: String,
    quiet_hours: String,
    digest_at: String,
}

/// The form as the policy document the API takes, so both read it the same way.
fn escalation_document(form: &EscalationInput) -> Result<EscalationPolicy, StoreError> {
    let mut reminders = Vec::new();
    for part in form
        .reminders
        .split([',', ' '])
        .filter(|p| !p.trim().is_empty())
    {
        let percent: u8 = part.trim().trim_end_matches('%').parse().map_err(|_| {
            StoreError::Refused(format!(
                "Reminders: `{part}` is not a percentage (write e.g. 50, 90)"
            ))
        })?;
        reminders.push(percent);
    }
    let chain: Vec<&str> = form
        .chain
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let optional = |text: &str| {
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    };
    let document = serde_json::json!({
        "reminders_at_percent": reminders,
        "chain": chain,
        "interval": form.interval.trim(),
        "quiet_hours": optional(&form.quiet_hours),
        "digest_at": optional(&form.digest_at),
    });
    let policy: EscalationPolicy = serde_path_to_error::deserialize(document)
        .map_err(|e| StoreError::Refused(format!("{}: {}", e.path(), e.inner())))?;
    policy
        .check()
        .map_err(|e| StoreError::Refused(e.to_string()))?;
    Ok(policy)
}

/// `POST /console/settings/escalation`: a new version of the escalation ladder.
#[post("/settings/escalation")]
pub async fn save_escalation(act: Act<EscalationInput>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let policy = match escalation_document(&act.form) {
        Ok(policy) => policy,
        Err(e) => return refused(me, "escalation", e).await,
    };
    match me
        .store()
        .replace_escalation_policy(&policy, &me.actor(), Some(act.form.version))
        .await
    {
        Ok(version) => Ok(done(
            me,
            "escalation",
            &format!(
                "Escalation saved as version {version}; open tasks follow it from the next sweep."
            ),
        )),
        Err(StoreError::VersionMismatch { current }) => {
            let message = format!(
                "Someone saved the escalation ladder since this page was opened (it is now \
                 version {current}); nothing was saved. The form shows the current ladder."
            );
            let refusal = Refusal {
                section: "escalation",
                message,
            };
            settings_page(me, None, Some(refusal), None).await
        }
        Err(e) => refused(me, "escalation", e).await,
    }
}
