//! Who did something, under which request, and when: the one type that goes from the
//! credential that authenticated a request (or the system, or the command line) to the change
//! record and the audit record it leaves.

use chrono::{DateTime, Utc};

/// Who did it. `name` is how records show them: a named administrator, a token, a JWT
/// subject, `system` or `cli`; never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    /// The request it happened in (`X-Request-Id`), if any.
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

impl Actor {
    /// The service itself (the sweeper, the delivery worker, housekeeping).
    pub fn system(at: DateTime<Utc>) -> Self {
        Self {
            name: "system".to_owned(),
            request_id: None,
            at,
        }
    }

    /// An operator at the command line.
    pub fn cli(at: DateTime<Utc>) -> Self {
        Self {
            name: "cli".to_owned(),
            request_id: None,
            at,
        }
    }
}
