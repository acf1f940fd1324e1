//! Administrator accounts near their portal's inactivity lockout: a portal list's import
//! keeps each administrator account's last sign-in; a week before the portal would lock it
//! (its catalogue inactivity rule), the sweeper raises `practice_portal.admin_lockout_soon`,
//! once per account and lockout date (the same outbox key the import's commit uses, so a list
//! committed inside that week does not alert twice).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::domain::actor::Actor;
use crate::engine::imports::lockout_event;
use crate::store::{Practice, StoreError, TenantStore};

/// How long before the lockout the alert goes.
const WARN_BEFORE_DAYS: i64 = 7;

/// Raises the alert for every administrator account inside its last week. Returns how many
/// it recorded (a repeat is not one).
pub(super) async fn alert_lockouts(
    store: &TenantStore<'_>,
    practice: &Practice,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let watched = store.watched_logins().await?;
    if watched.is_empty() {
        return Ok(0);
    }
    let portals = store.practice_portals().await?;
    let due: Vec<_> = watched
        .into_iter()
        .filter_map(|login| {
            let portal = &portals.get(&login.portal)?.portal;
            let days = portal.lifecycle.dormant_after_days()?;
            let admin = portal
                .roles
                .iter()
                .any(|r| r.is_admin && login.roles.contains(&r.slug));
            let lockout = login.last_login + Duration::days(i64::from(days));
            (admin && now >= lockout - Duration::days(WARN_BEFORE_DAYS) && now < lockout)
                .then(|| (portal.clone(), login, lockout))
        })
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    let names = store
        .display_names(&due.iter().map(|(_, l, _)| l.person).collect::<Vec<_>>())
        .await?;
    let actor = Actor::system(now);
    let tx = store.begin_write().await?;
    let mut recorded = 0;
    for (portal, login, lockout) in &due {
        let detail = format!(
            "an administrator account last signed in {}: the portal locks it on {} unless it signs in",
            login.last_login.format("%Y-%m-%d"),
            lockout.format("%Y-%m-%d")
        );
        let event = lockout_event(
            practice,
            portal,
            &login.username,
            names.get(&login.person).map(String::as_str),
            *lockout,
            &detail,
        );
        let audit = json!({"username": login.username, "lockout_at": lockout});
        if store
            .notify(&tx, event, &portal.slug, audit, &actor)
            .await?
        {
            recorded += 1;
        }
    }
    tx.commit().await?;
    Ok(recorded)
}
