//! Three days before each filing date (`XUNJIU_ANNEX1_DUE`, month-day, local), the supervisors of
//! every unit that has not filed for it are pushed to, once a unit and date: a county's own, the
//! city's for the city station and the functional zones.

use chrono::{Datelike, NaiveDate};
use serde_json::json;

use super::compute;
use crate::features::push::{self, Audience};
use crate::plumbing::state::AppState;

/// Days before a due date that the reminder goes out.
pub const LEAD_DAYS: i64 = 3;

/// The due dates (`MM-DD`, comma-separated) falling in `year`.
pub fn due_dates(setting: &str, year: i32) -> Vec<NaiveDate> {
    setting
        .split(',')
        .filter_map(|md| {
            NaiveDate::parse_from_str(&format!("{year}-{}", md.trim()), "%Y-%m-%d").ok()
        })
        .collect()
}

/// One pass; returns the notifications queued.
pub async fn run_once(state: &AppState) -> anyhow::Result<u64> {
    let now = state.clock.now();
    let today = crate::rules::local_day::local_date(now);
    let due: Vec<NaiveDate> = [today.year(), today.year() + 1]
        .into_iter()
        .flat_map(|y| due_dates(&state.settings.annex1_due, y))
        .filter(|d| today >= *d - chrono::Duration::days(LEAD_DAYS) && today <= *d)
        .collect();
    let mut queued = 0;
    for date in due {
        for unit in compute::units(&state.db).await? {
            let mut tx = state.db.begin().await?;
            // The reminder row is the claim: a second server, or a second pass, finds it taken.
            let claimed = sqlx::query(
                "insert into annex1_reminders (unit, due, pushed_at)
                 select $1, $2, $3
                 where not exists (select 1 from annex1_filings f where f.unit = $1 and f.as_of = $2)
                 on conflict do nothing",
            )
            .bind(unit.code())
            .bind(date)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 1 {
                let audience = Audience {
                    county_supervisors_of: unit.county().map(str::to_owned),
                    city_supervisors: unit.county().is_none(),
                    ..Audience::default()
                };
                let payload = json!({
                    "type": "annex1_due", "unit": unit.code(), "due": date,
                    "title": "汇总表待报送 Annex 1 due",
                    "body": format!("{} · {} 前报送", unit.name(), date.format("%Y-%m-%d")),
                    "url": "/console/",
                });
                queued += push::enqueue_untied(&mut tx, &audience, &payload, now).await?;
            }
            tx.commit().await?;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_dates_are_the_notices_three() {
        let dates = due_dates("07-31,11-30,03-31", 2027);
        assert_eq!(dates.len(), 3);
        assert_eq!(dates[2], NaiveDate::from_ymd_opt(2027, 3, 31).unwrap());
        assert!(due_dates("02-30", 2027).is_empty(), "no such day");
    }
}
