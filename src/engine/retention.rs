//! Retention: prune what is old enough to go, practice by practice, in batches, so the write
//! lock is never held for long and a large backlog drains over a few passes.

use chrono::{DateTime, Duration, Utc};

use crate::domain::actor::Actor;
use crate::store::retention::{PruneCutoffs, Pruned};
use crate::store::{Store, StoreError};

/// Rows of each kind one transaction deletes at most.
const BATCH: u64 = 500;

/// Batches one practice gets per pass: the rest waits for the next pass, so one practice's
/// backlog cannot hold up the others' housekeeping.
const BATCHES_PER_PASS: u32 = 20;

/// How long things are kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Finished deliveries, their attempts and spent outbox events.
    pub deliveries: Duration,
    /// A console session unused this long has idled out.
    pub session_idle: Duration,
}

/// One pass over every practice; what it pruned in all. A practice that fails is logged and
/// retried next pass.
pub async fn prune(
    store: &Store,
    now: DateTime<Utc>,
    retention: Retention,
) -> Result<Pruned, StoreError> {
    let cutoffs = PruneCutoffs {
        now,
        deliveries_before: now - retention.deliveries,
        idle_before: now - retention.session_idle,
    };
    let actor = Actor::system(now);
    let mut total = Pruned::default();
    for practice in store.list_practices().await? {
        let tenant = store.tenant(practice.id);
        for _ in 0..BATCHES_PER_PASS {
            match tenant.prune_batch(cutoffs, BATCH, &actor).await {
                Ok(pruned) if pruned.is_empty() => break,
                Ok(pruned) => {
                    total += pruned;
                    if pruned.deliveries < BATCH && pruned.events < BATCH {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(practice = %practice.slug.as_str(), error = %err, "pruning failed");
                    break;
                }
            }
        }
    }
    Ok(total)
}
