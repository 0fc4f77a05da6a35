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
    super::db::insert_vapid_if_none(db, &secrets.seal(&fresh.private_key), &fresh.public_key)
        .await
        .context("storing a VAPID key pair")?;
    let (stored, public_key) = super::db::stored_vapid(db).await?;
    if public_key == fresh.public_key {
        tracing::info!(public_key = %public_key, "generated a VAPID key pair for web push");
    }
    let private_key = secrets
        .open(&stored)
        .context("opening the stored VAPID private key (or run `xunjiu vapid generate`)")?;
    if !SealingKey::is_sealed(&stored) {
        super::db::reseal_vapid(db, &stored, &secrets.seal(&private_key))
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
    super::db::replace_vapid(&mut *tx, &secrets.seal(&keys.private_key), &keys.public_key).await?;
    super::db::delete_all_subscriptions(&mut *tx).await?;
    tx.commit().await?;
    Ok(keys)
}

impl crate::plumbing::state::AppState {
    /// The server's VAPID keys.
    pub fn vapid(&self) -> &VapidKeys {
        self.part::<std::sync::Arc<VapidKeys>>()
    }
}
