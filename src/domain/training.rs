//! Training before access (the seed article: "portal training should be included in
//! onboarding"; staff without it "may unintentionally change claim details"). A portal whose
//! catalogue entry carries a training duty requires it (Noridian's security-awareness
//! training, yearly); a practice may require it for any portal, or waive it, and set how long
//! it stays valid. A provision task for such a portal waits until the person's training is
//! recorded; training that lapses opens a task before it does.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::Portal;
use super::duty::DutyKind;

/// What a task waits for until the person's training is recorded.
pub const WAITING_FOR_TRAINING: &str = "training";

/// Days before training lapses when the task to renew it opens.
pub const RENEW_DAYS_BEFORE: i64 = 30;

/// Whether a portal requires training before access, and for how long it stays valid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrainingRule {
    pub required: bool,
    /// Days a training stays valid; `None`: it does not lapse.
    pub valid_days: Option<u32>,
}

impl TrainingRule {
    /// The catalogue's rule for a portal: where it has a training duty, valid for the duty's
    /// cadence, and required before access where the duty says the portal requires that.
    pub fn of_catalogue(portal: &Portal) -> Self {
        portal
            .duties
            .iter()
            .find(|d| d.kind == DutyKind::Training)
            .map_or_else(Self::default, |d| Self {
                required: d.before_access,
                valid_days: Some(d.every_days),
            })
    }

    /// The rule in force: the practice's choices over the catalogue's.
    pub fn with_practice(self, required: Option<bool>, valid_days: Option<u32>) -> Self {
        Self {
            required: required.unwrap_or(self.required),
            valid_days: valid_days.or(self.valid_days),
        }
    }

    /// When a training completed at `completed` lapses.
    pub fn expires_at(&self, completed: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.valid_days
            .map(|days| completed + Duration::days(i64::from(days)))
    }
}

/// Where a person's training for a portal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrainingState {
    /// Recorded and valid for more than [`RENEW_DAYS_BEFORE`] days.
    Current,
    /// Recorded, lapsing within [`RENEW_DAYS_BEFORE`] days.
    Expiring,
    /// Recorded, but lapsed.
    Expired,
    /// Never recorded.
    Missing,
}

impl TrainingState {
    /// Where a training lapsing at `expires_at` (if recorded at all) stands at `now`.
    pub fn at(recorded: bool, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match (recorded, expires_at) {
            (false, _) => Self::Missing,
            (true, Some(at)) if at <= now => Self::Expired,
            (true, Some(at)) if at <= now + Duration::days(RENEW_DAYS_BEFORE) => Self::Expiring,
            (true, _) => Self::Current,
        }
    }

    /// Whether it lets the person have access: recorded and not lapsed.
    pub fn counts(self) -> bool {
        matches!(self, Self::Current | Self::Expiring)
    }
}

/// A training valid days setting: 1 to 1,095 days.
pub fn check_valid_days(days: u32) -> Result<(), String> {
    if (1..=1095).contains(&days) {
        Ok(())
    } else {
        Err("valid_days must be between 1 and 1095".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_counts_until_it_lapses() {
        let now: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        let rule = TrainingRule {
            required: true,
            valid_days: Some(365),
        };
        let done = now - Duration::days(300);
        let expires = rule.expires_at(done);
        assert_eq!(expires, Some(done + Duration::days(365)));
        assert_eq!(
            TrainingState::at(true, expires, now),
            TrainingState::Current
        );
        let late = now - Duration::days(340);
        let state = TrainingState::at(true, rule.expires_at(late), now);
        assert_eq!(state, TrainingState::Expiring);
        assert!(state.counts());
        let lapsed = TrainingState::at(true, rule.expires_at(now - Duration::days(366)), now);
        assert_eq!(lapsed, TrainingState::Expired);
        assert!(!lapsed.counts());
        assert!(!TrainingState::at(false, None, now).counts());
        assert_eq!(TrainingState::at(true, None, now), TrainingState::Current);
    }

    #[test]
    fn the_catalogue_requires_it_where_its_training_duty_says_before_access() {
        let noridian = crate::domain::catalog::Catalog::builtin()
            .unwrap()
            .portal("noridian-nmp")
            .cloned()
            .unwrap();
        // Yearly for every user, but the sources do not say it gates a new account.
        assert_eq!(
            TrainingRule::of_catalogue(&noridian),
            TrainingRule {
                required: false,
                valid_days: Some(365)
            }
        );
        let mut gated = noridian.clone();
        for duty in &mut gated.duties {
            duty.before_access = duty.kind == DutyKind::Training;
        }
        assert!(TrainingRule::of_catalogue(&gated).required);
    }

    #[test]
    fn the_practice_overrides_the_catalogue() {
        let catalogue = TrainingRule {
            required: true,
            valid_days: Some(365),
        };
        assert_eq!(
            catalogue.with_practice(Some(false), None),
            TrainingRule {
                required: false,
                valid_days: Some(365)
            }
        );
        assert_eq!(
            TrainingRule::default().with_practice(Some(true), Some(180)),
            TrainingRule {
                required: true,
                valid_days: Some(180)
            }
        );
        assert!(check_valid_days(0).is_err() && check_valid_days(365).is_ok());
    }
}
