//! The instructions a planned task carries, in plain words: where to go, for whom, and what
//! to give or take away.

use std::collections::BTreeSet;

use super::{Account, PersonLabel};
use crate::domain::catalog::Portal;

/// Task instructions in plain words: what to do, where, for whom.
pub(super) struct Words<'a> {
    pub(super) portal: &'a Portal,
    pub(super) person: &'a PersonLabel,
    pub(super) account: Option<&'a Account>,
}

impl Words<'_> {
    fn place(&self) -> String {
        match &self.portal.user_admin_place {
            Some(place) => format!("In {} ({}, {place})", self.portal.name, self.portal.url),
            None => format!("In {} ({})", self.portal.name, self.portal.url),
        }
    }

    fn who(&self) -> String {
        match self.account.and_then(|a| a.username.as_deref()) {
            Some(username) => format!("{} (portal username {username})", self.person.display),
            None => format!("{} ({})", self.person.display, self.person.user_name),
        }
    }

    fn role_names(&self, roles: &BTreeSet<String>) -> String {
        roles
            .iter()
            .map(|r| {
                self.portal
                    .role(r)
                    .map_or_else(|| r.clone(), |role| role.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(super) fn provision(&self, roles: &BTreeSet<String>) -> String {
        format!(
            "{}, give {} access with: {}.",
            self.place(),
            self.who(),
            self.role_names(roles)
        )
    }

    pub(super) fn modify(&self, add: &BTreeSet<String>, remove: &BTreeSet<String>) -> String {
        let mut parts = Vec::new();
        if !remove.is_empty() {
            parts.push(format!("remove {}", self.role_names(remove)));
        }
        if !add.is_empty() {
            parts.push(format!("add {}", self.role_names(add)));
        }
        format!(
            "{}, for {}: {}.",
            self.place(),
            self.who(),
            parts.join("; ")
        )
    }

    pub(super) fn deprovision(&self, roles: &BTreeSet<String>, maybe_created: bool) -> String {
        if maybe_created {
            return format!(
                "{}, an account for {} may have been created by a task now cancelled: if it \
                 exists, deactivate it.",
                self.place(),
                self.who()
            );
        }
        let held = if roles.is_empty() {
            String::new()
        } else {
            format!(" (it holds: {})", self.role_names(roles))
        };
        let other_orgs = self.account.is_some_and(|a| a.other_affiliations);
        if self.portal.multi_org && other_orgs {
            format!(
                "{}, remove this practice's affiliation from {}{held}. Do not deactivate the \
                 account: it serves other organizations.",
                self.place(),
                self.who()
            )
        } else if self.portal.multi_org {
            format!(
                "{}, remove this practice's affiliation from {}{held}; deactivate the account \
                 only if it serves no other organization.",
                self.place(),
                self.who()
            )
        } else {
            format!(
                "{}, deactivate the account of {}{held}.",
                self.place(),
                self.who()
            )
        }
    }

    pub(super) fn transfer_admin(&self, roles: &BTreeSet<String>) -> String {
        format!(
            "{}, {} holds {}: make another staff member administrator first (the portal must \
             keep at least {} administrator(s)); their deprovision waits for this.",
            self.place(),
            self.who(),
            self.role_names(roles),
            self.portal.admin_limits.min.unwrap_or(1)
        )
    }
}
