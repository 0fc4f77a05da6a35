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

/// A FeatureCollection already serialised.
#[derive(Debug, Clone)]
pub struct GeoJsonText(pub String);

impl IntoResponse for GeoJsonText {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/geo+json")], self.0).into_response()
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

/// Points from any wire object: its JSON fields become the properties (the whole record, so that
/// they read as the record's own schema), and its position the geometry.
pub fn collection_of<T: serde::Serialize>(
    items: Vec<T>,
    lat_lon: impl Fn(&T) -> (f64, f64),
) -> GeoJson {
    let features = items
        .iter()
        .map(|item| {
            let (lat, lon) = lat_lon(item);
            let properties = serde_json::to_value(item).unwrap_or(Value::Null);
            point_feature(lat, lon, properties)
        })
        .collect();
    feature_collection(features)
}
