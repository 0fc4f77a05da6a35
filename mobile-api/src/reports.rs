//! Reports: the street-patrol campaign report (the stage report), and Annex 1 of the notice
//! (救助管理服务质量大提升专项行动情况汇总表) as the counties file it.

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

/// A column of Annex 1, in the annex's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Annex1Column {
    /// A stable key for the column.
    pub key: String,
    /// Its group heading (地方党委和政府履职情况 …).
    pub group: String,
    /// The heading above it, where the annex has two levels (救助管理机构监管情况 …).
    pub parent: Option<String>,
    /// The annex's own wording.
    pub heading: String,
    /// `number` or `text`.
    pub kind: String,
    /// `system` (computed from the records) or `entered` (typed by the unit).
    pub source: String,
}

/// A cell: where its value comes from (`system`, `entered`, `missing`) and the value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Annex1Cell {
    pub source: String,
    pub value: serde_json::Value,
}

/// A unit's filing of a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Annex1Filing {
    pub as_of: chrono::NaiveDate,
    /// 填表单位's signatory as typed.
    pub filed_by_name: String,
    pub filed_at: DateTime<Utc>,
}

/// One filing unit's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Annex1Row {
    /// A county code, `city` (市救助管理站) or a functional zone's `fz…`; `total` for the sum.
    pub unit: String,
    /// 填表单位.
    pub name: String,
    /// `county`, `functional_zone`, `city_station` or `total`.
    pub kind: String,
    /// The filing that froze this row, if it is filed.
    pub filed: Option<Annex1Filing>,
    pub cells: BTreeMap<String, Annex1Cell>,
}

/// `GET /api/v1/reports/annex1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Annex1Report {
    pub as_of: chrono::NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub columns: Vec<Annex1Column>,
    /// The units, then the total.
    pub rows: Vec<Annex1Row>,
}

/// `PUT /api/v1/reports/annex1/{unit}/entries`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Annex1Entries {
    pub as_of: chrono::NaiveDate,
    /// Column key → a whole number (number columns) or text (text columns).
    pub values: BTreeMap<String, serde_json::Value>,
}

/// `POST /api/v1/reports/annex1/{unit}/file`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Annex1FileRequest {
    pub as_of: chrono::NaiveDate,
    pub filed_by_name: String,
}

/// A unit and whether it has filed for the date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Annex1UnitStatus {
    pub unit: String,
    pub name: String,
    pub kind: String,
    pub filed: Option<Annex1Filing>,
}

/// `GET /api/v1/reports/annex1/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Annex1Status {
    pub as_of: chrono::NaiveDate,
    pub units: Vec<Annex1UnitStatus>,
}
