//! E-mail alerts, as rules: a practice's SMTP settings and their checks, who an alert is
//! e-mailed to (the people it already names), and the message itself, plain text and HTML,
//! carrying nothing a webhook does not already carry, with a link into the console.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `format` of the webhook row that is a practice's e-mail channel.
pub const EMAIL_FORMAT: &str = "email";

/// Every practice's SMTP password is read from its own environment variable, named after its
/// slug (`PORTCULLIS_SMTP_PASSWORD__ACME` for `acme`): an administrator cannot point the
/// password at any other variable (the database URL, another practice's password) and have it
/// sent to a mail server of their choosing.
pub const PASSWORD_VARIABLE_PREFIX: &str = "PORTCULLIS_SMTP_PASSWORD__";

/// The variable holding the SMTP password of the practice `slug`.
pub fn password_variable(slug: &str) -> String {
    format!(
        "{PASSWORD_VARIABLE_PREFIX}{}",
        slug.to_ascii_uppercase().replace('-', "_")
    )
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which must succeed (submission, port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine or the private network.
    None,
}

/// A practice's mail server, as stored and as the API shows it. The password is never
/// stored: `password_env` names the environment variable that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// The sender, `alerts@clinic.example` or `Portcullis <alerts@clinic.example>`.
    pub from: String,
}

impl SmtpSettings {
    /// What types cannot refuse; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        let host = self.host.trim();
        if host.is_empty()
            || host.len() > 253
            || host.contains(|c: char| c.is_whitespace() || "/@:?#".contains(c))
        {
            return Err("`host` must be a host name or IP address, without a port".to_owned());
        }
        if self.port == 0 {
            return Err("`port` must be 1 to 65535 (587 for STARTTLS, 465 for TLS)".to_owned());
        }
        if address_of(&self.from).is_none() {
            return Err("`from` must be an e-mail address, optionally with a name: \
                 `Portcullis <alerts@clinic.example>`"
                .to_owned());
        }
        match (&self.username, &self.password_env) {
            (Some(user), Some(_)) if user.trim().is_empty() || user.len() > 320 => {
                return Err("`username` must be 1 to 320 characters".to_owned());
            }
            (Some(_), None) => {
                return Err("`username` needs `password_env`, the environment variable \
                     holding the password"
                    .to_owned());
            }
            (None, Some(_)) => return Err("`password_env` needs `username`".to_owned()),
            _ => {}
        }
        if let Some(name) = &self.password_env
            && !is_environment_name(name)
        {
            return Err(
                "`password_env` must be an environment variable name such as \
                 ACME_SMTP_PASSWORD (capital letters, digits, _)"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

fn is_environment_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 128
}

/// The address in `Name <local@domain>` or `local@domain`, if it looks like one.
pub fn address_of(text: &str) -> Option<&str> {
    let text = text.trim();
    let address = match (text.rfind('<'), text.strip_suffix('>')) {
        (Some(open), Some(_)) => &text[open + 1..text.len() - 1],
        _ => text,
    };
    let (local, domain) = address.rsplit_once('@')?;
    let plausible = !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !address.contains(|c: char| c.is_whitespace() || "<>,;\"".contains(c));
    plausible.then_some(address)
}

/// Whom an alert is e-mailed to: the people it names (`notify.people[].email`: the ladder's
/// contact, a review's reviewers, a digest's administrators), each once, in order.
pub fn recipients(payload: &Value) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let people = payload
        .pointer("/notify/people")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for person in people {
        let Some(address) = person["email"].as_str().and_then(address_of) else {
            continue;
        };
        let address = address.to_ascii_lowercase();
        if !found.contains(&address) {
            found.push(address);
        }
    }
    found
}

/// An e-mail's subject and bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The message for an event: what happened, to which task or review, and the console link.
pub fn compose(event_type: &str, payload: &Value) -> Composed {
    let practice = payload
        .pointer("/practice/name")
        .and_then(Value::as_str)
        .unwrap_or("Portcullis");
    let (headline, lines, link) = match event_type.split_once('.') {
        Some(("task", step)) => task_message(step, payload),
        Some(("review", step)) => review_message(step, payload),
        Some(("digest", _)) => digest_message(payload),
        _ if event_type == "webhook.test" => (
            "Test e-mail from Portcullis".to_owned(),
            vec![format!(
                "{} asked for this test. E-mail alerts for {practice} reach this address.",
                text_at(payload, "/requested_by").unwrap_or("An administrator")
            )],
            None,
        ),
        _ => (
            event_type.to_owned(),
            vec![format!("Portcullis recorded `{event_type}`.")],
            console_link(text_at(payload, "/url")),
        ),
    };
    let subject = format!("[{practice}] {headline}");
    let mut text = lines.join("\n");
    if let Some(link) = &link {
        text.push_str(&format!("\n\nOpen it in Portcullis: {link}"));
    }
    text.push_str("\n\n-- \nSent by Portcullis for ");
    text.push_str(practice);
    text.push('\n');
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family: sans-serif\"><h1 style=\"font-size: \
         1.2em\">{}</h1>",
        escape(&headline)
    );
    for line in &lines {
        html.push_str(&format!("<p>{}</p>", escape(line)));
    }
    if let Some(link) = &link {
        html.push_str(&format!(
            "<p><a href=\"{}\">Open it in Portcullis</a></p>",
            escape(link)
        ));
    }
    html.push_str(&format!(
        "<p style=\"color: #555; font-size: 0.9em\">Sent by Portcullis for {}</p></body></html>",
        escape(practice)
    ));
    Composed {
        subject,
        text,
        html,
    }
}

type Message = (String, Vec<String>, Option<String>);

fn task_message(step: &str, payload: &Value) -> Message {
    let kind = text_at(payload, "/task/kind").unwrap_or("task");
    let portal = text_at(payload, "/task/portal").unwrap_or("a portal");
    let person = text_at(payload, "/task/person/display_name").unwrap_or_default();
    let what = match (kind, person.is_empty()) {
        (_, true) => format!("{} on {portal}", kind.replace('_', " ")),
        _ => format!("{} for {person} on {portal}", kind.replace('_', " ")),
    };
    let when = match step {
        "reminder" => "Reminder",
        "overdue" => "Overdue",
        "escalated" => "Escalated",
        _ => "Alert",
    };
    let mut lines = vec![format!("{when}: {what}.")];
    if let Some(due) = text_at(payload, "/task/due_at") {
        lines.push(format!("Due: {due}"));
    }
    if let Some(action) = text_at(payload, "/task/action") {
        lines.push(format!("What to do: {action}"));
    }
    if let Some(level) = payload
        .pointer("/task/escalation_level")
        .and_then(Value::as_u64)
        && level > 0
    {
        lines.push(format!("Escalation level {level}."));
    }
    let link = console_link(text_at(payload, "/task/url"));
    (format!("{when}: {what}"), lines, link)
}

fn review_message(step: &str, payload: &Value) -> Message {
    let name = text_at(payload, "/review/name").unwrap_or("access review");
    let headline = match step {
        "opened" => format!("Access review \"{name}\" is open"),
        "reminder" => format!("Reminder: access review \"{name}\" has undecided items"),
        "escalated" => format!("Access review \"{name}\" is past its deadline"),
        "completed" => format!("Access review \"{name}\" is complete"),
        _ => format!("Access review \"{name}\""),
    };
    let mut lines = vec![format!("{headline}.")];
    if let Some(deadline) = text_at(payload, "/review/deadline") {
        lines.push(format!("Deadline: {deadline}"));
    }
    let link = console_link(text_at(payload, "/review/url").or(text_at(payload, "/url")));
    (headline, lines, link)
}

fn digest_message(payload: &Value) -> Message {
    let count = |key: &str| payload.pointer(key).and_then(Value::as_u64).unwrap_or(0);
    let (open, overdue) = (count("/digest/open"), count("/digest/overdue"));
    let date = text_at(payload, "/digest/date").unwrap_or("today");
    let mut lines = vec![format!("{open} open tasks, {overdue} overdue.")];
    for portal in payload
        .pointer("/digest/by_portal")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        lines.push(format!(
            "{}: {} open, {} overdue",
            portal["portal"].as_str().unwrap_or("no portal"),
            portal["open"].as_u64().unwrap_or(0),
            portal["overdue"].as_u64().unwrap_or(0)
        ));
    }
    let link = console_link(text_at(payload, "/url"));
    (
        format!("Daily digest for {date}: {open} open, {overdue} overdue"),
        lines,
        link,
    )
}

fn text_at<'a>(payload: &'a Value, pointer: &str) -> Option<&'a str> {
    payload
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The console page for an API link an event carries (`/api/v1/tasks/ID` →
/// `/console/tasks/ID`, `/api/v1/queue` → `/console/queue`); console links stay.
fn console_link(url: Option<&str>) -> Option<String> {
    let url = url?;
    if url.contains("/console/") {
        return Some(url.to_owned());
    }
    let (base, path) = url.split_once("/api/v1/")?;
    let page = match path {
        p if p.starts_with("tasks/") => p.to_owned(),
        "queue" => "queue".to_owned(),
        p if p.starts_with("reviews/") => p.to_owned(),
        _ => String::new(),
    };
    Some(
        format!("{base}/console/{page}")
            .trim_end_matches('/')
            .to_owned(),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn settings() -> SmtpSettings {
        SmtpSettings {
            host: "smtp.clinic.example".into(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: Some("alerts".into()),
            password_env: Some("ACME_SMTP_PASSWORD".into()),
            from: "Portcullis <alerts@clinic.example>".into(),
        }
    }

    #[test]
    fn settings_are_checked_naming_the_field() {
        assert_eq!(settings().check(), Ok(()));
        let refused = |change: fn(&mut SmtpSettings), field: &str| {
            let mut s = settings();
            change(&mut s);
            let err = s.check().unwrap_err();
            assert!(err.contains(field), "{err}");
        };
        refused(|s| s.host = "smtp.example:587".into(), "`host`");
        refused(|s| s.port = 0, "`port`");
        refused(|s| s.from = "alerts".into(), "`from`");
        refused(|s| s.password_env = None, "`username`");
        refused(|s| s.username = None, "`password_env`");
        refused(
            |s| s.password_env = Some("lower-case".into()),
            "`password_env`",
        );
    }

    #[test]
    fn recipients_are_the_people_named_each_once() {
        let payload = json!({"notify": {"people": [
            {"name": "Pat", "email": "Pat@Acme.example"},
            {"name": "No address"},
            {"email": "pat@acme.example"},
            {"email": "not an address"},
            {"email": "vic@acme.example"},
        ]}});
        assert_eq!(
            recipients(&payload),
            ["pat@acme.example", "vic@acme.example"]
        );
        assert!(recipients(&json!({"digest": {}})).is_empty());
    }

    #[test]
    fn a_task_alert_reads_as_a_sentence_and_links_to_the_console() {
        let payload = json!({
            "practice": {"name": "Acme <Clinic>"},
            "task": {"kind": "deprovision", "portal": "availity-essentials",
                     "person": {"display_name": "Dana Smith"}, "due_at": "2026-12-08T15:00:00Z",
                     "url": "https://p.example/api/v1/tasks/0193"},
        });
        let mail = compose("task.overdue", &payload);
        assert_eq!(
            mail.subject,
            "[Acme <Clinic>] Overdue: deprovision for Dana Smith on availity-essentials"
        );
        assert!(mail.text.contains("https://p.example/console/tasks/0193"));
        assert!(mail.html.contains("Acme &lt;Clinic&gt;"));
        assert!(!mail.html.contains("Acme <Clinic>"));
        assert!(
            mail.html
                .contains("<a href=\"https://p.example/console/tasks/0193\">")
        );
    }

    #[test]
    fn a_digest_counts_by_portal() {
        let payload = json!({"practice": {"name": "Acme"},
            "digest": {"date": "2026-12-08", "open": 3, "overdue": 1,
                       "by_portal": [{"portal": "cigna", "open": 3, "overdue": 1}]},
            "url": "https://p.example/api/v1/queue"});
        let mail = compose("digest.daily", &payload);
        assert_eq!(
            mail.subject,
            "[Acme] Daily digest for 2026-12-08: 3 open, 1 overdue"
        );
        assert!(mail.text.contains("cigna: 3 open, 1 overdue"));
        assert!(mail.text.contains("https://p.example/console/queue"));
    }
}
