//! The accountability report: how fast each station (or agency, or officer) answered.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccountabilityRow {
    /// The station code, agency, or officer's username.
    pub group: String,
    /// Referrals that first arrived in the period (first-contact station, for stations).
    pub received: u64,
    /// Of those, the ones not linked into another referral's case: a person reported three
    /// times is one case.
    pub cases: u64,
    pub accepted: u64,
    pub accepted_in_time: u64,
    /// accepted in time / (accepted + still unaccepted past the deadline), in percent; null
    /// when there is nothing to count. An ignored referral counts as late, not as absent.
    pub on_time_pct: Option<f64>,
    pub median_minutes_to_accept: Option<f64>,
    pub p90_minutes_to_accept: Option<f64>,
    pub median_minutes_to_scene: Option<f64>,
    pub p90_minutes_to_scene: Option<f64>,
    pub transfers_in: u64,
    pub transfers_out: u64,
    pub escalations: u64,
    /// Resolutions by outcome.
    pub outcomes: BTreeMap<String, u64>,
    pub open_now: u64,
    pub overdue_now: u64,
}

/// `GET /api/v1/accountability`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccountabilityReport {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "openapi", schema(example = "station"))]
    pub group_by: String,
    pub generated_at: DateTime<Utc>,
    pub rows: Vec<AccountabilityRow>,
}
