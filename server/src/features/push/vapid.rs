//! The server's VAPID key pair (RFC 8292): generated once and kept in the database, so every
//! server process signs with the same key and browsers' subscriptions stay valid. The private
//! key is stored sealed ([`crate::plumbing::secrets`]).

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand::RngCore;
use sqlx::PgPool;

use crate::plumbing::secrets::SecretKey as SealingKey;

/// base64url private scalar (what `web-push` signs with) and public point (what browsers need).
#[derive(Clone)]
pub struct VapidKeys {
    pub private_key: String,
    pub public_key: String,
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// A fresh P-256 key pair.
pub fn generate() -> VapidKeys {
    let secret = loop {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        // Out-of-range scalars (probability ~2^-32) are simply drawn again.
        if let Ok(secret) = SecretKey::from_slice(&bytes) {
            break secret;
        }
    };
    let public = secret.public_key().to_encoded_point(false);
    VapidKeys {
        private_key: URL_SAFE_NO_PAD.encode(secret.to_bytes()),
        public_key: URL_SAFE_NO_PAD.encode(public.as_bytes()),
    }
}

/// The stored pair, created (and logged) on first use; a private key stored before sealing is
/// sealed now.
pub async fn load_or_create(db: &PgPool, secrets: &SealingKey) -> anyhow::Result<VapidKeys> {
    let fresh = generate();
    sqlx::query("insert into vapid_keys (private_key, public_key) values ($1, $2) on conflict (id) do nothing")
        .bind(secrets.seal(&fresh.private_key))
        .bind(&fresh.public_key)
        .execute(db)
        .await
        .context("storing a VAPID key pair")?;
    let (stored, public_key): (String, String) =
        sqlx::query_as("select private_key, public_key from vapid_keys")
            .fetch_one(db)
            .await?;
    if public_key == fresh.public_key {
        tracing::info!(public_key = %public_key, "generated a VAPID key pair for web push");
    }
    let private_key = secrets
        .open(&stored)
        .context("opening the stored VAPID private key (or run `xunjiu vapid generate`)")?;
    if !SealingKey::is_sealed(&stored) {
        sqlx::query("update vapid_keys set private_key = $2 where private_key = $1")
            .bind(&stored)
            .bind(secrets.seal(&private_key))
            .execute(db)
            .await
            .context("sealing the stored VAPID private key")?;
        tracing::info!("sealed the stored VAPID private key");
    }
    Ok(VapidKeys {
        private_key,
        public_key,
    })
}

/// Replace the pair (`xunjiu vapid generate`). Browsers subscribed with the old key must
/// subscribe again, so their subscriptions are dropped.
pub async fn replace(db: &PgPool, secrets: &SealingKey) -> anyhow::Result<VapidKeys> {
    let keys = generate();
    let mut tx = db.begin().await?;
    sqlx::query(
        "insert into vapid_keys (private_key, public_key) values ($1, $2)
         on conflict (id) do update set private_key = excluded.private_key, public_key = excluded.public_key, created_at = now()",
    )
    .bind(secrets.seal(&keys.private_key))
    .bind(&keys.public_key)
    .execute(&mut *tx)
    .await?;
    sqlx::query("delete from push_subscriptions")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(keys)
}

impl crate::plumbing::state::AppState {
    /// The server's VAPID keys.
    pub fn vapid(&self) -> &VapidKeys {
        self.part::<std::sync::Arc<VapidKeys>>()
    }
}
