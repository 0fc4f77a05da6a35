//! What the browser apps need to know before they draw anything.

use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// `GET /api/v1/web-config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebConfig {
    /// Base-map tile URL template (`XUNJIU_TILE_URL`); null: draw our own outlines only.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "https://tiles.example/{z}/{x}/{y}.png")
    )]
    pub tile_url: Option<String>,
    pub tile_attribution: String,
    /// The datum the tiles are drawn in (`XUNJIU_TILE_CRS`): `wgs84`, or `gcj02` for Amap or
    /// Tencent tiles, under which the apps shift their own layers (and picked points back).
    #[serde(default = "wgs84")]
    #[cfg_attr(feature = "openapi", schema(example = "wgs84"))]
    pub tile_crs: String,
}

fn wgs84() -> String {
    "wgs84".to_owned()
}
