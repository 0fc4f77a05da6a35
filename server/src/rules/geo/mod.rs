//! Points on the map: a WGS84 point checked on the way in, and the datums Chinese map apps use.

pub mod crs;
mod db;
pub mod point;

pub use point::GeoPoint;
