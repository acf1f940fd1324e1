//! The reports auditors and managers read, built once for every way they are shown (the admin
//! API's JSON and CSV, the console's pages and downloads): the leaver report with each
//! removal's SLA verdict, current access, and how fast leavers lose access.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Utc};
use uuid::Uuid;

use crate::domain::task::{DeadlineVerdict, TaskKind, TaskState};
use crate::store::{StoreError, TenantStore};

/// One leaver and portal: when the signal came, when the work was due, done and verified.
#[derive(Debug, Clone)]
pub struct LeaverLine {
    pub person_id: Uuid,
    pub person_display: String,
    pub event_at: DateTime<Utc>,
    pub portal: Option<String>,
    pub task_id: Uuid,
    pub kind: TaskKind,
    pub state: TaskState,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<String>,
    /// Verified by its completer: possible only with four-eyes off.
    pub self_verified: bool,
    pub sla: DeadlineVerdict,
    pub reason: Option<String>,
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.to_rfc3339()).unwrap_or_default()
}

impl LeaverLine {
    /// The CSV columns, in order.
    pub const CSV_HEADER: [&'static str; 15] = [
        "person_id",
        "person",
        "event_at",
        "portal",
        "task_id",
        "kind",
        "state",
        "due_at",
        "done_at",
        "done_by",
        "verified_at",
        "verified_by",
        "self_verified",
        "sla",
        "reason",
    ];

    pub fn csv_row(&self) -> Vec<String> {
        vec![
            self.person_id.to_string(),
            self.person_display.clone(),
            self.event_at.to_rfc3339(),
            self.portal.clone().unwrap_or_default(),
            self.task_id.to_string(),
            self.kind.to_string(),
            self.state.to_string(),
            self.due_at.to_rfc3339(),
            time(self.done_at),
            self.done_by.clone().unwrap_or_default(),
            time(self.verified_at),
            self.verified_by.clone().unwrap_or_default(),
            self.self_verified.to_string(),
            self.sla.to_string(),
            self.reason.clone().unwrap_or_default(),
        ]
    }
}

impl AccessLine {
    pub const CSV_HEADER: [&'static str; 9] = [
        "person_id",
        "person",
        "portal",
        "username",
        "roles",
        "updated_at",
        "training_required",
        "training_completed_at",
        "training_expires_at",
    ];

    pub fn csv_row(&self) -> Vec<String> {
        vec![
            self.person_id.to_string(),
            self.person_display.clone(),
            self.portal.clone(),
            self.username.clone().unwrap_or_default(),
            self.roles.join(" "),
            self.updated_at.to_rfc3339(),
            self.training_required.to_string(),
            self.training_completed_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            self.training_expires_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        ]
    }
}

/// Who holds what in which portal now.
#[derive(Debug, Clone)]
pub struct AccessLine {
    pub person_id: Uuid,
    pub person_display: String,
    pub portal: String,
    pub username: Option<String>,
    pub roles: Vec<String>,
    pub updated_at: DateTime<Utc>,
    /// The portal requires training before access.
    pub training_required: bool,
    /// The person's training for the portal, when recorded, and when it lapses.
    pub training_completed_at: Option<DateTime<Utc>>,
    pub training_expires_at: Option<DateTime<Utc>>,
}

async fn names(
    store: &TenantStore<'_>,
    people: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, StoreError> {
    let mut ids: Vec<Uuid> = people.collect();
    ids.sort_unstable();
    ids.dedup();
    store.display_names(&ids).await
}

/// Leaver events in `[from, to)` with the tasks they caused, oldest first, judged at `now`.
pub async fn leaver_lines(
    store: &TenantStore<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<LeaverLine>, StoreError> {
    let rows = store.leaver_rows(from, to).await?;
    let names = names(store, rows.iter().map(|r| r.person_id)).await?;
    Ok(rows
        .into_iter()
        .map(|r| LeaverLine {
            sla: DeadlineVerdict::of(r.state, r.due_at, r.done_at, now),
            person_display: names.get(&r.person_id).cloned().unwrap_or_default(),
            person_id: r.person_id,
            event_at: r.event_at,
            portal: r.portal,
            task_id: r.task_id,
            kind: r.kind,
            state: r.state,
            due_at: r.due_at,
            self_verified: r.verified_by.is_some() && r.verified_by == r.done_by,
            done_at: r.done_at,
            done_by: r.done_by,
            verified_at: r.verified_at,
            verified_by: r.verified_by,
            reason: r.reason,
        })
        .collect())
}

/// Active recorded accounts, by person and portal.
pub async fn access_lines(store: &TenantStore<'_>) -> Result<Vec<AccessLine>, StoreError> {
    let rows = store.access_rows().await?;
    let names = names(store, rows.iter().map(|r| r.person_id)).await?;
    let portals = store.practice_portals().await?;
    let training = store.training_records().await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let trained = training.get(&(r.person_id, r.portal.clone()));
            AccessLine {
                training_required: portals.get(&r.portal).is_some_and(|p| p.training.required),
                training_completed_at: trained.map(|t| t.completed_at),
                training_expires_at: trained.and_then(|t| t.expires_at),
                person_display: names.get(&r.person_id).cloned().unwrap_or_default(),
                person_id: r.person_id,
                portal: r.portal,
                username: r.username,
                roles: r.roles,
                updated_at: r.updated_at,
            }
        })
        .collect())
}

/// How fast leavers lost their access: over the removals done in a period.
#[derive(Debug, Clone, PartialEq)]
pub struct RemovalStats {
    /// Removals done (deprovision and admin transfers), and the median and 90th percentile
    /// time from the leaver signal to done, in hours.
    pub done: usize,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    /// Removals judged (done, or late while open), and the share of them within their SLA.
    pub judged: usize,
    pub within_sla: Option<f64>,
    /// Per calendar month (`2026-11`), the median hours to remove, oldest first.
    pub median_hours_by_month: Vec<(String, f64)>,
}

fn is_removal(kind: TaskKind) -> bool {
    matches!(kind, TaskKind::Deprovision | TaskKind::TransferAdmin)
}

/// The `q` quantile (0 to 1) of sorted values, nearest rank.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// The removal figures of `lines`, with months in `tz`.
pub fn removal_stats(lines: &[LeaverLine], tz: chrono_tz::Tz) -> RemovalStats {
    let removals: Vec<&LeaverLine> = lines.iter().filter(|l| is_removal(l.kind)).collect();
    let hours = |l: &LeaverLine| {
        l.done_at
            .map(|done| (done - l.event_at).num_seconds().max(0) as f64 / 3600.0)
    };
    let mut all: Vec<f64> = removals.iter().filter_map(|l| hours(l)).collect();
    all.sort_by(f64::total_cmp);
    let judged: Vec<&&LeaverLine> = removals
        .iter()
        .filter(|l| matches!(l.sla, DeadlineVerdict::Met | DeadlineVerdict::Missed))
        .collect();
    let met = judged
        .iter()
        .filter(|l| l.sla == DeadlineVerdict::Met)
        .count();
    let mut months: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for l in &removals {
        if let Some(h) = hours(l) {
            let at = l.event_at.with_timezone(&tz);
            months
                .entry(format!("{:04}-{:02}", at.year(), at.month()))
                .or_default()
                .push(h);
        }
    }
    RemovalStats {
        done: all.len(),
        median_hours: quantile(&all, 0.5),
        p90_hours: quantile(&all, 0.9),
        judged: judged.len(),
        within_sla: (!judged.is_empty()).then(|| met as f64 / judged.len() as f64),
        median_hours_by_month: months
            .into_iter()
            .filter_map(|(month, mut hours)| {
                hours.sort_by(f64::total_cmp);
                quantile(&hours, 0.5).map(|m| (month, m))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(quantile(&v, 0.5), Some(5.0));
        assert_eq!(quantile(&v, 0.9), Some(9.0));
        assert_eq!(quantile(&[4.0], 0.9), Some(4.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
