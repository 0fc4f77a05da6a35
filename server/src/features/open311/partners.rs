//! Partners that post through Open311, each with its own API key (`xunjiu partners …`).

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::features::auth;

pub use super::db::Partner;

/// Register a partner; returns its key, which is shown only this once.
pub async fn add(db: &PgPool, name: &str, channel: mobile_api::Channel) -> anyhow::Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("a partner's name is 1 to 100 characters");
    }
    let key = auth::new_token().replacen("xj_", "xj311_", 1);
    super::db::insert_partner(
        db,
        name,
        &crate::rules::wire::name(&channel),
        &auth::token_digest(&key),
    )
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("partners_name_key") => {
            anyhow::anyhow!("a partner named {name:?} exists")
        }
        _ => anyhow::Error::new(e),
    })?;
    Ok(key)
}

/// Revoke a partner's key.
pub async fn revoke(db: &PgPool, name: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    super::db::revoke_partner(db, name, now)
        .await?
        .map(|_| ())
        .with_context(|| format!("no partner {name:?}"))
}

/// `(name, channel, revoked)` of every partner.
pub async fn list(db: &PgPool) -> anyhow::Result<Vec<(String, String, bool)>> {
    Ok(super::db::partners(db).await?)
}

/// The live partner a key belongs to.
pub async fn by_key(db: &PgPool, key: &str) -> sqlx::Result<Option<Partner>> {
    super::db::partner_by_key_hash(db, &auth::token_digest(key)).await
}
