//! Access policy: rules that map a person's job attributes and groups to portal roles.
//!
//! `when` keys are `title`, `department`, `division`, `costCenter`, `employeeType` (SCIM
//! `userType`) and `group` (a SCIM group's displayName). Several values in one key match any of
//! them; several keys must all match; an empty `when` matches everyone. Matching ignores case.
//! Rules add up: a person gets the union of what every matching rule grants.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    #[schema(max_items = 500)]
    pub rules: Vec<Rule>,
    /// Who counts as a vendor or billing-company user: when they leave, the practice must tell
    /// their company (a `notify_third_party` task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub third_party: Option<When>,
    /// A termination marker some HR systems send instead of deactivating (e.g.
    /// `{"employeeType": ["Terminated"]}`): whoever matches is a leaver, active or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated: Option<When>,
    /// Portal slug → the SCIM group (displayName, case ignored) whose members have done that
    /// portal's training, e.g. `{"noridian-nmp": "Noridian training complete"}`: joining it
    /// records the training (once; renewals are recorded by their task, the console or the API).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub training_groups: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique in the document (case ignored).
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    pub when: When,
    /// Portal slug → role slugs (the portal's own, at most 50).
    pub grant: BTreeMap<String, Vec<String>>,
}

/// Each key lists at most 100 values of at most 256 bytes each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100)]
    pub title: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100)]
    pub department: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100)]
    pub division: Vec<String>,
    #[serde(default, rename = "costCenter", skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100)]
    pub cost_center: Vec<String>,
    #[serde(
        default,
        rename = "employeeType",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[schema(max_items = 100)]
    pub employee_type: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100)]
    pub group: Vec<String>,
}

/// What policy looks at about a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFacts {
    pub title: Option<String>,
    pub department: Option<String>,
    pub division: Option<String>,
    pub cost_center: Option<String>,
    pub employee_type: Option<String>,
    /// displayNames of the groups the person belongs to.
    pub groups: Vec<String>,
}

/// Portal slug → role slug → the rules that grant it.
pub type Entitlements = BTreeMap<String, BTreeMap<String, Vec<String>>>;

impl When {
    pub fn matches(&self, person: &PersonFacts) -> bool {
        let one = |wanted: &[String], value: &Option<String>| {
            wanted.is_empty()
                || value.as_deref().is_some_and(|v| {
                    wanted
                        .iter()
                        .any(|w| w.trim().eq_ignore_ascii_case(v.trim()))
                })
        };
        one(&self.title, &person.title)
            && one(&self.department, &person.department)
            && one(&self.division, &person.division)
            && one(&self.cost_center, &person.cost_center)
            && one(&self.employee_type, &person.employee_type)
            && (self.group.is_empty()
                || self.group.iter().any(|w| {
                    person
                        .groups
                        .iter()
                        .any(|g| g.trim().eq_ignore_ascii_case(w.trim()))
                }))
    }
}

impl PolicyDocument {
    /// The roles a person should have, with the rules that grant each.
    pub fn entitlements(&self, person: &PersonFacts) -> Entitlements {
        let mut out = Entitlements::new();
        for rule in self.rules.iter().filter(|r| r.when.matches(person)) {
            for (portal, roles) in &rule.grant {
                let granted = out.entry(portal.clone()).or_default();
                for role in roles {
                    granted
                        .entry(role.clone())
                        .or_default()
                        .push(rule.name.clone());
                }
            }
        }
        out.retain(|_, roles| !roles.is_empty());
        out
    }

    pub fn is_terminated(&self, person: &PersonFacts) -> bool {
        self.terminated
            .as_ref()
            .is_some_and(|w| w != &When::default() && w.matches(person))
    }

    /// The portals whose training group (`training_groups`) the person is in, with the group.
    pub fn training_claims<'a>(
        &'a self,
        person: &'a PersonFacts,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.training_groups.iter().filter_map(|(portal, group)| {
            person
                .groups
                .iter()
                .any(|g| g.trim().eq_ignore_ascii_case(group.trim()))
                .then_some((portal.as_str(), group.as_str()))
        })
    }

    pub fn is_third_party(&self, person: &PersonFacts) -> bool {
        self.third_party
            .as_ref()
            .is_some_and(|w| w != &When::default() && w.matches(person))
    }

    /// Checks every rule against what the practice can grant: `roles_of(portal)` is the role
    /// slugs of an enabled practice portal, or `None` when the practice does not use it.
    pub fn validate(
        &self,
        roles_of: impl Fn(&str) -> Option<BTreeSet<String>>,
    ) -> Result<(), PolicyError> {
        self.check_sizes()?;
        for (portal, group) in &self.training_groups {
            let plain = |message: String| PolicyError {
                rule: None,
                message,
            };
            if roles_of(portal).is_none() {
                return Err(plain(format!(
                    "`training_groups`: portal `{portal}` is not one of the practice's portals"
                )));
            }
            if group.trim().is_empty() || group.len() > MAX_VALUE_BYTES {
                return Err(plain(format!(
                    "`training_groups`: the group for `{portal}` must be a name of 1 to {MAX_VALUE_BYTES} bytes"
                )));
            }
        }
        if self.training_groups.len() > 100 {
            return Err(PolicyError {
                rule: None,
                message: "`training_groups` names at most 100 portals".into(),
            });
        }
        let mut names = BTreeSet::new();
        for rule in &self.rules {
            let fail = |message: String| PolicyError {
                rule: Some(rule.name.clone()),
                message,
            };
            if rule.name.trim().is_empty() {
                return Err(PolicyError {
                    rule: None,
                    message: "every rule needs a name".into(),
                });
            }
            if !names.insert(rule.name.trim().to_lowercase()) {
                return Err(fail("two rules have this name".into()));
            }
            if rule.grant.is_empty() {
                return Err(fail("grants nothing".into()));
            }
            for (portal, roles) in &rule.grant {
                let known = roles_of(portal).ok_or_else(|| {
                    fail(format!("portal `{portal}` is not one of the practice's portals (add it under /practice-portals)"))
                })?;
                if roles.is_empty() {
                    return Err(fail(format!("grants no role in `{portal}`")));
                }
                if let Some(unknown) = roles.iter().find(|r| !known.contains(*r)) {
                    return Err(fail(format!("portal `{portal}` has no role `{unknown}`")));
                }
            }
        }
        Ok(())
    }
}

/// Size limits of a policy document (stated in its OpenAPI schema): generous for any practice,
/// small enough that planning everyone against it stays cheap.
pub const MAX_RULES: usize = 500;
pub const MAX_RULE_NAME_CHARS: usize = 200;
pub const MAX_VALUES_PER_KEY: usize = 100;
pub const MAX_VALUE_BYTES: usize = 256;
pub const MAX_ROLES_PER_PORTAL: usize = 50;

impl PolicyDocument {
    fn check_sizes(&self) -> Result<(), PolicyError> {
        let plain = |message: String| PolicyError {
            rule: None,
            message,
        };
        if self.rules.len() > MAX_RULES {
            return Err(plain(format!("at most {MAX_RULES} rules")));
        }
        let check_when = |when: &When, rule: Option<&str>| -> Result<(), PolicyError> {
            let keys = [
                ("title", &when.title),
                ("department", &when.department),
                ("division", &when.division),
                ("costCenter", &when.cost_center),
                ("employeeType", &when.employee_type),
                ("group", &when.group),
            ];
            for (key, values) in keys {
                let fail = |message: String| PolicyError {
                    rule: rule.map(str::to_owned),
                    message,
                };
                if values.len() > MAX_VALUES_PER_KEY {
                    return Err(fail(format!(
                        "`{key}` lists more than {MAX_VALUES_PER_KEY} values"
                    )));
                }
                if values.iter().any(|v| v.len() > MAX_VALUE_BYTES) {
                    return Err(fail(format!(
                        "a `{key}` value is longer than {MAX_VALUE_BYTES} bytes"
                    )));
                }
            }
            Ok(())
        };
        for rule in &self.rules {
            if rule.name.chars().count() > MAX_RULE_NAME_CHARS {
                return Err(plain(format!(
                    "a rule name is longer than {MAX_RULE_NAME_CHARS} characters"
                )));
            }
            check_when(&rule.when, Some(&rule.name))?;
            if rule
                .grant
                .values()
                .any(|roles| roles.len() > MAX_ROLES_PER_PORTAL)
            {
                return Err(PolicyError {
                    rule: Some(rule.name.clone()),
                    message: format!("grants more than {MAX_ROLES_PER_PORTAL} roles in one portal"),
                });
            }
        }
        for (key, when) in [
            ("third_party", &self.third_party),
            ("terminated", &self.terminated),
        ] {
            if let Some(when) = when {
                check_when(when, None).map_err(|e| plain(format!("`{key}`: {}", e.message)))?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", rule.as_ref().map(|r| format!("rule `{r}`: ")).unwrap_or_default())]
pub struct PolicyError {
    pub rule: Option<String>,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PolicyDocument {
        serde_json::from_value(serde_json::json!({"rules": [
            {"name": "Front desk", "when": {"title": ["Front Desk", "Receptionist"]},
             "grant": {"availity-essentials": ["eligibility-benefits"], "noridian-nmp": ["eligibility"]}},
            {"name": "Billing", "when": {"department": ["Billing"], "group": ["Billing Desk"]},
             "grant": {"availity-essentials": ["claim-status", "remittance-viewer", "eligibility-benefits"]}}
        ], "third_party": {"employeeType": ["Vendor"]}}))
        .unwrap()
    }

    #[test]
    fn rules_match_case_insensitively_and_add_up() {
        let person = PersonFacts {
            title: Some("front desk".into()),
            department: Some("BILLING".into()),
            groups: vec!["billing desk".into()],
            ..Default::default()
        };
        let got = policy().entitlements(&person);
        assert_eq!(
            got["availity-essentials"]["eligibility-benefits"],
            vec!["Front desk", "Billing"]
        );
        assert_eq!(got["availity-essentials"].len(), 3);
        assert_eq!(
            got["noridian-nmp"].keys().collect::<Vec<_>>(),
            vec!["eligibility"]
        );
        // All keys of a rule must match: Billing without the group gets nothing from it.
        let no_group = PersonFacts {
            department: Some("Billing".into()),
            ..Default::default()
        };
        assert!(policy().entitlements(&no_group).is_empty());
        assert!(policy().is_third_party(&PersonFacts {
            employee_type: Some("vendor".into()),
            ..Default::default()
        }));
    }

    #[test]
    fn validation_names_the_rule() {
        let known = |portal: &str| match portal {
            "availity-essentials" => Some(
                ["eligibility-benefits", "claim-status", "remittance-viewer"]
                    .map(String::from)
                    .into(),
            ),
            _ => None,
        };
        let err = policy().validate(known).unwrap_err();
        assert_eq!(err.rule.as_deref(), Some("Front desk"));
        assert!(err.message.contains("noridian-nmp"));
        let mut bad_role = policy();
        bad_role.rules.remove(0);
        bad_role.rules[0]
            .grant
            .get_mut("availity-essentials")
            .unwrap()
            .push("root".into());
        assert_eq!(
            bad_role.validate(known).unwrap_err().to_string(),
            "rule `Billing`: portal `availity-essentials` has no role `root`"
        );
    }
}
