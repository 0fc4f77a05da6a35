//! Facts per referral, read from the event log alone.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// What the log says of one referral.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Facts {
    pub id: Uuid,
    pub priority: String,
    /// The creator's agency for patrol reports, else the channel (110, 12345, …).
    pub agency: String,
    pub routed_at: DateTime<Utc>,
    /// The station that first received it (首接).
    pub first_station: String,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<String>,
    pub on_scene_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub status: String,
    pub escalations: i64,
    /// The county-level area where it happened.
    pub area_code: Option<String>,
    /// The primary of the case it was linked into, if any.
    pub case_id: Option<Uuid>,
    /// `report` or `handover`.
    pub kind: String,
}

/// Referrals whose first routing falls in `[from, to)`, optionally of one first station or of
/// one county.
pub async fn facts(
    db: impl PgExecutor<'_>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    station: Option<&str>,
    county: Option<&str>,
) -> sqlx::Result<Vec<Facts>> {
    sqlx::query_as(
        "with first_routing as (
             select distinct on (referral_id) referral_id, at, station_code
             from referral_events where kind = 'routed' order by referral_id, id
         ), first_acceptance as (
             select distinct on (e.referral_id) e.referral_id, e.at, u.username
             from referral_events e left join users u on u.id = e.actor_id
             where e.kind = 'accepted' order by e.referral_id, e.id
         ), first_arrival as (
             select distinct on (referral_id) referral_id, at
             from referral_events where kind = 'on_scene' order by referral_id, id
         ), last_resolution as (
             select distinct on (referral_id) referral_id, outcome
             from referral_events where kind = 'resolved' order by referral_id, id desc
         ), last_status as (
             select distinct on (referral_id) referral_id, to_status
             from referral_events where to_status is not null order by referral_id, id desc
         ), escalations as (
             select referral_id, count(*) as n from referral_events where kind = 'escalated' group by referral_id
         )
         select r.id, r.priority, coalesce(u.agency, r.channel) as agency,
                fr.at as routed_at, fr.station_code as first_station,
                fa.at as accepted_at, fa.username as accepted_by, arr.at as on_scene_at,
                lr.outcome, ls.to_status as status, coalesce(es.n, 0) as escalations, r.area_code,
                r.case_id, r.kind
         from referrals r
         left join users u on u.id = r.created_by
         join first_routing fr on fr.referral_id = r.id
         join last_status ls on ls.referral_id = r.id
         left join first_acceptance fa on fa.referral_id = r.id
         left join first_arrival arr on arr.referral_id = r.id
         left join last_resolution lr on lr.referral_id = r.id
         left join escalations es on es.referral_id = r.id
         where ($1::timestamptz is null or fr.at >= $1)
           and ($2::timestamptz is null or fr.at < $2)
           and ($3::text is null or fr.station_code = $3)
           and ($4::text is null or county_of(r.area_code, r.accountable_station) = $4)
         order by fr.at, r.id",
    )
    .bind(from)
    .bind(to)
    .bind(station)
    .bind(county)
    .fetch_all(db)
    .await
}

/// `(from station, to station)` of every transfer in the period, optionally of one county's
/// referrals.
pub async fn transfers(
    db: impl PgExecutor<'_>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    county: Option<&str>,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "select e.station_code, e.target_station from referral_events e
         join referrals r on r.id = e.referral_id
         where e.kind = 'transferred' and e.station_code is not null and e.target_station is not null
           and ($1::timestamptz is null or e.at >= $1) and ($2::timestamptz is null or e.at < $2)
           and ($3::text is null or county_of(r.area_code, r.accountable_station) = $3)",
    )
    .bind(from)
    .bind(to)
    .bind(county)
    .fetch_all(db)
    .await
}

/// Stations that serve or stand in `county`.
pub async fn stations_of_county(
    db: impl PgExecutor<'_>,
    county: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select code from stations where station_serves_county(code, $1) order by code",
    )
    .bind(county)
    .fetch_all(db)
    .await
}
