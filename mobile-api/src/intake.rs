//! Vocabulary shared by sightings and referrals.

use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;
use uuid::Uuid;

/// Who was found. `minor`, `elderly` and `mental_disorder` are the notice's special targets
/// (特殊救助对象); with `ill_or_injured` they make a referral urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Minor,
    Elderly,
    MentalDisorder,
    Disabled,
    IllOrInjured,
}

/// A hotspot a report was snapped to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HotspotRef {
    pub id: Uuid,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(example = "railway_station"))]
    pub kind: String,
    /// From the reported point to the hotspot, in metres.
    pub distance_m: f64,
}
