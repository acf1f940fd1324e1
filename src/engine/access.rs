//! What a person should have against what they have, per portal: the view an administrator
//! checks before and after acting, and what a policy would grant someone (a preview). Reads
//! only; the decisions are the domain policy's.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::domain::policy::{PersonFacts, PolicyDocument};
use crate::store::{StoreError, TenantStore};

/// One portal's desired and actual access for a person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PortalAccess {
    pub portal: String,
    pub portal_name: String,
    /// Roles policy grants, with the rules that grant each.
    pub desired: BTreeMap<String, Vec<String>>,
    /// Roles the recorded account holds.
    pub actual: Vec<String>,
    pub username: Option<String>,
    /// The account holds exactly what policy grants.
    pub in_step: bool,
}

/// Desired against actual access for each portal the person is granted or has an account in.
/// A leaver is granted nothing, but their accounts still show. `NotFound` for someone who is
/// not a person of the practice.
pub async fn person_access(
    store: &TenantStore<'_>,
    person: Uuid,
) -> Result<Vec<PortalAccess>, StoreError> {
    let policy = store.policy().await?;
    let entitlements = match store.person_is_entitled(person).await? {
        Some(true) => policy
            .document
            .entitlements(&store.person_facts(person).await?),
        Some(false) => Default::default(),
        None => return Err(StoreError::NotFound("person")),
    };
    let accounts = store.accounts_of(person).await?;
    let portals = store.practice_portals().await?;
    let mut slugs: BTreeSet<&str> = entitlements.keys().map(String::as_str).collect();
    slugs.extend(accounts.iter().map(|a| a.portal.as_str()));
    Ok(slugs
        .into_iter()
        .filter_map(|slug| {
            let portal = portals.get(slug)?;
            let desired = entitlements.get(slug).cloned().unwrap_or_default();
            let account = accounts.iter().find(|a| a.portal == slug);
            let actual: Vec<String> = account
                .map(|a| a.roles.iter().cloned().collect())
                .unwrap_or_default();
            Some(PortalAccess {
                in_step: desired.keys().cloned().collect::<Vec<_>>() == actual,
                portal: slug.to_owned(),
                portal_name: portal.portal.name.clone(),
                desired,
                actual,
                username: account.and_then(|a| a.username.clone()),
            })
        })
        .collect())
}

/// One role the current policy would grant, and the rules that grant it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub portal: String,
    pub role: String,
    pub rules: Vec<String>,
}

/// What the current policy would grant someone with these facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub policy_version: i32,
    pub grants: Vec<Grant>,
    /// Would be treated as a vendor or billing-company user.
    pub third_party: bool,
}

/// Previews the current policy, or a `proposed` one, for `facts` (a person's, or made up).
pub async fn preview(
    store: &TenantStore<'_>,
    facts: &PersonFacts,
    proposed: Option<&PolicyDocument>,
) -> Result<Preview, StoreError> {
    let mut policy = store.policy().await?;
    if let Some(document) = proposed {
        policy.version += 1;
        policy.document = document.clone();
    }
    let grants = policy
        .document
        .entitlements(facts)
        .into_iter()
        .flat_map(|(portal, roles)| {
            roles.into_iter().map(move |(role, rules)| Grant {
                portal: portal.clone(),
                role,
                rules,
            })
        })
        .collect();
    Ok(Preview {
        policy_version: policy.version,
        third_party: policy.document.is_third_party(facts),
        grants,
    })
}
