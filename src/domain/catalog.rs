//! The carrier portal catalogue: which portals exist, their roles and rules. Shipped as data
//! (`catalog/portals.toml`, compiled in as the default); a deployment may load a newer file.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The catalogue compiled into this build.
pub const BUILTIN: &str = include_str!("../../catalog/portals.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub version: String,
    #[serde(rename = "portal")]
    pub portals: Vec<Portal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Portal {
    /// Stable identifier, e.g. `availity-essentials`.
    pub slug: String,
    pub name: String,
    /// Where the administrator signs in.
    pub url: String,
    pub kind: PortalKind,
    /// Payers reached through the portal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payers: Vec<String>,
    /// Medicare Administrative Contractor jurisdictions (JE, JF, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jurisdictions: Vec<String>,
    /// One account can belong to several organizations: a leaver who serves others loses the
    /// affiliation, not the account.
    #[serde(default)]
    pub multi_org: bool,
    /// Where in the portal users are managed, for task instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_admin_place: Option<String>,
    #[serde(default)]
    pub admin_limits: AdminLimits,
    #[serde(default)]
    pub lifecycle: LifecycleRules,
    /// Standing duties: recertifications and training, with their cadence and window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duties: Vec<super::duty::Duty>,
    /// How the portal's user lists name their columns, where that is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_columns: Option<super::reconcile::ListColumns>,
    pub roles: Vec<PortalRole>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PortalKind {
    MultiPayerHub,
    Payer,
    MedicareMac,
    Medicaid,
    WorkersComp,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecycleRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactivity_cutoff_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_report_days: Option<u32>,
    /// Days unused after which the portal disables an account (before any deletion at
    /// `inactivity_cutoff_days`): a portal list's dormant rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_after_days: Option<u32>,
}

impl LifecycleRules {
    /// Days unused after which an account counts as dormant: when the portal disables it,
    /// else when it cuts it off.
    pub fn dormant_after_days(&self) -> Option<u32> {
        self.disabled_after_days.or(self.inactivity_cutoff_days)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalRole {
    pub slug: String,
    pub name: String,
    pub sensitivity: Sensitivity,
    #[serde(default)]
    pub is_admin: bool,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Eligibility,
    Clinical,
    Claims,
    Financial,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("portal catalogue: {0}")]
pub struct CatalogError(pub String);

impl Catalog {
    pub fn builtin() -> Result<Self, CatalogError> {
        Self::parse(BUILTIN)
    }

    pub fn parse(text: &str) -> Result<Self, CatalogError> {
        let catalog: Catalog = toml::from_str(text).map_err(|e| CatalogError(e.to_string()))?;
        let mut slugs = HashSet::new();
        for portal in &catalog.portals {
            check_portal(portal).map_err(CatalogError)?;
            if !slugs.insert(portal.slug.as_str()) {
                return Err(CatalogError(format!(
                    "portal `{}` is listed twice",
                    portal.slug
                )));
            }
        }
        Ok(catalog)
    }

    pub fn portal(&self, slug: &str) -> Option<&Portal> {
        self.portals.iter().find(|p| p.slug == slug)
    }

    pub fn by_slug(&self) -> BTreeMap<&str, &Portal> {
        self.portals.iter().map(|p| (p.slug.as_str(), p)).collect()
    }
}

/// A valid slug: lowercase letters, digits and `-`, 2–63 characters, starting with a letter.
pub fn is_slug(s: &str) -> bool {
    (2..=63).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Checks one portal definition (catalogue or practice-defined).
pub fn check_portal(portal: &Portal) -> Result<(), String> {
    if !is_slug(&portal.slug) {
        return Err(format!(
            "portal slug `{}` is invalid (lowercase letters, digits, '-')",
            portal.slug
        ));
    }
    if portal.name.trim().is_empty() {
        return Err(format!("portal `{}` needs a name", portal.slug));
    }
    let too_long = |text: &str, max: usize| text.chars().count() > max;
    if too_long(&portal.name, 200)
        || too_long(&portal.url, 2048)
        || portal
            .user_admin_place
            .as_deref()
            .is_some_and(|p| too_long(p, 500))
        || portal.payers.len() > 100
        || portal
            .payers
            .iter()
            .chain(&portal.jurisdictions)
            .any(|p| too_long(p, 200))
        || portal.jurisdictions.len() > 100
        || portal.roles.len() > 100
        || portal.roles.iter().any(|r| too_long(&r.name, 200))
    {
        return Err(format!(
            "portal `{}` is too large: name and role names at most 200 characters, url 2048, user_admin_place 500, at most 100 roles, payers and jurisdictions",
            portal.slug
        ));
    }
    if !(portal.url.starts_with("https://") || portal.url.starts_with("http://")) {
        return Err(format!("portal `{}`: url must be http(s)", portal.slug));
    }
    if portal.roles.is_empty() {
        return Err(format!("portal `{}` needs at least one role", portal.slug));
    }
    if portal.duties.len() > 10 {
        return Err(format!("portal `{}`: at most 10 duties", portal.slug));
    }
    let mut duties = HashSet::new();
    for duty in &portal.duties {
        if !is_slug(&duty.key) {
            return Err(format!(
                "portal `{}`: duty key `{}` is not a slug",
                portal.slug, duty.key
            ));
        }
        duty.check()
            .map_err(|e| format!("portal `{}`: {e}", portal.slug))?;
        if too_long(&duty.name, 200) || too_long(&duty.consequence, 1000) {
            return Err(format!(
                "portal `{}`: a duty's name is at most 200 characters, its consequence 1000",
                portal.slug
            ));
        }
        if !duties.insert(duty.key.as_str()) {
            return Err(format!(
                "portal `{}`: duty `{}` twice",
                portal.slug, duty.key
            ));
        }
    }
    let mut roles = HashSet::new();
    for role in &portal.roles {
        if !is_slug(&role.slug) {
            return Err(format!(
                "portal `{}`: role slug `{}` is invalid",
                portal.slug, role.slug
            ));
        }
        if !roles.insert(role.slug.as_str()) {
            return Err(format!(
                "portal `{}`: role `{}` is listed twice",
                portal.slug, role.slug
            ));
        }
    }
    if let (Some(min), Some(max)) = (portal.admin_limits.min, portal.admin_limits.max)
        && min > max
    {
        return Err(format!(
            "portal `{}`: admin_limits.min exceeds max",
            portal.slug
        ));
    }
    Ok(())
}

impl Portal {
    pub fn role(&self, slug: &str) -> Option<&PortalRole> {
        self.roles.iter().find(|r| r.slug == slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_parses_and_has_what_the_product_needs() {
        let catalog = Catalog::builtin().unwrap();
        let availity = catalog.portal("availity-essentials").unwrap();
        for role in [
            "eligibility-benefits",
            "claim-status",
            "remittance-viewer",
            "authorizations-referrals",
            "claims-submission",
            "administrator",
        ] {
            assert!(availity.role(role).is_some(), "availity {role}");
        }
        assert!(availity.multi_org);
        assert!(availity.role("administrator").unwrap().is_admin);
        let nmp = catalog.portal("noridian-nmp").unwrap();
        for role in ["eligibility", "claim-status", "provider-administrator"] {
            assert!(nmp.role(role).is_some(), "nmp {role}");
        }
        assert_eq!(nmp.admin_limits.max, Some(5));
        assert_eq!(nmp.jurisdictions, vec!["JE", "JF"]);
        for slug in [
            "uhc-provider-portal",
            "cigna-for-hcp",
            "onehealthport",
            "palmetto-eservices",
            "cms-idm",
            "novitas-novitasphere",
            "cgs-mycgs",
            "ngs-connex",
            "wps-portal",
            "first-coast-spot",
            "wa-providerone",
            "ny-epaces",
            "nctracks",
        ] {
            assert!(catalog.portal(slug).is_some(), "{slug}");
        }
        assert!(
            catalog
                .portals
                .iter()
                .any(|p| p.kind == PortalKind::Medicaid)
        );
    }

    #[test]
    fn bad_catalogues_are_refused() {
        let one = |extra: &str| {
            format!(
                "version = \"1\"\n[[portal]]\nslug = \"p-one\"\nname = \"P\"\nurl = \"https://p\"\nkind = \"payer\"\nroles = [{{ slug = \"r\", name = \"R\", sensitivity = \"claims\" }}]\n{extra}"
            )
        };
        assert!(Catalog::parse(&one("")).is_err(), "role slug too short");
        let good = one("").replace("slug = \"r\"", "slug = \"rr\"");
        assert!(Catalog::parse(&good).is_ok());
        assert!(
            Catalog::parse(&format!("{good}{}", &good[14..])).is_err(),
            "duplicate portal"
        );
        assert!(Catalog::parse(&good.replace("payer", "casino")).is_err());
        assert!(Catalog::parse(&good.replace("claims", "secret")).is_err());
    }
}
