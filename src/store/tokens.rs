//! API tokens. Issuing and listing are per practice; revoking by id and the authentication
//! lookup are deployment-wide (the id is globally unique and the practice is not yet known).

use chrono::{DateTime, Duration, Utc};
use entities::{api_token, practice};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::audit::Entry;
use super::{Practice, PracticeId, Store, StoreError, TenantStore};
use crate::domain::actor::Actor;
use crate::domain::scope::Scopes;
use crate::domain::token;

pub type TokenId = Uuid;

/// How often `last_used_at` is written at most: a write per request would turn every read into
/// a write.
const LAST_USED_GRANULARITY: Duration = Duration::seconds(60);

#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub scopes: Scopes,
    pub expires_at: Option<DateTime<Utc>>,
    /// The named administrator it belongs to (their role then decides what it may do).
    pub admin: Option<Uuid>,
}

/// A token as stored: everything but the secret.
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub id: TokenId,
    pub practice_id: PracticeId,
    pub name: String,
    pub scopes: Scopes,
    pub secret_sha256: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub admin_id: Option<Uuid>,
}

impl StoredToken {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    fn last_use_is_stale(&self, now: DateTime<Utc>) -> bool {
        self.last_used_at
            .is_none_or(|at| now - at >= LAST_USED_GRANULARITY)
    }
}

/// A token just issued: the stored row and the text, which is never available again.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: StoredToken,
    pub text: String,
}

impl TryFrom<api_token::Model> for StoredToken {
    type Error = StoreError;
    fn try_from(m: api_token::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: m.id,
            practice_id: PracticeId(m.practice_id),
            name: m.name,
            scopes: Scopes::parse(&m.scopes).map_err(|_| StoreError::Corrupt("api token"))?,
            secret_sha256: m.secret_sha256,
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
            admin_id: m.admin_id,
        })
    }
}

impl TenantStore<'_> {
    pub async fn issue_token(
        &self,
        new: NewToken,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, StoreError> {
        let generated = token::generate();
        let model = api_token::ActiveModel {
            id: Set(generated.id),
            practice_id: Set(self.practice.0),
            name: Set(new.name),
            scopes: Set(new.scopes.to_text()),
            secret_sha256: Set(generated.secret_sha256.to_vec()),
            created_at: Set(now),
            last_used_at: Set(None),
            expires_at: Set(new.expires_at),
            revoked_at: Set(None),
            admin_id: Set(new.admin),
        };
        let stored = api_token::Entity::insert(model)
            .exec_with_returning(self.db)
            .await?;
        Ok(IssuedToken {
            token: stored.try_into()?,
            text: generated.text,
        })
    }

    /// A token for the practice's identity provider or HR system (scope `scim`, no named
    /// administrator behind it), made in the console, audited under who made it. The text is
    /// returned once.
    pub async fn issue_idp_token(
        &self,
        name: &str,
        actor: &Actor,
    ) -> Result<IssuedToken, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Refused(
                "a token's name is 1 to 100 characters, e.g. okta or entra".into(),
            ));
        }
        let scopes = Scopes::parse("scim").map_err(|_| StoreError::Corrupt("scope"))?;
        let tx = self.begin_write().await?;
        let generated = token::generate();
        api_token::Entity::insert(api_token::ActiveModel {
            id: Set(generated.id),
            practice_id: Set(self.practice.0),
            name: Set(name.to_owned()),
            scopes: Set(scopes.to_text()),
            secret_sha256: Set(generated.secret_sha256.to_vec()),
            created_at: Set(actor.at),
            last_used_at: Set(None),
            expires_at: Set(None),
            revoked_at: Set(None),
            admin_id: Set(None),
        })
        .exec_without_returning(&tx.tx)
        .await?;
        let entry = Entry {
            action: "token.created".to_owned(),
            target: format!("token {}", generated.id),
            detail: Some(serde_json::json!({"name": name, "scopes": scopes.to_text()})),
        };
        self.append_audit(&tx, actor, vec![entry]).await?;
        tx.commit().await?;
        Ok(IssuedToken {
            token: self.token(generated.id).await?,
            text: generated.text,
        })
    }

    /// Every token of the practice, revoked ones included (they are part of the record).
    pub async fn list_tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        api_token::Entity::find()
            .filter(api_token::Column::PracticeId.eq(self.practice.0))
            .order_by_asc(api_token::Column::CreatedAt)
            .order_by_asc(api_token::Column::Id)
            .all(self.db)
            .await?
            .into_iter()
            .map(StoredToken::try_from)
            .collect()
    }

    /// One of the practice's tokens; another practice's is not found.
    pub async fn token(&self, id: TokenId) -> Result<StoredToken, StoreError> {
        api_token::Entity::find_by_id(id)
            .filter(api_token::Column::PracticeId.eq(self.practice.0))
            .one(self.db)
            .await?
            .ok_or(StoreError::NotFound("token"))?
            .try_into()
    }

    /// Revokes one of the practice's tokens, audited. This instance forgets its cached
    /// credentials at once; other instances within `auth_cache_ttl`. Revoking twice keeps the
    /// first time and records nothing new.
    pub async fn revoke_token(
        &self,
        id: TokenId,
        actor: &Actor,
    ) -> Result<StoredToken, StoreError> {
        let tx = self.begin_write().await?;
        let revoked = api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, actor.at.into())
            .filter(api_token::Column::Id.eq(id))
            .filter(api_token::Column::PracticeId.eq(self.practice.0))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(&tx.tx)
            .await?;
        if revoked.rows_affected == 1 {
            let entry = Entry {
                action: "token.revoke".to_owned(),
                target: format!("token {id}"),
                detail: None,
            };
            self.append_audit(&tx, actor, vec![entry]).await?;
        }
        tx.commit().await?;
        self.store.forget_credentials();
        self.token(id).await
    }
}

impl Store {
    /// Authentication: the token with this id and its practice, whatever the practice (read
    /// through [`Store::token_credential`], which caches it).
    pub(super) async fn token_for_authentication(
        &self,
        id: TokenId,
    ) -> Result<Option<(StoredToken, Practice)>, StoreError> {
        let found = api_token::Entity::find_by_id(id)
            .find_also_related(practice::Entity)
            .one(self.connection())
            .await?;
        match found {
            Some((token, Some(practice))) => Ok(Some((token.try_into()?, practice.try_into()?))),
            Some((_, None)) => Err(StoreError::Corrupt("api token")),
            None => Ok(None),
        }
    }

    /// Records that a token was used, at most once per [`LAST_USED_GRANULARITY`]; says
    /// whether it wrote.
    pub(super) async fn note_token_used(
        &self,
        token: &StoredToken,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        if !token.last_use_is_stale(now) {
            return Ok(false);
        }
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, now.into())
            .filter(api_token::Column::Id.eq(token.id))
            .exec(self.connection())
            .await?;
        Ok(true)
    }

    /// Operator: revokes a token by id. Revoking twice keeps the first time.
    pub async fn revoke_token(
        &self,
        id: TokenId,
        now: DateTime<Utc>,
    ) -> Result<StoredToken, StoreError> {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, now.into())
            .filter(api_token::Column::Id.eq(id))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(self.connection())
            .await?;
        self.forget_credentials();
        api_token::Entity::find_by_id(id)
            .one(self.connection())
            .await?
            .ok_or(StoreError::NotFound("token"))?
            .try_into()
    }
}
