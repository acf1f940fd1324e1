//! Shared or generic logins: "every staff member must have unique credentials" checked against
//! what a portal's list shows. A name is generic when, without case, spaces or punctuation,
//! it is one of the words front offices name shared logins by (alone, numbered, lettered or
//! with "dept"/"team"), or the practice's own name.

use serde::{Deserialize, Serialize};

/// Why a listed account looks shared.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SharedRule {
    /// The username or name is a role or place, not a person ("frontdesk", "Billing Dept").
    GenericName,
    /// The username or name is the practice's own name.
    PracticeName,
    /// One e-mail address on several accounts.
    EmailOnSeveralAccounts,
    /// One account recorded for several people.
    SeveralPeople,
    /// Someone signed in after the person it belongs to left.
    LoginAfterLeaving,
}

impl SharedRule {
    pub fn describe(self) -> &'static str {
        match self {
            SharedRule::GenericName => "a generic name, not a person's",
            SharedRule::PracticeName => "the practice's own name",
            SharedRule::EmailOnSeveralAccounts => "one e-mail address on several accounts",
            SharedRule::SeveralPeople => "one account recorded for several people",
            SharedRule::LoginAfterLeaving => "signed in after its person left",
        }
    }
}

/// Words shared logins are named by.
const GENERIC: &[&str] = &[
    "frontdesk",
    "front",
    "desk",
    "reception",
    "receptionist",
    "billing",
    "biller",
    "office",
    "officemanager",
    "admin",
    "administrator",
    "user",
    "staff",
    "nurse",
    "nurses",
    "clinic",
    "practice",
    "checkin",
    "checkout",
    "scheduling",
    "scheduler",
    "insurance",
    "claims",
    "shared",
    "generic",
    "team",
    "temp",
    "test",
    "guest",
    "general",
    "main",
    "info",
    "medicalrecords",
    "records",
    "referrals",
    "auth",
    "authorizations",
];

/// What may follow a generic word and keep it generic: nothing, a number, one letter, or a
/// word for a group.
const SUFFIXES: &[&str] = &[
    "dept",
    "department",
    "team",
    "staff",
    "office",
    "desk",
    "account",
    "login",
];

fn squash(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(|c| c.to_lowercase())
        .collect()
}

fn generic_rest(rest: &str) -> bool {
    rest.is_empty()
        || rest.chars().all(|c| c.is_ascii_digit())
        || (rest.len() == 1 && rest.chars().all(|c| c.is_ascii_alphabetic()))
        || SUFFIXES.iter().any(|s| {
            rest.strip_prefix(s)
                .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit()))
        })
}

/// The rule a username or display name breaks, if any (`practice` is the practice's name).
pub fn generic_rule(text: &str, practice: &str) -> Option<SharedRule> {
    let word = squash(text.split('@').next().unwrap_or(text));
    if word.is_empty() {
        return None;
    }
    let practice = squash(practice);
    if !practice.is_empty() && word.strip_prefix(&practice).is_some_and(generic_rest) {
        return Some(SharedRule::PracticeName);
    }
    GENERIC
        .iter()
        .any(|g| word.strip_prefix(g).is_some_and(generic_rest))
        .then_some(SharedRule::GenericName)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_names_are_found() {
        for name in [
            "frontdesk",
            "Front Desk",
            "front_desk2",
            "billing",
            "Billing Department",
            "office",
            "admin",
            "User A",
            "user1",
            "FrontDesk@acme.example",
            "billing-team",
            "Nurses",
        ] {
            assert_eq!(
                generic_rule(name, "Acme Family Medicine"),
                Some(SharedRule::GenericName),
                "{name}"
            );
        }
        assert_eq!(
            generic_rule("Acme Family Medicine", "Acme Family Medicine"),
            Some(SharedRule::PracticeName)
        );
        assert_eq!(
            generic_rule("acmefamilymedicine2", "Acme Family Medicine"),
            Some(SharedRule::PracticeName)
        );
    }

    #[test]
    fn people_are_not_generic() {
        for name in [
            "jdoe",
            "Jane Doe",
            "adminah.khan",
            "Billings, Mary",
            "officer.brown",
            "userman",
            "Desmond",
            "",
        ] {
            assert_eq!(generic_rule(name, "Acme Family Medicine"), None, "{name}");
        }
    }
}
