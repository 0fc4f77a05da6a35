//! Stage-report figures per county.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub type Window = (DateTime<Utc>, DateTime<Utc>);

/// `(code, name)` of the county-level areas, or of the one asked for.
pub async fn counties(
    db: impl PgExecutor<'_>,
    only: Option<&str>,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("select code, name from areas where $1::text is null or code = $1 order by code")
        .bind(only)
        .fetch_all(db)
        .await
}

/// `(county, sightings, people, special)`.
pub async fn sightings(
    db: impl PgExecutor<'_>,
    w: Window,
    county: Option<&str>,
) -> sqlx::Result<Vec<(Option<String>, i64, i64, i64)>> {
    sqlx::query_as(
        "select area_code, count(*), coalesce(sum(people_count), 0)::int8,
                count(*) filter (where is_special(categories))
         from sightings where observed_at >= $1 and observed_at < $2
           and ($3::text is null or area_code = $3)
         group by area_code",
    )
    .bind(w.0)
    .bind(w.1)
    .bind(county)
    .fetch_all(db)
    .await
}

/// `(county, channel, referrals)`.
pub async fn referrals_by_channel(
    db: impl PgExecutor<'_>,
    w: Window,
    county: Option<&str>,
) -> sqlx::Result<Vec<(Option<String>, String, i64)>> {
    sqlx::query_as(
        "select area_code, channel, count(*) from referrals
         where reported_at >= $1 and reported_at < $2 and ($3::text is null or area_code = $3)
         group by area_code, channel",
    )
    .bind(w.0)
    .bind(w.1)
    .bind(county)
    .fetch_all(db)
    .await
}

/// `(county, item, count)` from sightings and hotspot check-ins.
pub async fn supplies(
    db: impl PgExecutor<'_>,
    w: Window,
    county: Option<&str>,
) -> sqlx::Result<Vec<(Option<String>, String, i64)>> {
    sqlx::query_as(
        "select county, item, sum(n)::int8 from (
             select s.area_code as county, i->>'item' as item, (i->>'count')::int8 as n
             from sightings s, jsonb_array_elements(s.items_given) i
             where s.observed_at >= $1 and s.observed_at < $2
             union all
             select h.county_code, i->>'item', (i->>'count')::int8
             from hotspot_checkins k join hotspots h on h.id = k.hotspot_id, jsonb_array_elements(k.items_given) i
             where k.at >= $1 and k.at < $2
         ) x where $3::text is null or county = $3 group by county, item",
    )
    .bind(w.0)
    .bind(w.1)
    .bind(county)
    .fetch_all(db)
    .await
}

/// `(county, active hotspots)`.
pub async fn hotspots_registered(
    db: impl PgExecutor<'_>,
    county: Option<&str>,
) -> sqlx::Result<Vec<(Option<String>, i64)>> {
    sqlx::query_as(
        "select county_code, count(*) from hotspots
         where active and ($1::text is null or county_code = $1) group by county_code",
    )
    .bind(county)
    .fetch_all(db)
    .await
}

/// `(county, distinct hotspots checked while an alert covering the county was in force)`.
pub async fn hotspots_checked_in_alerts(
    db: impl PgExecutor<'_>,
    w: Window,
    county: Option<&str>,
) -> sqlx::Result<Vec<(Option<String>, i64)>> {
    sqlx::query_as(
        "select h.county_code, count(distinct h.id)
         from hotspot_checkins k
         join hotspots h on h.id = k.hotspot_id
         join alerts a on h.county_code = any(a.counties) and k.at >= a.starts_at and k.at < a.ends_at
         where k.at >= $1 and k.at < $2 and ($3::text is null or h.county_code = $3)
         group by h.county_code",
    )
    .bind(w.0)
    .bind(w.1)
    .bind(county)
    .fetch_all(db)
    .await
}
