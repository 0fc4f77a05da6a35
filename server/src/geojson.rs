//! RFC 7946 responses. Built as JSON values: the shapes are simple, and polygons arrive from
//! PostGIS already encoded.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A FeatureCollection body with the `application/geo+json` media type.
#[derive(Debug, Clone)]
pub struct GeoJson(pub Value);

impl IntoResponse for GeoJson {
    fn into_response(self) -> Response {
        (
            [(header::CONTENT_TYPE, "application/geo+json")],
            self.0.to_string(),
        )
            .into_response()
    }
}

/// A Point feature; `lon` first, as RFC 7946 orders axes.
pub fn point_feature(lat: f64, lon: f64, properties: Value) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    })
}

pub fn feature_collection(features: Vec<Value>) -> GeoJson {
    GeoJson(json!({"type": "FeatureCollection", "features": features}))
}
