//! Rules every report obeys, whether a patrol sighting or a hotline referral.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mobile_api::{Category, Crs, ItemCount, Location, Priority};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::plumbing::error::ApiError;
use crate::rules::geo::GeoPoint;
use crate::rules::wire;

/// A phone may upload what it kept offline for up to a week.
pub const MAX_AGE: Duration = Duration::days(7);
/// Phone clocks drift; more than this ahead is a wrong clock, not a report from the future.
pub const MAX_AHEAD: Duration = Duration::minutes(5);
pub const MAX_PEOPLE: i64 = 50;
/// Free-text limit (notes, descriptions), in characters.
pub const MAX_TEXT: usize = 4000;
/// Short fields (ticket numbers, phones, addresses), in characters.
pub const MAX_SHORT_TEXT: usize = 200;

/// A report's location: a valid point, in WGS84 whatever datum it was sent in, and a plausible
/// accuracy.
pub fn location(loc: &Location) -> Result<(GeoPoint, Option<f64>), ApiError> {
    let point = position(loc.lat, loc.lon, loc.crs)?;
    if let Some(acc) = loc.accuracy_m
        && !(acc.is_finite() && (0.0..=100_000.0).contains(&acc))
    {
        return Err(ApiError::unprocessable(
            "invalid_accuracy",
            "location.accuracy_m must be between 0 and 100000 metres",
        ));
    }
    Ok((point, loc.accuracy_m))
}

/// A point sent in `crs` (WGS84 when absent), in WGS84; `400 invalid_crs` for an unknown datum.
pub fn position(lat: f64, lon: f64, crs: Option<Crs>) -> Result<GeoPoint, ApiError> {
    let sent = GeoPoint::new(lat, lon)?;
    match crs {
        None | Some(Crs::Wgs84) => Ok(sent),
        Some(Crs::Unknown) => Err(invalid_crs()),
        Some(crs) => {
            let (lat, lon) = crate::rules::geo::crs::to_wgs84(crs, lat, lon);
            GeoPoint::new(lat, lon)
        }
    }
}

pub fn invalid_crs() -> ApiError {
    ApiError::bad_request("invalid_crs", "crs is wgs84, gcj02 or bd09")
}

/// The position as sent, when it was not WGS84 (kept beside the stored point).
pub fn original(loc: &Location) -> Option<crate::rules::geo::crs::Original> {
    crate::rules::geo::crs::Original::of(loc.lat, loc.lon, loc.crs)
}

/// When something happened: not more than [`MAX_AGE`] ago, not more than [`MAX_AHEAD`] ahead.
pub fn event_time(
    field: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ApiError> {
    if at > now + MAX_AHEAD {
        return Err(ApiError::unprocessable(
            "time_in_future",
            format!("{field} is more than 5 minutes in the future: check the phone's clock"),
        ));
    }
    if at < now - MAX_AGE {
        return Err(ApiError::unprocessable(
            "time_too_old",
            format!("{field} is more than 7 days ago"),
        ));
    }
    Ok(at)
}

/// The first day a record of something that happened may name: older dates are typing errors.
pub const EARLIEST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The day something happened (a return home): from [`EARLIEST_DAY`] to tomorrow, local.
pub fn past_date(field: &str, day: NaiveDate, now: DateTime<Utc>) -> Result<NaiveDate, ApiError> {
    let tomorrow = crate::rules::local_day::local_date(now) + Duration::days(1);
    if day < EARLIEST_DAY || day > tomorrow {
        return Err(ApiError::unprocessable(
            "invalid_date",
            format!("{field} must lie between 2000-01-01 and tomorrow"),
        ));
    }
    Ok(day)
}

/// When a step of a person's record happened (a tracing step, which may be entered long after):
/// not in the future, not before [`EARLIEST_DAY`].
pub fn past_time(
    field: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ApiError> {
    if at > now + MAX_AHEAD {
        return Err(ApiError::unprocessable(
            "time_in_future",
            format!("{field} is in the future"),
        ));
    }
    if at < crate::rules::local_day::local_midnight(EARLIEST_DAY) {
        return Err(ApiError::unprocessable(
            "invalid_date",
            format!("{field} is before 2000-01-01"),
        ));
    }
    Ok(at)
}

pub fn people_count(n: i64) -> Result<i32, ApiError> {
    if (1..=MAX_PEOPLE).contains(&n) {
        Ok(i32::try_from(n).unwrap_or(1))
    } else {
        Err(ApiError::unprocessable(
            "invalid_people_count",
            "people_count must be between 1 and 50",
        ))
    }
}

/// Optional free text, trimmed, within `max` characters.
pub fn text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim();
    if value.chars().count() > max {
        return Err(ApiError::unprocessable(
            "text_too_long",
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// Sorted and without repeats, so that the same report hashes the same however it is spelled.
pub fn categories(mut categories: Vec<Category>) -> Vec<Category> {
    categories.sort();
    categories.dedup();
    categories
}

/// The notice's special targets (特殊救助对象). SQL asks `is_special(categories)`, defined
/// once in the migrations with the same three.
pub const SPECIAL_TARGETS: [Category; 3] =
    [Category::Minor, Category::Elderly, Category::MentalDisorder];

/// Whether stored categories (wire names) include a special target.
pub fn is_special(categories: &[String]) -> bool {
    categories
        .iter()
        .any(|c| SPECIAL_TARGETS.iter().any(|s| wire::name(s) == *c))
}

/// The notice's special targets, people with a disability (肢体和智力残疾人员, grouped with them
/// by the notice) and anyone ill or injured must be told to the station at once.
pub fn is_urgent(categories: &[Category]) -> bool {
    categories.iter().any(|c| {
        SPECIAL_TARGETS.contains(c) || matches!(c, Category::IllOrInjured | Category::Disabled)
    })
}

pub fn priority(categories: &[Category]) -> Priority {
    if is_urgent(categories) {
        Priority::Urgent
    } else {
        Priority::Normal
    }
}

/// SHA-256 of a normalised request: equal for a replay, different for a changed body.
pub fn request_hash<T: Serialize>(normalised: &T) -> Vec<u8> {
    let bytes = serde_json::to_vec(normalised).unwrap_or_default();
    Sha256::digest(bytes).to_vec()
}

/// Supplies handed out: counts 1..=1000, one line per item (repeats are added up), sorted.
pub fn items(items: Vec<ItemCount>) -> Result<Vec<ItemCount>, ApiError> {
    let mut merged: std::collections::BTreeMap<mobile_api::Item, i64> =
        std::collections::BTreeMap::new();
    for line in items {
        if !(1..=1000).contains(&line.count) {
            return Err(ApiError::unprocessable(
                "invalid_item_count",
                "each item count must be between 1 and 1000",
            ));
        }
        *merged.entry(line.item).or_default() += line.count;
    }
    Ok(merged
        .into_iter()
        .map(|(item, count)| ItemCount { item, count })
        .collect())
}

/// A phone number: digits with the usual separators, so a typo in the field is caught at intake.
pub fn phone(value: Option<String>) -> Result<Option<String>, ApiError> {
    let value = text("caller_phone", value, 32)?;
    if let Some(p) = &value {
        let digits = p.chars().filter(char::is_ascii_digit).count();
        let allowed = p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
        if !allowed || !(3..=20).contains(&digits) {
            return Err(ApiError::unprocessable(
                "invalid_phone",
                "caller_phone must be a phone number (digits, spaces, + - ( ))",
            ));
        }
    }
    Ok(value)
}
