//! Days as Tai'an lives them: campaign seasons, date filters and "today" follow local dates in
//! Asia/Shanghai, while every instant is stored in UTC.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;

/// Where local days begin and end.
pub const TIMEZONE: &str = "Asia/Shanghai";

/// Local midnight at the start of `date`, in UTC.
pub fn local_midnight(date: NaiveDate) -> DateTime<Utc> {
    // Asia/Shanghai has had no daylight saving since 1991, so midnight always exists once.
    Shanghai
        .from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN)),
            |t| t.with_timezone(&Utc),
        )
}

/// The local calendar date of an instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}
