//! Hotspots, check-ins, seasonal campaigns and extreme-weather alerts.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;
use uuid::Uuid;

use crate::geo::Location;

/// Where people sleep rough (the notice's list, plus what patrols also watch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HotspotKind {
    BridgeCulvert,
    Underpass,
    HeatPipeline,
    AbandonedBuilding,
    RailwayStation,
    BusStation,
    Park,
    Other,
}

/// A registered hotspot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Hotspot {
    pub id: Uuid,
    pub name: String,
    pub kind: HotspotKind,
    /// Name of the county-level area it lies in.
    pub county: Option<String>,
    pub county_code: Option<String>,
    pub lat: f64,
    pub lon: f64,
    /// Retired hotspots stay (with their history) but are no longer patrolled.
    pub active: bool,
}

/// `GET /api/v1/hotspots`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HotspotList {
    pub hotspots: Vec<Hotspot>,
}

/// `POST /api/v1/hotspots` (supervisors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewHotspot {
    pub name: String,
    pub kind: HotspotKind,
    pub location: Location,
}

/// `PATCH /api/v1/hotspots/{id}` (supervisors): the fields to change. `active: false` retires it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HotspotChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: Option<HotspotKind>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// Supplies handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Quilt,
    Coat,
    Food,
    Water,
    HeatstrokeMedicine,
    Other,
}

/// How many of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ItemCount {
    pub item: Item,
    /// 1 to 1000.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    pub count: i64,
}

/// `POST /api/v1/hotspots/{id}/checkins` (patrol). People found should also be reported as
/// sightings, which route them and raise referrals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCheckin {
    /// Generated on the phone; sending it again is a safe retry.
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// Must be within 300 m of the hotspot.
    pub location: Location,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 200))]
    pub people_found: i64,
    #[serde(default)]
    pub items_given: Vec<ItemCount>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A stored check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Checkin {
    pub id: Uuid,
    pub hotspot_id: Uuid,
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub location: Location,
    pub distance_m: f64,
    pub people_found: i64,
    pub items_given: Vec<ItemCount>,
    pub officer: String,
    /// The campaign the check-in's local time falls in.
    pub campaign: Option<String>,
}

/// The two seasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// 夏季送清凉, 1 July – 30 September.
    Summer,
    /// 寒冬送温暖, 1 November – 31 March of the next year.
    Winter,
}

/// A campaign season, bounded by local dates in Asia/Shanghai.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Campaign {
    #[cfg_attr(feature = "openapi", schema(example = "winter-2026"))]
    pub id: String,
    pub kind: CampaignKind,
    #[cfg_attr(feature = "openapi", schema(example = "寒冬送温暖"))]
    pub name: String,
    /// First day, local.
    pub starts_on: NaiveDate,
    /// Last day, local, inclusive.
    pub ends_on: NaiveDate,
    /// Local midnight at the start, in UTC.
    pub starts_at: DateTime<Utc>,
    /// Local midnight after the last day, in UTC (exclusive).
    pub ends_at: DateTime<Utc>,
}

/// `GET /api/v1/campaigns`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CampaignList {
    pub timezone: String,
    pub campaigns: Vec<Campaign>,
}

/// Kinds of extreme weather.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    ColdWave,
    HeatWave,
    Storm,
}

/// `POST /api/v1/alerts` (supervisors): every active hotspot in these counties must be checked
/// while it lasts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAlert {
    /// Client-generated; sending it again is a safe retry.
    pub id: Uuid,
    pub kind: AlertKind,
    /// Six-digit codes of county-level areas.
    pub counties: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub note: Option<String>,
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Alert {
    pub id: Uuid,
    pub kind: AlertKind,
    pub counties: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: String,
    /// Half-way through: unvisited hotspots are pushed to county supervisors then.
    pub halfway_at: DateTime<Utc>,
    pub created_by: String,
}

/// `GET /api/v1/alerts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlertList {
    pub alerts: Vec<Alert>,
}

/// One hotspot's state during an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HotspotCoverage {
    pub hotspot: Hotspot,
    pub visited: bool,
    pub last_checkin_at: Option<DateTime<Utc>>,
    /// Username of the officer.
    pub last_checkin_by: Option<String>,
    pub checkins: i64,
}

/// `GET /api/v1/alerts/{id}/coverage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Coverage {
    pub alert: Alert,
    pub total: usize,
    pub visited: usize,
    pub hotspots: Vec<HotspotCoverage>,
}

/// `POST /api/v1/hotspots/proposals` (patrols): a sleeping place not yet registered (新点位).
/// Idempotent by `id`; once approved, the hotspot has this id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewHotspotProposal {
    pub id: Uuid,
    pub name: String,
    pub kind: HotspotKind,
    pub location: Location,
    #[serde(default)]
    pub note: Option<String>,
}

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    Pending,
    Approved,
    Rejected,
}

/// A proposed hotspot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HotspotProposal {
    pub id: Uuid,
    pub name: String,
    pub kind: HotspotKind,
    pub lat: f64,
    pub lon: f64,
    pub county_code: Option<String>,
    pub county: Option<String>,
    pub note: String,
    /// Username of the patrol officer who proposed it.
    pub proposed_by: String,
    pub proposed_at: DateTime<Utc>,
    pub status: ProposalStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The hotspot it became (the same id), once approved.
    pub hotspot_id: Option<Uuid>,
    /// Check-ins made at it.
    pub checkins: i64,
}

/// `GET /api/v1/hotspots/proposals`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HotspotProposalList {
    pub proposals: Vec<HotspotProposal>,
}

/// `POST /api/v1/hotspots/proposals/{id}/approve` (supervisors): optional corrections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveProposal {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: Option<HotspotKind>,
    #[serde(default)]
    pub location: Option<Location>,
}

/// `POST /api/v1/hotspots/proposals/{id}/reject` (supervisors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RejectProposal {
    pub reason: String,
}
