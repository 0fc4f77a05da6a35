//! Patrol sightings (街面巡查 reports).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ErrorDetail;
use crate::geo::{AreaRef, Location};
use crate::intake::{Category, HotspotRef};
use crate::referrals::ReferralRef;
use crate::stations::Station;

/// What the officer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionTaken {
    /// Gave the person the station's phone (告之救助管理机构联系电话).
    InformedOfStation,
    EscortedToStation,
    Referred,
    DeclinedHelp,
    #[serde(rename = "called_120")]
    Called120,
    None,
}

/// `POST /api/v1/sightings`, and each item of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSighting {
    /// Generated on the phone; sending the same id again is a safe retry.
    pub id: Uuid,
    /// When the officer saw the person: at most 7 days ago, at most 5 minutes ahead.
    pub observed_at: DateTime<Utc>,
    pub location: Location,
    /// 1 to 50.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub people_count: i64,
    #[serde(default)]
    pub categories: Vec<Category>,
    pub action_taken: ActionTaken,
    /// Free text; personal data, shown only to roles that need it. At most 4,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
    /// Supplies handed out (quilts, coats, food …), when the person declined to come in.
    #[serde(default)]
    pub items_given: Vec<crate::campaigns::ItemCount>,
    /// With `action_taken: escorted_to_station`: the station (code) the person is taken to;
    /// default the nearest. Its duty officer signs for the person (a `handover` referral).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escorted_to: Option<String>,
}

/// A stored sighting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Sighting {
    pub id: Uuid,
    pub observed_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub location: Location,
    pub people_count: i64,
    pub categories: Vec<Category>,
    pub action_taken: ActionTaken,
    /// The officer's notes; absent when there are none (or none are left after redaction).
    /// Every role that reads a sighting reads its notes: its reporter, its station's duty
    /// officers, its county's and the city's supervisors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Username of the reporting officer.
    pub reported_by: String,
    /// The nearest station: its phone is the one to give the person.
    pub station: Station,
    pub distance_m: f64,
    pub area: Option<AreaRef>,
    /// The registered hotspot within 150 m, if any.
    pub hotspot: Option<HotspotRef>,
    /// The referral this sighting raised, if any.
    pub referral: Option<ReferralRef>,
    pub items_given: Vec<crate::campaigns::ItemCount>,
    /// The campaign (`winter-2026`, …) the local time of `observed_at` falls in.
    pub campaign: Option<String>,
    /// When the notes were erased (after the retention period, or on request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/sightings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SightingList {
    pub sightings: Vec<Sighting>,
}

/// `POST /api/v1/sightings/batch`: reports kept on a phone while it was offline (up to 500).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SightingBatch {
    /// Each item is checked on its own by the server: one malformed item does not reject the
    /// others.
    pub sightings: Vec<NewSighting>,
}

/// How one batch item fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BatchItemStatus {
    Created,
    /// Already stored with the same content: nothing new was written.
    Duplicate,
    Error,
}

/// One item's result, in the order of the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BatchItemResult {
    pub index: usize,
    /// The item's id, when it had a readable one.
    pub id: Option<Uuid>,
    pub status: BatchItemStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sighting: Option<Sighting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// The answer to a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BatchResult {
    pub created: usize,
    pub duplicates: usize,
    pub errors: usize,
    pub results: Vec<BatchItemResult>,
}
