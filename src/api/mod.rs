//! The admin JSON API under `/api/v1`. Errors are RFC 9457 problem+json (rendered by
//! `http::errors`); every route is documented with utoipa and mounted in [`routes`]. The route
//! files import nothing from one another: what several of them share (the task view) lives here.

/// Every list the API answers has one shape: `{"items": [...], "next_cursor": ...}`, so a
/// client pages any of them with one loop. `next_cursor` is the `cursor` parameter of the next
/// page, and `null` on the last one (always, for lists that come whole). This declares a
/// list type for an item type, with a constructor for a whole list.
macro_rules! list_of {
    ($(#[$meta:meta])* $name:ident, $item:ty) => {
        $(#[$meta])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; `null` on the last page.
            pub next_cursor: Option<String>,
        }

        #[allow(dead_code)] // Paged lists build themselves with a cursor.
        impl $name {
            /// A list that comes whole: no next page.
            pub fn whole(items: Vec<$item>) -> Self {
                Self { items, next_cursor: None }
            }
        }
    };
}

mod admins;
mod audit;
mod duties;
mod email;
mod escalation;
mod evidence;
mod imports;
mod me;
mod people;
mod policy;
mod portals;
mod queue;
mod reports;
mod review_schedule;
mod reviews;
mod rosters;
mod task_actions;
mod tasks;
mod tokens;
mod training;
mod upload;
mod webhooks;
mod whoami;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::store::portals::PracticePortal;
use crate::store::tasks::TaskRecord;

/// Mounts every admin API route. Mounting goes through utoipa-actix-web, so a handler without
/// an OpenAPI description does not compile here.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(whoami::whoami)
        .service(admins::list)
        .service(tasks::list_tasks)
        .service(tasks::get_task)
        .service(portals::catalog)
        .service(portals::list)
        .service(portals::add)
        .service(portals::get_one)
        .service(portals::update)
        .service(policy::current)
        .service(policy::history)
        .service(policy::replace)
        .service(policy::preview)
        .service(policy::get_sla)
        .service(policy::put_sla)
        .service(people::record_account)
        .service(people::access)
        .service(task_actions::claim)
        .service(task_actions::unclaim)
        .service(task_actions::complete)
        .service(task_actions::verify)
        .service(task_actions::fail)
        .service(task_actions::reopen)
        .service(task_actions::cancel)
        .service(task_actions::reassign)
        .service(audit::list)
        .service(audit::verify)
        .service(audit::export)
        .service(queue::queue)
        .service(queue::summary)
        .service(reports::leavers)
        .service(reports::access)
        .service(me::create_token)
        .service(tokens::list)
        .service(tokens::revoke)
        .service(policy::get_verification)
        .service(policy::put_verification)
        .service(task_actions::bulk)
        .service(evidence::upload)
        .service(evidence::list)
        .service(evidence::download)
        .service(escalation::current)
        .service(escalation::history)
        .service(escalation::replace)
        .service(webhooks::list)
        .service(webhooks::create)
        .service(webhooks::get_one)
        .service(webhooks::update)
        .service(webhooks::remove)
        .service(webhooks::test)
        .service(webhooks::deliveries)
        .service(email::current)
        .service(email::replace)
        .service(email::remove)
        .service(email::test)
        .service(duties::list)
        .service(duties::change)
        .service(training::list)
        .service(training::record)
        .service(training::set_rule)
        .service(imports::preview)
        .service(imports::list)
        .service(imports::show)
        .service(imports::commit)
        .service(imports::link)
        .service(imports::mark_service)
        .service(imports::service_accounts)
        .service(rosters::preview)
        .service(rosters::list)
        .service(rosters::show)
        .service(rosters::commit)
        .service(review_schedule::show)
        .service(review_schedule::replace)
        .service(reviews::open)
        .service(reviews::list)
        .service(reviews::show)
        .service(reviews::list_items)
        .service(reviews::decide)
        .service(reviews::decide_many)
        .service(reviews::delegate)
        .service(reviews::close)
        .service(reviews::report);
}

// A task as every route that returns tasks shows it (tasks, task actions, the queue, a
// person's access); it lives here so those files need not import one another.
#[derive(Debug, Serialize, ToSchema)]
pub struct Task {
    pub id: Uuid,
    /// provision, modify, deprovision, transfer_admin, notify_third_party, recertify, training.
    pub kind: String,
    /// open, claimed, done, verified, failed, cancelled.
    pub state: String,
    /// The person's SCIM id; null for work on a portal as a whole (`recertify`).
    pub person_id: Option<Uuid>,
    pub person_display: String,
    /// Portal slug; absent for work outside a portal (notify_third_party).
    pub portal: Option<String>,
    pub portal_name: Option<String>,
    pub portal_url: Option<String>,
    pub roles_add: Vec<String>,
    pub roles_remove: Vec<String>,
    /// What to do, where, in plain words.
    pub action: String,
    pub due_at: DateTime<Utc>,
    /// Past due and not finished (derived, never stored).
    pub overdue: bool,
    /// joiner, mover, leaver, rehire, policy, account_record, review, duty, training, import.
    pub cause: String,
    /// For a `recertify` task: the portal duty it meets (see
    /// `/api/v1/practice-portals/{portal}/duties`).
    pub duty: Option<String>,
    pub event_id: Uuid,
    pub policy_version: Option<i32>,
    /// A task that must be done first (a deprovision waits for its transfer_admin).
    pub blocked_by: Option<Uuid>,
    /// `training`: a provision waiting for the person's training for the portal (see
    /// `/api/v1/people/{id}/training`); it cannot be completed until that is recorded.
    pub waiting_for: Option<String>,
    /// The portal account (username) a task on no known person is about: an unmatched
    /// account's removal or a shared login's replacement, from a portal list import.
    pub portal_username: Option<String>,
    pub assignee: Option<String>,
    /// Who claimed it (the named administrator or credential), and when.
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    /// Who said it was done, and when.
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    /// Who confirmed it, and when.
    pub verified_by: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    /// The proof recorded on completion: note, confirmation number, portal username.
    #[schema(value_type = Option<Object>)]
    pub evidence: Option<serde_json::Value>,
    /// How it ended (`completed`), separate from its state.
    pub outcome: Option<String>,
    /// Why it was cancelled or failed.
    pub reason: Option<String>,
    /// Escalation steps taken: 0 none, 1 the overdue alert, 2… each further contact.
    pub escalation_level: i32,
    /// Reminders sent before the deadline.
    pub reminders_sent: i32,
    /// When the sweeper next looks at the task (absent once its ladder is finished).
    pub next_alert_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The view of a stored task: its portal's name and URL, and whether it is overdue at `now`.
pub fn task_view(
    record: TaskRecord,
    portals: &BTreeMap<String, PracticePortal>,
    now: DateTime<Utc>,
) -> Task {
    let portal = record.portal.as_ref().and_then(|p| portals.get(p));
    Task {
        overdue: record.is_overdue(now),
        portal_name: portal.map(|p| p.portal.name.clone()),
        portal_url: portal.map(|p| p.portal.url.clone()),
        id: record.id,
        kind: record.kind.to_string(),
        state: record.state.to_string(),
        person_id: record.person_id,
        person_display: record.person_display,
        portal: record.portal,
        roles_add: record.roles_add.0,
        roles_remove: record.roles_remove.0,
        action: record.action,
        due_at: record.due_at,
        cause: record.cause.to_string(),
        duty: record.duty_key,
        event_id: record.event_id,
        policy_version: record.policy_version,
        blocked_by: record.blocked_by,
        waiting_for: record.waiting_for,
        portal_username: record.portal_username,
        assignee: record.assignee,
        claimed_by: record.claimed_by,
        claimed_at: record.claimed_at,
        done_by: record.done_by,
        done_at: record.done_at,
        verified_by: record.verified_by,
        verified_at: record.verified_at,
        evidence: record.evidence,
        outcome: record.outcome.map(|o| o.to_string()),
        reason: record.reason,
        escalation_level: record.escalation_level,
        reminders_sent: record.reminders_sent,
        next_alert_at: record.next_alert_at,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    }
}
