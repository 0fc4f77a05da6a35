//! Alerts sent to work-chat robots (DingTalk, WeCom) and by SMS, and whether they arrived.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Where an alert channel delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A DingTalk (钉钉 / 政务钉钉) group robot.
    Dingtalk,
    /// A WeCom (企业微信) group robot.
    Wecom,
    /// Text messages through Aliyun SMS.
    Sms,
}

/// Where one message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet delivered; retried with backoff.
    Pending,
    Delivered,
    /// Given up after the last attempt.
    Failed,
}

/// One attempt to deliver a message, with the service's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    pub ok: bool,
    /// The HTTP status and the service's own code: `200 errcode=0`, `200 Code=OK`, `503`.
    #[cfg_attr(feature = "openapi", schema(example = "200 errcode=310000"))]
    pub code: String,
    /// The service's message on a failure (`errmsg`, `Message`) or the network error.
    pub detail: Option<String>,
}

/// One message to one channel about the referral.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Delivery {
    /// The channel's name, as `xunjiu notify add` named it.
    pub channel: String,
    pub kind: ChannelKind,
    /// What the message was about: `referral_routed`, `referral_transferred`, `escalated`.
    pub event: String,
    pub created_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempts: Vec<DeliveryAttempt>,
}

/// Web push notifications about the referral, by where they stand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebPushSummary {
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

/// `GET /api/v1/referrals/{id}/notifications`: oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NotificationList {
    pub deliveries: Vec<Delivery>,
    pub web_push: WebPushSummary,
}
