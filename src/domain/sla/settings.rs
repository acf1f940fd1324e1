//! A practice's SLAs per kind of work, their presets, and per-portal overrides.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::Sla;

/// The SLAs a practice works to, per kind of work. Values are preset names or durations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    /// Deprovisioning a leaver. Default `1h`.
    #[schema(value_type = String, example = "1h")]
    pub deprovision: Sla,
    /// Removing roles from a mover. Default `24h`.
    #[schema(value_type = String, example = "24h")]
    pub modify_removal: Sla,
    /// Creating accounts and adding roles. Default `72h`.
    #[schema(value_type = String, example = "72h")]
    pub provision: Sla,
    /// Handing a leaver's portal-administrator role to someone else. Default `4h`.
    #[schema(value_type = String, example = "4h")]
    pub transfer_admin: Sla,
    /// Telling a vendor or billing company that their user left. Default `24h`.
    #[schema(value_type = String, example = "24h")]
    pub notify_third_party: Sla,
}

impl Default for SlaSettings {
    fn default() -> Self {
        Self {
            deprovision: Sla::Elapsed(Duration::hours(1)),
            modify_removal: Sla::Elapsed(Duration::hours(24)),
            provision: Sla::Elapsed(Duration::hours(72)),
            transfer_admin: Sla::Elapsed(Duration::hours(4)),
            notify_third_party: Sla::Elapsed(Duration::hours(24)),
        }
    }
}

/// Some of a practice's SLAs, to change: keys left out keep their current value
/// (`PUT /settings/sla` with `{"deprovision": "2h"}` changes only that one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaChanges {
    #[schema(value_type = Option<String>, example = "1h")]
    pub deprovision: Option<Sla>,
    #[schema(value_type = Option<String>, example = "24h")]
    pub modify_removal: Option<Sla>,
    #[schema(value_type = Option<String>, example = "72h")]
    pub provision: Option<Sla>,
    #[schema(value_type = Option<String>, example = "4h")]
    pub transfer_admin: Option<Sla>,
    #[schema(value_type = Option<String>, example = "24h")]
    pub notify_third_party: Option<Sla>,
}

impl SlaSettings {
    /// These settings with `changes` applied.
    pub fn merged(&self, changes: &SlaChanges) -> SlaSettings {
        SlaSettings {
            deprovision: changes.deprovision.unwrap_or(self.deprovision),
            modify_removal: changes.modify_removal.unwrap_or(self.modify_removal),
            provision: changes.provision.unwrap_or(self.provision),
            transfer_admin: changes.transfer_admin.unwrap_or(self.transfer_admin),
            notify_third_party: changes
                .notify_third_party
                .unwrap_or(self.notify_third_party),
        }
    }
}

/// Per-practice-portal overrides of some SLAs, same keys as [`SlaSettings`].
pub type SlaOverrides = BTreeMap<String, Sla>;

impl SlaSettings {
    /// The SLA for a key, with a practice portal's override when it has one.
    pub fn for_key(&self, key: SlaKey, overrides: &SlaOverrides) -> Sla {
        if let Some(sla) = overrides.get(key.as_str()) {
            return *sla;
        }
        match key {
            SlaKey::Deprovision => self.deprovision,
            SlaKey::ModifyRemoval => self.modify_removal,
            SlaKey::Provision => self.provision,
            SlaKey::TransferAdmin => self.transfer_admin,
            SlaKey::NotifyThirdParty => self.notify_third_party,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaKey {
    Deprovision,
    ModifyRemoval,
    Provision,
    TransferAdmin,
    NotifyThirdParty,
}

impl SlaKey {
    pub const ALL: [SlaKey; 5] = [
        SlaKey::Deprovision,
        SlaKey::ModifyRemoval,
        SlaKey::Provision,
        SlaKey::TransferAdmin,
        SlaKey::NotifyThirdParty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaKey::Deprovision => "deprovision",
            SlaKey::ModifyRemoval => "modify_removal",
            SlaKey::Provision => "provision",
            SlaKey::TransferAdmin => "transfer_admin",
            SlaKey::NotifyThirdParty => "notify_third_party",
        }
    }
}
