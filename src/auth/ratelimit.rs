//! Per-credential rate limiting with governor. Over quota → 429 with an integer-seconds
//! `Retry-After` (Okta ignores HTTP-dates and then waits five minutes).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimitSettings;

#[derive(Debug)]
pub struct CredentialLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl CredentialLimiter {
    pub fn new(settings: &RateLimitSettings) -> Self {
        let per_second = NonZeroU32::new(settings.per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.burst.max(settings.per_second)).unwrap_or(per_second);
        Self {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` to proceed, or `Err(seconds)` to wait, rounded up and at least 1.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        match self.limiter.check_key(&key.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait: Duration = not_until.wait_time_from(self.clock.now());
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(seconds.max(1))
            }
        }
    }

    /// Drops buckets that are full again, so memory tracks active credentials only.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}
