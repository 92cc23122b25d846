//! Tokens and the principal behind a request.
//!
//! A token is a JWT (HS256) naming one app and one environment, with a key id in its header (so
//! signing keys rotate: several are accepted, one signs), an expiry and a token id (`jti`). The
//! token id is recorded in `api_token`, so tokens can be listed and revoked; a request is
//! authenticated only while its token's row exists, is unrevoked and unexpired.
//!
//! An **onboarding link** is such a token with one more claim, `cus`: the one customer it may act
//! for. It is minted by the app (`createOnboardingLink`), lives a day by default, and is handed to a
//! property manager, who may connect that customer's PMS, run data-access checks, enable, and see
//! that customer's integrations and sync jobs, and nothing else (see
//! [`crate::graphql::onboarding_link`]). The claim is signed, so it cannot be widened.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use pmsgraph_entity::api_token;

use crate::db::Db;
use crate::error::ApiError;
use crate::scope::Scope;
use crate::store::{self, StoreError};

const ISSUER: &str = "pmsgraph";

/// Sandbox and production data never mix: a token sees one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Environment {
    Sandbox,
    Production,
}

impl Environment {
    pub const fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "SANDBOX",
            Environment::Production => "PRODUCTION",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = String;

    /// Accepts the stored form and the lowercase CLI form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "SANDBOX" => Ok(Environment::Sandbox),
            "PRODUCTION" => Ok(Environment::Production),
            _ => Err(format!("`{s}` is not an environment (sandbox or production)")),
        }
    }
}

/// One signing key.
#[derive(Clone)]
pub struct TokenKey {
    pub kid: String,
    pub secret: Vec<u8>,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey").field("kid", &self.kid).field("secret", &"<redacted>").finish()
    }
}

impl FromStr for TokenKey {
    type Err = String;

    /// `kid:base64secret`, as in `PMSGRAPH_TOKEN_KEYS`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use base64::Engine;
        let (kid, secret) = s.split_once(':').ok_or("a token key is `kid:base64secret`")?;
        let secret = base64::engine::general_purpose::STANDARD
            .decode(secret.trim())
            .map_err(|e| format!("token key {kid}: {e}"))?;
        if secret.len() < 32 {
            return Err(format!("token key {kid}: the secret must be at least 32 bytes"));
        }
        Ok(TokenKey { kid: kid.trim().to_owned(), secret })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: Uuid,
    env: Environment,
    jti: Uuid,
    iat: i64,
    exp: i64,
    /// Onboarding links only: the one customer the token may act for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cus: Option<Uuid>,
}

/// Who is asking: an app, in one environment, with one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub app_id: Uuid,
    pub environment: Environment,
    pub token_id: Uuid,
    pub expires_at: DateTime<Utc>,
    /// An onboarding link's one customer; `None` for an app token.
    pub customer_id: Option<Uuid>,
}

impl Principal {
    /// Whether this is an onboarding link (a token for one customer).
    pub fn is_onboarding_link(&self) -> bool {
        self.customer_id.is_some()
    }
}

/// A freshly minted token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub token_id: Uuid,
    pub app_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no signing key is configured")]
    NoKeys,
    #[error("the active key id {0} is not among the configured keys")]
    UnknownActiveKey(String),
    #[error("signing failed: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Signs, verifies and records tokens.
#[derive(Clone)]
pub struct Tokens {
    active: (String, EncodingKey),
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    default_ttl: Duration,
}

impl Tokens {
    pub fn new(keys: &[TokenKey], active_kid: Option<&str>, default_ttl: Duration) -> Result<Tokens, TokenError> {
        let first = keys.first().ok_or(TokenError::NoKeys)?;
        let active_kid = active_kid.unwrap_or(&first.kid);
        let active = keys
            .iter()
            .find(|k| k.kid == active_kid)
            .ok_or_else(|| TokenError::UnknownActiveKey(active_kid.to_owned()))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 30;
        Ok(Tokens {
            active: (active.kid.clone(), EncodingKey::from_secret(&active.secret)),
            decoding: keys.iter().map(|k| (k.kid.clone(), DecodingKey::from_secret(&k.secret))).collect(),
            validation,
            default_ttl,
        })
    }

    /// Mints a token for an app (created if it does not exist yet) and records it.
    pub async fn issue(
        &self,
        db: &Db,
        app_name: &str,
        environment: Environment,
        ttl: Option<Duration>,
        label: Option<String>,
    ) -> Result<IssuedToken, TokenError> {
        let app = store::apps::find_or_create(db, app_name).await?;
        self.issue_for(db, app.id, environment, ttl.unwrap_or(self.default_ttl), label, None).await
    }

    /// Mints an onboarding link: a token of the app that acts for one customer only.
    pub async fn issue_onboarding_link(
        &self,
        db: &Db,
        app_id: Uuid,
        environment: Environment,
        customer_id: Uuid,
        ttl: Duration,
    ) -> Result<IssuedToken, TokenError> {
        let label = format!("onboarding link for customer {customer_id}");
        self.issue_for(db, app_id, environment, ttl, Some(label), Some(customer_id)).await
    }

    async fn issue_for(
        &self,
        db: &Db,
        app_id: Uuid,
        environment: Environment,
        ttl: Duration,
        label: Option<String>,
        customer: Option<Uuid>,
    ) -> Result<IssuedToken, TokenError> {
        let now = store::now();
        let ttl =
            chrono::Duration::from_std(ttl).map_err(|_| StoreError::Invalid("token lifetime is too long".into()))?;
        let expires_at = now + ttl;
        let token_id = Uuid::now_v7();
        api_token::ActiveModel {
            id: Set(token_id),
            app_id: Set(app_id),
            environment: Set(environment.as_str().to_owned()),
            label: Set(label),
            kid: Set(self.active.0.clone()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
        }
        .insert(&db.write)
        .await
        .map_err(StoreError::from)?;
        let claims = Claims {
            iss: ISSUER.to_owned(),
            sub: app_id,
            env: environment,
            jti: token_id,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            cus: customer,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.active.0.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.active.1)?;
        Ok(IssuedToken { token, token_id, app_id, expires_at })
    }

    /// Checks signature, issuer and expiry; does not consult the database.
    fn decode(&self, token: &str) -> Result<Claims, ApiError> {
        let invalid = ApiError::Unauthenticated("the token is invalid");
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid.clone())?;
        let key = header.kid.as_deref().and_then(|kid| self.decoding.get(kid)).ok_or(invalid.clone())?;
        match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(err) if matches!(err.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
                Err(ApiError::Unauthenticated("the token has expired"))
            }
            Err(_) => Err(invalid),
        }
    }

    /// The scope of the principal behind an `Authorization` header value: its token must be
    /// signed with a known key, and its row must exist, name the same app and environment, and be
    /// neither revoked nor expired.
    pub async fn authenticate(&self, db: &Db, header: Option<&str>) -> Result<Scope, ApiError> {
        let header =
            header.ok_or(ApiError::Unauthenticated("an `Authorization: Bearer <token>` header is required"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(ApiError::Unauthenticated("the Authorization header must be `Bearer <token>`"))?
            .trim();
        let claims = self.decode(token)?;
        let grant = Scope::grant_of_token(db, claims.jti, claims.env, claims.cus).await?;
        let grant = grant
            .filter(|grant| grant.app_id == claims.sub && grant.environment == claims.env.as_str())
            .ok_or(ApiError::Unauthenticated("the token is invalid"))?;
        if grant.revoked_at.is_some() {
            return Err(ApiError::Unauthenticated("the token has been revoked"));
        }
        if grant.expires_at <= Utc::now() {
            return Err(ApiError::Unauthenticated("the token has expired"));
        }
        let principal = Principal {
            app_id: claims.sub,
            environment: claims.env,
            token_id: claims.jti,
            expires_at: grant.expires_at,
            customer_id: claims.cus,
        };
        Ok(grant.into_scope(principal))
    }
}

/// Every token of an app (or of all apps), newest first.
pub async fn list(db: &Db, app_name: Option<&str>) -> Result<Vec<(String, api_token::Model)>, StoreError> {
    let apps = store::apps::all(db).await?;
    let names: HashMap<Uuid, String> = apps.into_iter().map(|a| (a.id, a.name)).collect();
    let mut query = api_token::Entity::find().order_by_desc(api_token::Column::CreatedAt);
    if let Some(name) = app_name {
        let app = store::apps::find(db, name).await?.ok_or(StoreError::NotFound("app"))?;
        query = query.filter(api_token::Column::AppId.eq(app.id));
    }
    let rows = query.all(&db.read).await?;
    Ok(rows.into_iter().map(|row| (names.get(&row.app_id).cloned().unwrap_or_default(), row)).collect())
}

/// Revokes a token by id; revoking twice is harmless.
pub async fn revoke(db: &Db, token_id: Uuid) -> Result<api_token::Model, StoreError> {
    let row = api_token::Entity::find_by_id(token_id).one(&db.write).await?.ok_or(StoreError::NotFound("token"))?;
    if row.revoked_at.is_some() {
        return Ok(row);
    }
    let mut active: api_token::ActiveModel = row.into();
    active.revoked_at = Set(Some(store::now()));
    Ok(active.update(&db.write).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, byte: u8) -> TokenKey {
        TokenKey { kid: kid.into(), secret: vec![byte; 32] }
    }

    fn sign(tokens: &Tokens, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(tokens.active.0.clone());
        jsonwebtoken::encode(&header, claims, &tokens.active.1).expect("signs")
    }

    fn claims(exp_offset: i64) -> Claims {
        let now = Utc::now().timestamp();
        Claims {
            iss: ISSUER.into(),
            sub: Uuid::now_v7(),
            env: Environment::Sandbox,
            jti: Uuid::now_v7(),
            iat: now,
            exp: now + exp_offset,
            cus: None,
        }
    }

    #[test]
    fn a_token_signed_by_an_older_key_still_verifies_after_rotation() {
        let old = Tokens::new(&[key("a", 1)], None, Duration::from_secs(60)).expect("keys");
        let token = sign(&old, &claims(600));
        let rotated = Tokens::new(&[key("a", 1), key("b", 2)], Some("b"), Duration::from_secs(60)).expect("keys");
        assert!(rotated.decode(&token).is_ok());
        let dropped = Tokens::new(&[key("b", 2)], None, Duration::from_secs(60)).expect("keys");
        assert!(dropped.decode(&token).is_err());
    }

    #[test]
    fn expired_and_forged_tokens_are_refused_with_reasons() {
        let tokens = Tokens::new(&[key("a", 1)], None, Duration::from_secs(60)).expect("keys");
        let expired = sign(&tokens, &claims(-3600));
        assert_eq!(tokens.decode(&expired).expect_err("expired").to_string(), "the token has expired");
        let forger = Tokens::new(&[key("a", 9)], None, Duration::from_secs(60)).expect("keys");
        let forged = sign(&forger, &claims(600));
        assert_eq!(tokens.decode(&forged).expect_err("forged").to_string(), "the token is invalid");
        assert!(tokens.decode("not.a.jwt").is_err());
    }

    #[test]
    fn the_customer_claim_of_an_onboarding_link_survives_and_app_tokens_have_none() {
        let tokens = Tokens::new(&[key("a", 1)], None, Duration::from_secs(60)).expect("keys");
        let customer = Uuid::now_v7();
        let link = sign(&tokens, &Claims { cus: Some(customer), ..claims(600) });
        assert_eq!(tokens.decode(&link).expect("valid").cus, Some(customer));
        let app = sign(&tokens, &claims(600));
        assert_eq!(tokens.decode(&app).expect("valid").cus, None);
        // An app token's payload has no `cus` key at all (older tokens decode the same way).
        let payload = app.split('.').nth(1).expect("a payload");
        use base64::Engine;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64");
        assert!(!String::from_utf8_lossy(&json).contains("cus"));
    }

    #[test]
    fn key_strings_parse_and_short_secrets_are_refused() {
        let parsed: TokenKey = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".parse().expect("parses");
        assert_eq!(parsed.kid, "k1");
        assert!("k1:AAAA".parse::<TokenKey>().is_err());
        assert!("nocolon".parse::<TokenKey>().is_err());
    }
}
