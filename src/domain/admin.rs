//! Named administrators' roles: what each may do in a practice.

use std::fmt;
use std::str::FromStr;

use super::scope::{Scope, Scopes};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRole {
    /// Works the queue; manages practice portals, policy and SLAs.
    PortalAdmin,
    /// Reads everything; reassigns and cancels work.
    Manager,
    /// Reads everything, changes nothing: audit and reports.
    Auditor,
}

/// What an admin-API request needs beyond reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    /// Reassign or cancel tasks.
    Oversee,
    /// Everything else that writes.
    Operate,
}

impl AdminRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::PortalAdmin => "portal_admin",
            AdminRole::Manager => "manager",
            AdminRole::Auditor => "auditor",
        }
    }

    pub fn allows(self, need: Need) -> bool {
        matches!(
            (self, need),
            (_, Need::Read) | (AdminRole::PortalAdmin, _) | (AdminRole::Manager, Need::Oversee)
        )
    }

    /// The scopes of a token minted for this role.
    pub fn scopes(self) -> Scopes {
        match self {
            AdminRole::Auditor => Scopes::of(Scope::AdminRead, &[]),
            _ => Scopes::of(Scope::AdminRead, &[Scope::AdminWrite]),
        }
    }
}

impl fmt::Display for AdminRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}` (expected portal_admin, manager or auditor)")]
pub struct UnknownRole(pub String);

impl FromStr for AdminRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "portal_admin" => Ok(AdminRole::PortalAdmin),
            "manager" => Ok(AdminRole::Manager),
            "auditor" => Ok(AdminRole::Auditor),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}
