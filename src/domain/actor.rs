//! Who did something, under which request, and when: the one type that goes from the
//! credential that authenticated a request (or the system, or the command line) to the change
//! record and the audit record it leaves.

use chrono::{DateTime, Utc};

/// Who did it. `name` is how records show them: a named administrator, a token, a JWT
/// subject, `system` or `cli`; never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    /// The named administrator's e-mail when a person acts (a task they claim is assigned to
    /// them); `None` for tokens without a person, the system and the command line.
    pub admin_email: Option<String>,
    /// The request it happened in (`X-Request-Id`), if any.
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// How a named administrator appears in records, whichever way they came in (API token, JWT,
/// console session): `admin Dana Whitfield <dana@acme.example> (portal_admin)`.
pub fn admin_actor_name(name: &str, email: &str, role: impl std::fmt::Display) -> String {
    format!("admin {name} <{email}> ({role})")
}

impl Actor {
    /// The service itself (the sweeper, the delivery worker, housekeeping).
    pub fn system(at: DateTime<Utc>) -> Self {
        Self {
            name: "system".to_owned(),
            admin_email: None,
            request_id: None,
            at,
        }
    }

    /// An operator at the command line.
    pub fn cli(at: DateTime<Utc>) -> Self {
        Self {
            name: "cli".to_owned(),
            admin_email: None,
            request_id: None,
            at,
        }
    }
}

/// SQL `LIKE` patterns (lower case, `\` escapes) that find the records of the actor a user
/// names: by the whole name as recorded, or by the part a person would type. Actor names read
/// `admin Dana Whitfield <dana@acme.example> (portal_admin)`, `token okta (<id>)`,
/// `jwt <subject> (<issuer>)`, `system` or `cli`; so `dana@acme.example`, `Dana Whitfield`,
/// `okta`, a token's id or `portal_admin` each find theirs.
pub fn actor_like_patterns(query: &str) -> Vec<String> {
    let q = escape_like(&query.trim().to_lowercase());
    vec![
        q.clone(),
        format!("%<{q}>%"),
        format!("admin {q} <%"),
        format!("token {q} (%"),
        format!("jwt {q} (%"),
        format!("%({q})"),
    ]
}

/// `%`, `_` and `\` taken literally by `LIKE … ESCAPE '\'`.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_is_found_by_email_name_or_token_name_and_wildcards_are_literal() {
        let patterns = actor_like_patterns(" Dana@Acme.example ");
        assert!(patterns.contains(&"%<dana@acme.example>%".to_owned()));
        assert!(actor_like_patterns("okta").contains(&"token okta (%".to_owned()));
        assert!(actor_like_patterns("pat_admin%").contains(&"pat\\_admin\\%".to_owned()));
    }
}
