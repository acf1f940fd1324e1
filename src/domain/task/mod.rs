//! The vocabulary of tasks (DESIGN.md "Tasks"): their states, kinds and causes, and the state
//! machine administrators move them through. Every spelling of these words in the database and
//! on the wire comes from here; the store binds these enums directly (`store::vocabulary`).
//!
//! ```text
//! open ──claim──▶ claimed ──complete──▶ done ──verify──▶ verified
//!   ▲  ◀─unclaim──    │                        (open may complete directly)
//!   │                 ├──fail──▶ failed ──reopen──▶ open
//!   └─────────────────┴──cancel─▶ cancelled
//! ```

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

/// Declares a closed set of words: the enum, its stored spelling, parsing, and `ALL`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling stored in the database and shown on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value spelled `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| {
                    let known: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    serde::de::Error::custom(format!(
                        "unknown {} `{text}`; expected one of: {}",
                        stringify!($name),
                        known.join(", ")
                    ))
                })
            }
        }
    };
}
pub(crate) use vocabulary;

/// The portal role slugs a task adds or removes, in the order planned.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct RoleList(pub Vec<String>);

/// Proof that the work was done in the portal.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
    /// The portal's confirmation or ticket number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub confirmation_number: Option<String>,
    /// The portal username acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 256)]
    pub portal_username: Option<String>,
}

/// An evidence file's type by its first bytes, never by what the client claims: a PDF, PNG
/// or JPEG, else `None`.
pub fn evidence_file_type(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// An uploaded file's name as kept: no control characters, slashes or quotes (it goes into a
/// `Content-Disposition` header on download), at most 200 characters.
pub fn evidence_filename(sent: Option<&str>) -> String {
    let kept: String = sent
        .unwrap_or("evidence")
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\' && *c != '"')
        .take(200)
        .collect();
    if kept.trim().is_empty() {
        "evidence".to_owned()
    } else {
        kept
    }
}

impl Evidence {
    /// The field over its size limit (stated in the schema), if any, and the limit.
    pub fn oversized(&self) -> Option<(&'static str, usize)> {
        let fields = [
            ("note", &self.note, 4000),
            ("confirmation_number", &self.confirmation_number, 200),
            ("portal_username", &self.portal_username, 256),
        ];
        fields
            .into_iter()
            .find(|(_, value, max)| value.as_deref().is_some_and(|v| v.chars().count() > *max))
            .map(|(name, _, max)| (name, max))
    }

    /// Whether it says what was done: a note or a confirmation number (the portal username
    /// alone names the account, not the work).
    pub fn has_proof(&self) -> bool {
        let given = |text: &Option<String>| text.as_deref().is_some_and(|t| !t.trim().is_empty());
        given(&self.note) || given(&self.confirmation_number)
    }
}

vocabulary! {
    /// Where a task stands. Overdue is not a state: it is derived from `due_at`.
    TaskState {
        Open => "open",
        /// An administrator has taken it and may be half-way through it.
        Claimed => "claimed",
        /// The administrator says it is done.
        Done => "done",
        /// Evidence or a second person confirmed it.
        Verified => "verified",
        /// Could not be done; reopened after a pause.
        Failed => "failed",
        /// Superseded or withdrawn, with a reason.
        Cancelled => "cancelled",
    }
}

impl TaskState {
    /// States in which someone still has to act.
    pub const OPEN: [TaskState; 2] = [TaskState::Open, TaskState::Claimed];
    /// States the planner counts as pending work: a failed task still needs doing (it is
    /// reopened or superseded), so it is cancelled like an open one when a change makes it moot.
    pub const PENDING: [TaskState; 3] = [TaskState::Open, TaskState::Claimed, TaskState::Failed];
    /// States that no longer block a task that waits for this one.
    pub const SETTLED: [TaskState; 3] =
        [TaskState::Done, TaskState::Verified, TaskState::Cancelled];

    /// Someone still has to act: the task can be overdue.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

vocabulary! {
    /// One unit of manual work in one portal.
    TaskKind {
        Provision => "provision",
        Modify => "modify",
        Deprovision => "deprovision",
        TransferAdmin => "transfer_admin",
        NotifyThirdParty => "notify_third_party",
        /// Meet one of a portal's standing duties (recertify its users or administrators,
        /// see to its training): work on the portal as a whole, for no one person.
        Recertify => "recertify",
        /// Have the person renew a portal's training before it lapses.
        Training => "training",
        /// Replace a shared or generic portal login with personal accounts (a portal's user
        /// list showed it): work on the portal, for no one person.
        ReplaceSharedLogin => "replace_shared_login",
    }
}

impl TaskKind {
    /// Kinds that take access away: their overdue alerts never wait for quiet hours.
    pub fn revokes(self) -> bool {
        matches!(
            self,
            TaskKind::Deprovision | TaskKind::TransferAdmin | TaskKind::NotifyThirdParty
        )
    }
}

vocabulary! {
    /// What happened to the person, as told by the directory change (or around them). A task's
    /// cause is the event it was planned for.
    EventKind {
        Joiner => "joiner",
        Mover => "mover",
        Leaver => "leaver",
        Rehire => "rehire",
        /// The access policy changed.
        Policy => "policy",
        /// An administrator recorded an account that existed before Portcullis.
        AccountRecord => "account_record",
        /// An access review decided to take access away (or to give back what it took).
        Review => "review",
        /// A portal duty's window opened (no person: the task is the portal's).
        Duty => "duty",
        /// The person's training for a portal is about to lapse.
        Training => "training",
        /// A portal's user list, imported, showed what the records did not.
        Import => "import",
    }
}

/// Why a task exists: the lifecycle event it was planned for.
pub type Cause = EventKind;

impl EventKind {
    /// Classifies a change from the person's state before (`None`: new) and after.
    pub fn classify(before: Option<bool>, after_active: bool, deleted: bool) -> Option<Self> {
        match (before, after_active && !deleted) {
            (None, true) => Some(EventKind::Joiner),
            (None, false) => None,
            (Some(true), false) => Some(EventKind::Leaver),
            (Some(false), true) => Some(EventKind::Rehire),
            (Some(true), true) => Some(EventKind::Mover),
            // Changes to someone who is gone: nothing to grant; still reconcile leftovers.
            (Some(false), false) => Some(EventKind::Leaver),
        }
    }
}

vocabulary! {
    /// How a finished task ended, separate from its state (DESIGN.md "Tasks").
    Outcome {
        Completed => "completed",
    }
}

vocabulary! {
    /// Whether a recorded portal account still grants access.
    AccountStatus {
        Active => "active",
        Revoked => "revoked",
        /// The portal's user list no longer showed it (the import is the evidence).
        Gone => "gone",
    }
}

vocabulary! {
    /// What an administrator can do to a task; see [`Move::of`] for where each leads.
    ActionName {
        Claim => "claim",
        Unclaim => "unclaim",
        Complete => "complete",
        Verify => "verify",
        Fail => "fail",
        Reopen => "reopen",
        Cancel => "cancel",
        Reassign => "reassign",
    }
}

/// What an action does to a task's state: the states it applies to, and the one it leads to
/// (`None`: the state stays, as for a reassignment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub from: &'static [TaskState],
    pub to: Option<TaskState>,
}

impl Move {
    /// The state machine of DESIGN.md "Tasks" (drawn at the top of this file).
    pub fn of(action: ActionName) -> Move {
        use TaskState::{Cancelled, Claimed, Done, Failed, Open, Verified};
        let (from, to): (&'static [TaskState], _) = match action {
            ActionName::Claim => (&[Open], Some(Claimed)),
            ActionName::Unclaim => (&[Claimed], Some(Open)),
            ActionName::Complete => (&[Open, Claimed], Some(Done)),
            ActionName::Verify => (&[Done], Some(Verified)),
            ActionName::Fail => (&[Open, Claimed], Some(Failed)),
            ActionName::Reopen => (&[Failed], Some(Open)),
            ActionName::Cancel => (&[Open, Claimed, Failed], Some(Cancelled)),
            ActionName::Reassign => (&[Open, Claimed], None),
        };
        Move { from, to }
    }
}

/// The state a task in `state` is in after `action`, or `Err` with the state when the action
/// does not apply to it.
pub fn transition(state: TaskState, action: ActionName) -> Result<TaskState, TaskState> {
    let step = Move::of(action);
    if step.from.contains(&state) {
        Ok(step.to.unwrap_or(state))
    } else {
        Err(state)
    }
}

vocabulary! {
    /// Whether a task met its deadline, as reports say it.
    DeadlineVerdict {
        Met => "met",
        Missed => "missed",
        /// Not done yet, and not yet late.
        Pending => "pending",
        /// Cancelled: no deadline applies any more.
        Cancelled => "cancelled",
    }
}

impl DeadlineVerdict {
    /// A task in `state`, due at `due_at` and done at `done_at`, as seen at `now`.
    pub fn of(
        state: TaskState,
        due_at: DateTime<Utc>,
        done_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        match (state, done_at) {
            (TaskState::Cancelled, _) => Self::Cancelled,
            (_, Some(done)) if done <= due_at => Self::Met,
            (_, Some(_)) => Self::Missed,
            (_, None) if now > due_at => Self::Missed,
            _ => Self::Pending,
        }
    }
}

/// What a completed task leaves of the person's account in its portal: the roles it then
/// holds and whether it still grants access. `None`: the task does not touch the account
/// (a third party was told; nothing in a portal changed).
pub fn account_after_completion(
    kind: TaskKind,
    held: &BTreeSet<String>,
    add: &BTreeSet<String>,
    remove: &BTreeSet<String>,
) -> Option<(BTreeSet<String>, AccountStatus)> {
    match kind {
        TaskKind::Deprovision => Some((BTreeSet::new(), AccountStatus::Revoked)),
        TaskKind::NotifyThirdParty
        | TaskKind::Recertify
        | TaskKind::Training
        | TaskKind::ReplaceSharedLogin => None,
        TaskKind::Provision | TaskKind::Modify | TaskKind::TransferAdmin => {
            let mut roles = held.clone();
            roles.extend(add.iter().cloned());
            roles.retain(|r| !remove.contains(r));
            Some((roles, AccountStatus::Active))
        }
    }
}

#[cfg(test)]
mod tests;
