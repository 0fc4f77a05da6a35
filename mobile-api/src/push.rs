//! Web push subscriptions for duty officers' browsers.

use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;
use uuid::Uuid;

/// `GET /api/v1/push/vapid-public-key`: the `applicationServerKey` for `pushManager.subscribe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct VapidPublicKey {
    /// base64url, the 65-byte uncompressed P-256 point.
    pub public_key: String,
}

/// The keys of a browser `PushSubscription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushKeys {
    /// base64url, the browser's P-256 public key.
    pub p256dh: String,
    /// base64url, 16-byte authentication secret.
    pub auth: String,
}

/// `POST /api/v1/push/subscriptions`: what `PushSubscription.toJSON()` gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushSubscriptionRequest {
    pub endpoint: String,
    pub keys: PushKeys,
    /// Ignored; browsers send it.
    #[serde(default, rename = "expirationTime")]
    pub expiration_time: Option<f64>,
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushSubscriptionCreated {
    pub id: Uuid,
}

/// `DELETE /api/v1/push/subscriptions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushUnsubscribe {
    pub endpoint: String,
}
