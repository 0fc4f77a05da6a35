//! Query-string filters that list endpoints share: time windows, bounding boxes, pages.
//! Values arrive as text so that each bad one gets its own error code.

use chrono::{DateTime, NaiveDate, Utc};

use crate::plumbing::error::ApiError;
use crate::rules::account::CurrentUser;

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
    for (name, t) in [("from", from), ("to", to)] {
        if let Some(t) = t {
            in_range(name, t)?;
        }
    }
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::bad_request("invalid_time", "from is after to"));
    }
    Ok((from, to))
}

/// The first and last days a query or a plan may name.
const FIRST_DAY: (i32, u32, u32) = (2000, 1, 1);
const LAST_DAY: (i32, u32, u32) = (2100, 12, 31);

fn day((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// A time in a query or a plan (an alert's window): 2000-01-01 to 2100-12-31, else 400
/// `invalid_time`, so that no read computes with a year it cannot hold.
pub fn in_range(name: &str, t: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    use crate::rules::local_day::local_midnight;
    let after_last = day(LAST_DAY).succ_opt().unwrap_or(NaiveDate::MAX);
    if t < local_midnight(day(FIRST_DAY)) || t >= local_midnight(after_last) {
        return Err(ApiError::bad_request(
            "invalid_time",
            format!("{name} must lie between 2000-01-01 and 2100-12-31"),
        ));
    }
    Ok(t)
}

/// A local date in a query (`YYYY-MM-DD`): malformed is 400 `invalid_date`, outside 2000-01-01
/// to 2100-12-31 is 400 `invalid_time`.
pub fn query_date(name: &str, text: &str) -> Result<NaiveDate, ApiError> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request("invalid_date", format!("{name} is a date, YYYY-MM-DD"))
    })?;
    if date < day(FIRST_DAY) || date > day(LAST_DAY) {
        return Err(ApiError::bad_request(
            "invalid_time",
            format!("{name} must lie between 2000-01-01 and 2100-12-31"),
        ));
    }
    Ok(date)
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
