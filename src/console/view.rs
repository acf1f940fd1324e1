//! How pages show things: times in the practice's zone with a relative hint ("in 3 h",
//! "2 days overdue"), tasks as rows, the frame every page shares.

use chrono::{DateTime, Utc};

use crate::domain::admin::Need;
use crate::http::assets::{HTMX, SCRIPT, STYLESHEET};
use crate::store::tasks::TaskRecord;

use super::session::SignedIn;

/// A moment as a person reads it.
#[derive(Debug, Clone)]
pub struct When {
    /// `Mon 7 Dec 2026, 09:30 CST`, in the practice's time zone.
    pub text: String,
    /// `in 3 h`, `2 days overdue`, `5 min ago`.
    pub relative: String,
    /// RFC 3339, for `<time datetime>`.
    pub iso: String,
    /// A deadline that has passed.
    pub late: bool,
}

/// `n` units, rounded down, in words a person reads at a glance.
fn span(seconds: i64) -> String {
    let minutes = seconds / 60;
    match minutes {
        0 => "less than a minute".to_owned(),
        1..=59 => format!("{minutes} min"),
        60..=2879 => format!("{} h", minutes / 60),
        _ => format!("{} days", minutes / 1440),
    }
}

impl When {
    /// A moment in the past or future (not a deadline).
    pub fn at(at: DateTime<Utc>, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Self {
        let seconds = (at - now).num_seconds();
        let relative = if seconds >= 0 {
            format!("in {}", span(seconds))
        } else {
            format!("{} ago", span(-seconds))
        };
        Self::new(at, tz, relative, false)
    }

    /// A deadline: "in 3 h" before it, "2 days overdue" after it (while the work is open).
    pub fn due(at: DateTime<Utc>, now: DateTime<Utc>, tz: chrono_tz::Tz, open: bool) -> Self {
        if !open {
            return Self::at(at, now, tz);
        }
        let seconds = (at - now).num_seconds();
        if seconds >= 0 {
            Self::new(at, tz, format!("in {}", span(seconds)), false)
        } else {
            Self::new(at, tz, format!("{} overdue", span(-seconds)), true)
        }
    }

    fn new(at: DateTime<Utc>, tz: chrono_tz::Tz, relative: String, late: bool) -> Self {
        Self {
            text: at
                .with_timezone(&tz)
                .format("%a %-d %b %Y, %H:%M %Z")
                .to_string(),
            relative,
            iso: at.to_rfc3339(),
            late,
        }
    }
}

/// The frame every signed-in page shares: who, where, the navigation, the assets.
#[derive(Debug, Clone)]
pub struct Frame {
    pub title: String,
    /// Which navigation entry is current ("Home", "Queue", …).
    pub section: &'static str,
    pub practice_name: String,
    pub admin_name: String,
    pub role: String,
    pub csrf: String,
    /// Whether the administrator may switch to another practice.
    pub several_practices: bool,
    pub htmx: String,
    pub script: String,
    pub stylesheet: String,
    pub may_operate: bool,
    pub may_oversee: bool,
}

/// The navigation, in order: (label, href).
pub const NAVIGATION: [(&str, &str); 9] = [
    ("Home", "/console"),
    ("Queue", "/console/queue"),
    ("People", "/console/people"),
    ("Portals", "/console/portals"),
    ("Policy", "/console/policy"),
    ("Reviews", "/console/reviews"),
    ("Audit", "/console/audit"),
    ("Reports", "/console/reports"),
    ("Settings", "/console/settings"),
];

impl Frame {
    pub fn new(
        me: &SignedIn,
        title: impl Into<String>,
        section: &'static str,
        several: bool,
    ) -> Self {
        Self {
            title: title.into(),
            section,
            practice_name: me.session.practice.name.as_str().to_owned(),
            admin_name: me.session.admin.name.clone(),
            role: me.session.role.as_str().replace('_', " "),
            csrf: me.csrf(),
            several_practices: several,
            htmx: HTMX.url.clone(),
            script: SCRIPT.url.clone(),
            stylesheet: STYLESHEET.url.clone(),
            may_operate: me.may(Need::Operate),
            may_oversee: me.may(Need::Oversee),
        }
    }

    /// The frame of `me`'s page, knowing whether they may switch practice.
    pub async fn load(
        me: &SignedIn,
        title: impl Into<String>,
        section: &'static str,
    ) -> Result<Self, crate::http::errors::WireError> {
        let several = me.switchable_practices().await?.len() > 1;
        Ok(Self::new(me, title, section, several))
    }

    pub fn navigation(&self) -> &'static [(&'static str, &'static str)] {
        &NAVIGATION
    }
}

/// The frame of pages shown before signing in.
#[derive(Debug, Clone)]
pub struct Bare {
    pub title: String,
    pub htmx: String,
    pub script: String,
    pub stylesheet: String,
}

impl Bare {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            htmx: HTMX.url.clone(),
            script: SCRIPT.url.clone(),
            stylesheet: STYLESHEET.url.clone(),
        }
    }
}

/// A task as a row of the queue (and the head of its page).
#[derive(Debug, Clone)]
pub struct TaskRow {
    pub id: String,
    pub person: String,
    pub portal: String,
    pub portal_url: Option<String>,
    pub kind: String,
    pub state: String,
    pub action: String,
    pub due: When,
    pub escalation_level: i32,
    pub assignee: String,
    pub open: bool,
    pub claimable: bool,
}

impl TaskRow {
    pub fn new(
        t: &TaskRecord,
        portals: &std::collections::BTreeMap<String, crate::store::portals::PracticePortal>,
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
    ) -> Self {
        let portal = t.portal.as_ref().and_then(|p| portals.get(p));
        let open = t.state.is_open();
        Self {
            id: t.id.to_string(),
            person: t.person_display.clone(),
            portal: portal
                .map(|p| p.portal.name.clone())
                .or_else(|| t.portal.clone())
                .unwrap_or_else(|| "—".to_owned()),
            portal_url: portal.map(|p| p.portal.url.clone()),
            kind: t.kind.to_string().replace('_', " "),
            state: t.state.to_string(),
            action: t.action.clone(),
            due: When::due(t.due_at, now, tz, open),
            escalation_level: t.escalation_level,
            assignee: t.assignee.clone().unwrap_or_default(),
            open,
            claimable: crate::domain::task::transition(
                t.state,
                crate::domain::task::ActionName::Claim,
            )
            .is_ok(),
        }
    }
}

/// Who a record names, in short: "Dana Whitfield" for
/// `admin Dana Whitfield <dana@acme.example> (portal_admin)`; other actors as recorded.
pub fn who(actor: &str) -> String {
    actor
        .strip_prefix("admin ")
        .and_then(|rest| rest.split(" <").next())
        .unwrap_or(actor)
        .to_owned()
}

/// The keyed hash that vouches for a status line in a URL: made from the session's CSRF
/// token, so a link someone else crafts cannot make a console page say their words.
fn notice_seal(me: &SignedIn, text: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(b"portcullis console notice\0");
    hasher.update(me.csrf().as_bytes());
    hasher.update(b"\0");
    hasher.update(text.as_bytes());
    hex::encode(&hasher.finalize()[..16])
}

/// `path` (which may carry a query and a `#section`) with a status line for the page it
/// leads to (after a POST, "Saved." and the like).
pub fn notice_link(me: &SignedIn, path: &str, text: &str) -> String {
    let (base, fragment) = match path.split_once('#') {
        Some((base, fragment)) => (base, format!("#{fragment}")),
        None => (path, String::new()),
    };
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{joiner}notice={}&ns={}{fragment}",
        urlencode(text),
        notice_seal(me, text)
    )
}

/// The query of a page that only shows a status line after a POST.
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
    /// Vouches that this console put `notice` in the URL.
    pub ns: Option<String>,
}

impl NoticeQuery {
    pub fn shown(&self, me: &SignedIn) -> Option<String> {
        shown_notice(me, &self.notice, &self.ns)
    }
}

/// The status line a URL carries, if this session's console put it there.
pub fn shown_notice(me: &SignedIn, text: &Option<String>, seal: &Option<String>) -> Option<String> {
    match (text, seal) {
        (Some(text), Some(seal)) if notice_seal(me, text) == *seal => Some(text.clone()),
        _ => None,
    }
}

/// A value for a URL's query string.
pub fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::When;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn deadlines_read_as_people_say_them() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 15, 0, 0).unwrap();
        let tz = chrono_tz::America::Chicago;
        let soon = When::due(now + Duration::hours(3), now, tz, true);
        assert_eq!(soon.relative, "in 3 h");
        assert!(!soon.late);
        let late = When::due(now - Duration::days(2), now, tz, true);
        assert_eq!(late.relative, "2 days overdue");
        assert!(late.late);
        assert_eq!(late.text, "Sat 5 Dec 2026, 09:00 CST");
        assert_eq!(
            When::at(now - Duration::minutes(5), now, tz).relative,
            "5 min ago"
        );
    }
}
