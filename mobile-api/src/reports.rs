//! The campaign stage report: the street-patrol part of Annex 1's summary table (汇总表).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// One county, or the city total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StageRow {
    /// Six-digit code; `370900` for the city total.
    pub county_code: String,
    pub county: String,
    /// Patrol sightings (街面巡查发现报告).
    pub sightings: i64,
    /// People found in them.
    pub people_found: i64,
    /// Sightings of special targets (minors, elderly, mental disorder).
    pub special_targets: i64,
    /// Referrals by channel (`110`, `12345`, `patrol`, …).
    pub referrals_by_channel: BTreeMap<String, i64>,
    pub referrals: i64,
    /// Accepted within the deadline, percent (ignored overdue referrals count as late).
    pub accepted_on_time_pct: Option<f64>,
    pub median_minutes_to_accept: Option<f64>,
    /// Resolutions by outcome.
    pub outcomes: BTreeMap<String, i64>,
    /// Supplies handed out by item, from sightings and check-ins.
    pub supplies: BTreeMap<String, i64>,
    /// Active hotspots registered now.
    pub hotspots_registered: i64,
    /// Distinct hotspots checked during extreme-weather alerts in the period.
    pub hotspots_checked_during_alerts: i64,
    /// Incidents by kind (`death`, `serious_injury`, …) that occurred in the period.
    #[serde(default)]
    pub incidents: BTreeMap<String, i64>,
}

/// `GET /api/v1/reports/campaign`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StageReport {
    pub campaign: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    /// The six counties, then the city total.
    pub rows: Vec<StageRow>,
}
