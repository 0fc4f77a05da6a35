//! The notice's two seasons, by local date in Asia/Shanghai: 夏季送清凉 1 July – 30 September,
//! 寒冬送温暖 1 November – 31 March of the next year. `winter-2026` ends on 31 March 2027.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use mobile_api::{Campaign, CampaignKind};

use crate::rules::local_day::{local_date, local_midnight};

/// A season of a year.
pub fn season(kind: CampaignKind, year: i32) -> Option<Campaign> {
    let (starts_on, ends_on, name) = match kind {
        CampaignKind::Summer => (
            NaiveDate::from_ymd_opt(year, 7, 1)?,
            NaiveDate::from_ymd_opt(year, 9, 30)?,
            "夏季送清凉",
        ),
        CampaignKind::Winter => (
            NaiveDate::from_ymd_opt(year, 11, 1)?,
            NaiveDate::from_ymd_opt(year + 1, 3, 31)?,
            "寒冬送温暖",
        ),
    };
    let prefix = match kind {
        CampaignKind::Summer => "summer",
        CampaignKind::Winter => "winter",
    };
    Some(Campaign {
        id: format!("{prefix}-{year}"),
        kind,
        name: name.to_owned(),
        starts_on,
        ends_on,
        starts_at: local_midnight(starts_on),
        ends_at: local_midnight(ends_on.succ_opt()?),
    })
}

/// The campaign an instant falls in, by its local date.
pub fn at(instant: DateTime<Utc>) -> Option<Campaign> {
    let date = local_date(instant);
    match date.month() {
        7..=9 => season(CampaignKind::Summer, date.year()),
        11 | 12 => season(CampaignKind::Winter, date.year()),
        1..=3 => season(CampaignKind::Winter, date.year() - 1),
        _ => None,
    }
}

/// The id of the campaign an instant falls in.
pub fn id_at(instant: DateTime<Utc>) -> Option<String> {
    at(instant).map(|c| c.id)
}

/// `summer-2026` / `winter-2026`.
pub fn parse(id: &str) -> Option<Campaign> {
    let (kind, year) = id.split_once('-')?;
    let year: i32 = year.parse().ok().filter(|y| (2000..=2100).contains(y))?;
    match kind {
        "summer" => season(CampaignKind::Summer, year),
        "winter" => season(CampaignKind::Winter, year),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use chrono_tz::Asia::Shanghai;

    use super::*;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn summer_starts_at_local_midnight_on_1_july() {
        assert_eq!(id_at(local(2026, 6, 30, 23, 59)), None);
        assert_eq!(
            id_at(local(2026, 7, 1, 0, 0)).as_deref(),
            Some("summer-2026")
        );
        assert_eq!(
            id_at(local(2026, 9, 30, 23, 59)).as_deref(),
            Some("summer-2026")
        );
        assert_eq!(id_at(local(2026, 10, 1, 0, 0)), None);
    }

    #[test]
    fn winter_runs_across_the_new_year_to_31_march() {
        assert_eq!(id_at(local(2026, 10, 31, 23, 59)), None);
        assert_eq!(
            id_at(local(2026, 11, 1, 0, 0)).as_deref(),
            Some("winter-2026")
        );
        assert_eq!(
            id_at(local(2027, 1, 15, 12, 0)).as_deref(),
            Some("winter-2026")
        );
        assert_eq!(
            id_at(local(2027, 3, 31, 23, 59)).as_deref(),
            Some("winter-2026")
        );
        assert_eq!(id_at(local(2027, 4, 1, 0, 0)), None);
    }

    #[test]
    fn bounds_are_local_midnights_in_utc() {
        let w = parse("winter-2026").unwrap();
        assert_eq!(
            w.starts_at,
            Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0).unwrap()
        );
        assert_eq!(
            w.ends_at,
            Utc.with_ymd_and_hms(2027, 3, 31, 16, 0, 0).unwrap()
        );
        assert_eq!(parse("spring-2026"), None);
        assert_eq!(parse("winter-20x6"), None);
    }
}
