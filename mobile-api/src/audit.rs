//! The access log: who was shown which record's personal fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;
use uuid::Uuid;

/// One read of a record's personal fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccessEntry {
    pub at: DateTime<Utc>,
    /// The account that read (null when an Open311 partner read with its key).
    pub user: Option<String>,
    pub role: Option<String>,
    /// The Open311 partner that read, by name.
    pub partner: Option<String>,
    /// `referral` or `sighting`.
    pub record_kind: String,
    pub record_id: Uuid,
    /// The endpoint that answered, as its path template.
    pub via: String,
}

/// `GET /api/v1/audit/access`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccessLog {
    pub entries: Vec<AccessEntry>,
}
