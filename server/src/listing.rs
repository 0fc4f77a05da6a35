//! Query-string filters that list endpoints share: time windows, bounding boxes, pages.
//! Values arrive as text so that each bad one gets its own error code.

use chrono::{DateTime, Utc};

use crate::auth::CurrentUser;
use crate::error::ApiError;

/// `(from, to)`; either end may be open.
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `from`/`to` as RFC 3339, `from` inclusive, `to` exclusive.
pub fn time_window(from: Option<&str>, to: Option<&str>) -> Result<Window, ApiError> {
    let parse = |name: &str, v: Option<&str>| {
        v.filter(|s| !s.is_empty())
            .map(|s| {
                DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        ApiError::bad_request(
                            "invalid_time",
                            format!("{name} must be an RFC 3339 time"),
                        )
                    })
            })
            .transpose()
    };
    let (from, to) = (parse("from", from)?, parse("to", to)?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::bad_request("invalid_time", "from is after to"));
    }
    Ok((from, to))
}

/// A WGS84 box, `minLon,minLat,maxLon,maxLat`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

pub fn bbox(text: Option<&str>) -> Result<Option<BBox>, ApiError> {
    let Some(text) = text.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::bad_request(
            "invalid_bbox",
            "bbox must be minLon,minLat,maxLon,maxLat in degrees",
        )
    };
    let v: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|_| invalid()))
        .collect::<Result<_, _>>()?;
    let [min_lon, min_lat, max_lon, max_lat] = v[..] else {
        return Err(invalid());
    };
    let lon_ok = |x: f64| x.is_finite() && (-180.0..=180.0).contains(&x);
    let lat_ok = |y: f64| y.is_finite() && (-90.0..=90.0).contains(&y);
    if !(lon_ok(min_lon) && lon_ok(max_lon) && lat_ok(min_lat) && lat_ok(max_lat))
        || min_lon > max_lon
        || min_lat > max_lat
    {
        return Err(invalid());
    }
    Ok(Some(BBox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    }))
}

/// `limit` (1..=1000, default 200) and `offset` (≥ 0, default 0).
pub fn page(limit: Option<&str>, offset: Option<&str>) -> Result<(i64, i64), ApiError> {
    let number =
        |name: &str, v: Option<&str>, default: i64, range: std::ops::RangeInclusive<i64>| {
            let Some(v) = v.filter(|s| !s.is_empty()) else {
                return Ok(default);
            };
            v.parse::<i64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_page",
                        format!(
                            "{name} must be a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                })
        };
    Ok((
        number("limit", limit, 200, 1..=1000)?,
        number("offset", offset, 0, 0..=i64::from(i32::MAX))?,
    ))
}

/// A duty officer lists only their own station's records: `station` may name it or be left
/// out; another station is a 403.
pub fn own_station(
    user: &CurrentUser,
    requested: Option<&str>,
) -> Result<Option<String>, ApiError> {
    match requested {
        Some(s) if user.station.as_deref() != Some(s) => Err(ApiError::forbidden(
            "a duty officer lists their own station's records",
        )),
        _ => Ok(user.station.clone()),
    }
}
