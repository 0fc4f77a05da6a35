//! The GeoJSON answers (RFC 7946, `application/geo+json`) as typed shapes, so that a generated
//! client reads their features and properties. A point feature's properties are the whole
//! record, its `location` (or `lat`/`lon`) included.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::{Hotspot, Referral, Sighting, Station};

/// A point, `[lon, lat]` in WGS84 degrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PointGeometry {
    /// `Point`.
    #[serde(rename = "type")]
    pub kind: String,
    pub coordinates: Vec<f64>,
}

/// A polygon: rings of `[lon, lat]` positions, the first ring the outline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PolygonGeometry {
    /// `Polygon`.
    #[serde(rename = "type")]
    pub kind: String,
    pub coordinates: Vec<Vec<Vec<f64>>>,
}

/// Polygons of `[lon, lat]` rings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MultiPolygonGeometry {
    /// `MultiPolygon`.
    #[serde(rename = "type")]
    pub kind: String,
    pub coordinates: Vec<Vec<Vec<Vec<f64>>>>,
}

/// A county-level area's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AreaProperties {
    /// Six-digit division code.
    pub code: String,
    pub name: String,
    /// The station that answers for it.
    pub station_code: String,
}

/// One hexagon of a heat-map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HeatmapCell {
    /// The H3 cell, hexadecimal.
    pub cell: String,
    /// Reports in the cell.
    pub count: i64,
    /// People those reports counted.
    pub people: i64,
    /// Of them special targets; absent on coarse maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_count: Option<i64>,
}

macro_rules! collection {
    ($feature:ident, $collection:ident, $geometry:ty, $properties:ty, $what:literal) => {
        #[doc = concat!("One ", $what, " as a GeoJSON Feature.")]
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(ToSchema))]
        pub struct $feature {
            /// `Feature`.
            #[serde(rename = "type")]
            pub kind: String,
            pub geometry: $geometry,
            pub properties: $properties,
        }

        #[doc = concat!("A GeoJSON FeatureCollection of ", $what, "s.")]
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(ToSchema))]
        pub struct $collection {
            /// `FeatureCollection`.
            #[serde(rename = "type")]
            pub kind: String,
            pub features: Vec<$feature>,
        }
    };
}

collection!(
    ReferralFeature,
    ReferralCollection,
    PointGeometry,
    Referral,
    "referral"
);
collection!(
    SightingFeature,
    SightingCollection,
    PointGeometry,
    Sighting,
    "sighting"
);
collection!(
    HotspotFeature,
    HotspotCollection,
    PointGeometry,
    Hotspot,
    "hotspot"
);
collection!(
    StationFeature,
    StationCollection,
    PointGeometry,
    Station,
    "station"
);
collection!(
    AreaFeature,
    AreaCollection,
    MultiPolygonGeometry,
    AreaProperties,
    "county-level area"
);

/// A heat-map cell as a GeoJSON Feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HeatmapFeature {
    /// `Feature`.
    #[serde(rename = "type")]
    pub kind: String,
    pub geometry: PolygonGeometry,
    pub properties: HeatmapCell,
}

/// `GET /api/v1/heatmap`: the cells with data, and what they count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HeatmapCollection {
    /// `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `sightings` or `referrals`.
    pub layer: String,
    /// `reports`.
    pub count_of: String,
    /// The H3 resolution (6 to 9).
    pub resolution: u8,
    pub cell_width_m: f64,
    pub campaign: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The sum of the cells' `count`.
    pub total: i64,
    /// Cells under 3 reports left out, no `special_count`, whole days and cells.
    pub coarse: bool,
    pub features: Vec<HeatmapFeature>,
}
