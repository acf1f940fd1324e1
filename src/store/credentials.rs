//! What authentication needs to know about an API token (the token, its practice, the named
//! administrator behind it), cached in memory for a short time.
//!
//! Every request authenticates, and on SQLite each statement costs a round trip to the
//! driver's worker thread: without the cache a `userName eq` lookup is two statements, with it
//! one. Entries live for [`StoreOptions::credential_cache_ttl`](super::StoreOptions) (1 s by
//! default). Revoking a token or changing an administrator through this process clears the
//! cache at once; a change made by another process (the CLI, another instance) takes effect
//! within the TTL. Expiry is checked on every request against the cached `expires_at`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::admins::Admin;
use super::{Practice, Store, StoreError, StoredToken, TokenId};
use crate::domain::admin::AdminRole;

/// A token as authentication sees it.
#[derive(Debug, Clone)]
pub struct TokenCredential {
    pub token: StoredToken,
    pub practice: Practice,
    /// The named administrator the token belongs to and their role in its practice; `Err`
    /// when the token names an administrator who is inactive or has no role there any more.
    pub admin: Result<Option<(Admin, AdminRole)>, AdminGone>,
}

#[derive(Debug, Clone, Copy)]
pub struct AdminGone;

/// A bounded map with a generation counter: a load that raced with an invalidation is not
/// cached, so a revocation can never be undone by a slow request putting back what it read
/// before.
#[derive(Debug)]
pub(crate) struct CredentialCache {
    ttl: Duration,
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    generation: u64,
    map: HashMap<TokenId, (Instant, TokenCredential)>,
}

/// Enough for every token of a large deployment; past it the cache starts over rather than
/// growing (only tokens whose secret checked out are ever stored).
const MAX_ENTRIES: usize = 10_000;

impl CredentialCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Entries::default()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding this lock cannot leave the map inconsistent (every update is
        // a single insert or clear), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, id: TokenId) -> Result<TokenCredential, u64> {
        let entries = self.entries();
        match entries.map.get(&id) {
            Some((at, credential)) if at.elapsed() < self.ttl => Ok(credential.clone()),
            _ => Err(entries.generation),
        }
    }

    fn put(&self, generation: u64, credential: &TokenCredential) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries();
        if entries.generation != generation {
            return;
        }
        if entries.map.len() >= MAX_ENTRIES {
            entries.map.clear();
        }
        entries
            .map
            .insert(credential.token.id, (Instant::now(), credential.clone()));
    }

    fn note_used(&self, id: TokenId, at: DateTime<Utc>) {
        if let Some((_, credential)) = self.entries().map.get_mut(&id) {
            credential.token.last_used_at = Some(at);
        }
    }

    pub fn clear(&self) {
        let mut entries = self.entries();
        entries.generation += 1;
        entries.map.clear();
    }
}

impl Store {
    /// Authentication: the token with this id, its practice and administrator, from the cache
    /// when fresh. The caller checks the secret, revocation and expiry on every request.
    pub async fn token_credential(
        &self,
        id: TokenId,
    ) -> Result<Option<TokenCredential>, StoreError> {
        let generation = match self.credentials.get(id) {
            Ok(credential) => return Ok(Some(credential)),
            Err(generation) => generation,
        };
        let Some((token, practice)) = self.token_for_authentication(id).await? else {
            return Ok(None);
        };
        let admin = match token.admin_id {
            Some(admin) => match self.admin_role(admin, practice.id).await? {
                Some(found) => Ok(Some(found)),
                None => Err(AdminGone),
            },
            None => Ok(None),
        };
        let credential = TokenCredential {
            token,
            practice,
            admin,
        };
        self.credentials.put(generation, &credential);
        Ok(Some(credential))
    }

    /// Records that a token was used, at most once per minute (see `note_token_used`), and
    /// keeps the cached copy in step so the next request does not write again.
    pub async fn note_credential_used(
        &self,
        token: &StoredToken,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if self.note_token_used(token, now).await? {
            self.credentials.note_used(token.id, now);
        }
        Ok(())
    }

    /// Forgets every cached credential: called after any change to tokens or administrators.
    pub(crate) fn forget_credentials(&self) {
        self.credentials.clear();
    }
}
