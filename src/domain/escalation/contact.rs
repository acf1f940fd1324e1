//! Who is on the escalation chain: the assignee, a role, or an e-mail address, written as
//! text in the policy document.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Someone on the escalation chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Contact {
    /// Whoever the task is assigned to (or claimed by); the practice's portal admins if nobody.
    Assignee,
    /// Every active administrator of the practice with this role.
    Role(String),
    /// A named person outside the admin list, e.g. a compliance officer.
    Email(String),
}

impl TryFrom<String> for Contact {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let t = text.trim();
        if t == "assignee" {
            return Ok(Contact::Assignee);
        }
        if let Some(role) = t.strip_prefix("role:") {
            return match role {
                "portal_admin" | "manager" | "auditor" => Ok(Contact::Role(role.to_owned())),
                _ => Err(format!(
                    "`{t}`: roles are role:portal_admin, role:manager, role:auditor"
                )),
            };
        }
        match t.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && domain.contains('.') && t.len() <= 254 =>
            {
                Ok(Contact::Email(t.to_owned()))
            }
            _ => Err(format!(
                "`{t}` is not a contact: use assignee, role:manager (or another role), or an e-mail address"
            )),
        }
    }
}

impl From<Contact> for String {
    fn from(c: Contact) -> String {
        c.to_string()
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Assignee => f.write_str("assignee"),
            Contact::Role(role) => write!(f, "role:{role}"),
            Contact::Email(email) => f.write_str(email),
        }
    }
}
