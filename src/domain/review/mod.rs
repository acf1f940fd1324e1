//! Access reviews (DESIGN.md "Access reviews"): a campaign snapshots the portal accounts in its
//! scope, each becomes an item a reviewer decides ("Keep", "Revoke", "Reduce"), and what a
//! reviewer takes away becomes an exclusion the planner honours, so policy does not grant it
//! straight back. Here: the rules, with no storage and no clock of their own.

pub mod schedule;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::Sensitivity;

/// Which accounts a campaign reviews: every account (both lists empty), the accounts in some
/// portals, or the accounts holding a role of some sensitivity (such as `financial`); with
/// both, an account must match both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewScope {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100)]
    pub portals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitivities: Vec<Sensitivity>,
}

impl ReviewScope {
    /// Whether an account in `portal` whose roles have `sensitivities` is in scope.
    pub fn covers(&self, portal: &str, sensitivities: &BTreeSet<Sensitivity>) -> bool {
        (self.portals.is_empty() || self.portals.iter().any(|p| p == portal))
            && (self.sensitivities.is_empty()
                || self.sensitivities.iter().any(|s| sensitivities.contains(s)))
    }
}

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignState {
    /// Reviewers decide; decisions can change.
    Open,
    /// Decisions are final.
    Closed,
}

impl CampaignState {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Open => "open",
            CampaignState::Closed => "closed",
        }
    }
}

/// Access a review took away from a person in one portal: some roles, or (`None`) all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    pub portal: String,
    pub roles: Option<BTreeSet<String>>,
}

/// What policy grants (portal → roles) less what reviews took away: a reviewer's "Revoke"
/// stands until a review gives it back, whatever the rules say.
pub fn without_excluded(
    desired: &mut std::collections::BTreeMap<String, BTreeSet<String>>,
    exclusions: &[Exclusion],
) {
    for exclusion in exclusions {
        match &exclusion.roles {
            None => {
                desired.remove(&exclusion.portal);
            }
            Some(roles) => {
                if let Some(granted) = desired.get_mut(&exclusion.portal) {
                    granted.retain(|r| !roles.contains(r));
                    if granted.is_empty() {
                        desired.remove(&exclusion.portal);
                    }
                }
            }
        }
    }
}

/// What happens to an item nobody decided by the deadline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoAnswer {
    /// Kept, and listed as an exception in the report.
    #[default]
    KeepAndFlag,
    /// Revoked, as if the reviewer had said so.
    Revoke,
}

impl NoAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            NoAnswer::KeepAndFlag => "keep_and_flag",
            NoAnswer::Revoke => "revoke",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "keep_and_flag" => Some(NoAnswer::KeepAndFlag),
            "revoke" => Some(NoAnswer::Revoke),
            _ => None,
        }
    }
}

/// A reviewer's decision on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Keep,
    Revoke,
    /// Remove some of the roles (named with the decision).
    Reduce,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Revoke => "revoke",
            Decision::Reduce => "reduce",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "keep" => Some(Decision::Keep),
            "revoke" => Some(Decision::Revoke),
            "reduce" => Some(Decision::Reduce),
            _ => None,
        }
    }
}

/// Why a decision cannot be recorded, in words for the reviewer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecisionRefused(pub String);

/// Checks a decision against the item's roles: Revoke and Reduce (and any decision made for
/// several items at once) need a comment saying why; Reduce names roles the account holds,
/// and not all of them (that is Revoke). Returns the roles to remove.
pub fn checked_decision(
    decision: Decision,
    remove: &[String],
    held: &BTreeSet<String>,
    comment: Option<&str>,
    bulk: bool,
) -> Result<BTreeSet<String>, DecisionRefused> {
    let commented = comment.is_some_and(|c| !c.trim().is_empty());
    if comment.is_some_and(|c| c.chars().count() > 2000) {
        return Err(DecisionRefused(
            "a comment is at most 2,000 characters".into(),
        ));
    }
    if (decision != Decision::Keep || bulk) && !commented {
        let why = if bulk {
            "a decision for several items at once needs a comment saying why"
        } else {
            "Revoke and Reduce need a comment saying why"
        };
        return Err(DecisionRefused(why.into()));
    }
    match decision {
        Decision::Keep => Ok(BTreeSet::new()),
        Decision::Revoke => Ok(held.clone()),
        Decision::Reduce => {
            let remove: BTreeSet<String> = remove.iter().cloned().collect();
            if remove.is_empty() {
                return Err(DecisionRefused("Reduce names the roles to remove".into()));
            }
            if let Some(unknown) = remove.iter().find(|r| !held.contains(*r)) {
                return Err(DecisionRefused(format!(
                    "the account does not hold the role `{unknown}`"
                )));
            }
            if remove.len() == held.len() {
                return Err(DecisionRefused(
                    "removing every role is Revoke, not Reduce".into(),
                ));
            }
            Ok(remove)
        }
    }
}

/// Where an item's reviewer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewerSource {
    /// The person's manager (SCIM enterprise `manager`), an administrator of the practice.
    Manager,
    /// The campaign's named reviewer for the portal.
    Portal,
    /// One of the practice's managers (or, without one, portal administrators).
    Fallback,
    /// Handed over by the reviewer (or an overseer) to another administrator.
    Delegated,
}

impl ReviewerSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewerSource::Manager => "manager",
            ReviewerSource::Portal => "portal",
            ReviewerSource::Fallback => "fallback",
            ReviewerSource::Delegated => "delegated",
        }
    }
}

/// The reviewer of an item: the person's manager when that manager is an administrator of the
/// practice, else the campaign's reviewer for the portal, else the first of `fallback` (the
/// practice's managers, then its portal administrators); never the person themselves
/// (`is_self`). `None`: nobody is assigned.
pub fn choose_reviewer<A: Copy + PartialEq>(
    manager: Option<A>,
    portal_reviewer: Option<A>,
    managers: &[A],
    is_self: impl Fn(A) -> bool,
) -> Option<(A, ReviewerSource)> {
    let candidates = manager
        .map(|a| (a, ReviewerSource::Manager))
        .into_iter()
        .chain(portal_reviewer.map(|a| (a, ReviewerSource::Portal)))
        .chain(managers.iter().map(|a| (*a, ReviewerSource::Fallback)));
    candidates.into_iter().find(|(a, _)| !is_self(*a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|r| (*r).to_owned()).collect()
    }

    #[test]
    fn revoke_and_reduce_need_a_comment_and_keep_does_not() {
        let held = roles(&["a", "b"]);
        assert!(checked_decision(Decision::Keep, &[], &held, None, false).is_ok());
        assert!(checked_decision(Decision::Keep, &[], &held, None, true).is_err());
        assert!(checked_decision(Decision::Revoke, &[], &held, Some(" "), false).is_err());
        assert_eq!(
            checked_decision(Decision::Revoke, &[], &held, Some("left billing"), false).unwrap(),
            held
        );
    }

    #[test]
    fn reduce_names_some_held_roles_but_not_all() {
        let held = roles(&["a", "b"]);
        let why = Some("no longer posts payments");
        assert_eq!(
            checked_decision(Decision::Reduce, &["a".into()], &held, why, false).unwrap(),
            roles(&["a"])
        );
        for remove in [vec![], vec!["c".to_owned()], vec!["a".into(), "b".into()]] {
            assert!(checked_decision(Decision::Reduce, &remove, &held, why, false).is_err());
        }
    }

    #[test]
    fn the_reviewer_is_the_manager_then_the_portal_reviewer_then_a_manager_never_oneself() {
        assert_eq!(
            choose_reviewer(Some(1), Some(2), &[3], |_| false),
            Some((1, ReviewerSource::Manager))
        );
        assert_eq!(
            choose_reviewer(None, Some(2), &[3], |_| false),
            Some((2, ReviewerSource::Portal))
        );
        assert_eq!(
            choose_reviewer(Some(1), None, &[1, 3], |a| a == 1),
            Some((3, ReviewerSource::Fallback))
        );
        assert_eq!(choose_reviewer(None, None, &[1], |a| a == 1), None);
    }

    #[test]
    fn exclusions_take_a_portal_or_some_roles_away_from_what_policy_grants() {
        let mut desired: std::collections::BTreeMap<String, BTreeSet<String>> = [
            ("a".to_owned(), roles(&["x", "y"])),
            ("b".to_owned(), roles(&["z"])),
            ("c".to_owned(), roles(&["w"])),
        ]
        .into();
        without_excluded(
            &mut desired,
            &[
                Exclusion {
                    portal: "a".into(),
                    roles: Some(roles(&["x"])),
                },
                Exclusion {
                    portal: "b".into(),
                    roles: None,
                },
                Exclusion {
                    portal: "c".into(),
                    roles: Some(roles(&["w"])),
                },
            ],
        );
        assert_eq!(desired, [("a".to_owned(), roles(&["y"]))].into());
    }

    #[test]
    fn a_scope_covers_portals_and_sensitivities() {
        let financial: BTreeSet<Sensitivity> = [Sensitivity::Financial].into();
        let everything = ReviewScope::default();
        assert!(everything.covers("availity-essentials", &BTreeSet::new()));
        let money = ReviewScope {
            portals: vec![],
            sensitivities: vec![Sensitivity::Financial],
        };
        assert!(money.covers("x", &financial));
        assert!(!money.covers("x", &BTreeSet::new()));
        let one = ReviewScope {
            portals: vec!["noridian-nmp".into()],
            sensitivities: vec![],
        };
        assert!(!one.covers("availity-essentials", &financial));
    }
}
