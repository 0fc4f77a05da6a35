//! Alert queries.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub kind: String,
    pub counties: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: String,
    pub created_by: Uuid,
    pub creator: String,
    pub request_hash: Vec<u8>,
}

const SELECT: &str =
    "select a.id, a.kind, a.counties, a.starts_at, a.ends_at, a.note, a.created_by,
        u.username as creator, a.request_hash
    from alerts a join users u on u.id = a.created_by";

/// The codes among `counties` that are Tai'an's county-level areas.
pub async fn known_counties(
    db: impl PgExecutor<'_>,
    counties: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("select code from areas where code = any($1)")
        .bind(counties)
        .fetch_all(db)
        .await
}

/// An alert to declare.
#[derive(Debug, Clone)]
pub struct NewAlert<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub counties: &'a [String],
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: &'a str,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub request_hash: &'a [u8],
}

/// Insert unless the id exists; true when inserted.
pub async fn insert_new(db: impl PgExecutor<'_>, a: &NewAlert<'_>) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "insert into alerts (id, kind, counties, starts_at, ends_at, note, created_by, created_at, request_hash)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (id) do nothing",
    )
    .bind(a.id)
    .bind(a.kind)
    .bind(a.counties)
    .bind(a.starts_at)
    .bind(a.ends_at)
    .bind(a.note)
    .bind(a.created_by)
    .bind(a.created_at)
    .bind(a.request_hash)
    .execute(db)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// One alert; with `county`, only if it covers that county.
pub async fn get(
    db: impl PgExecutor<'_>,
    id: Uuid,
    county: Option<&str>,
) -> sqlx::Result<Option<Row>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where a.id = $1 and ($2::text is null or $2 = any(a.counties))"
    )))
    .bind(id)
    .bind(county)
    .fetch_optional(db)
    .await
}

/// Alerts, newest first; `active_at` keeps those in force at that instant, `county` those
/// covering it.
pub async fn list(
    db: impl PgExecutor<'_>,
    active_at: Option<DateTime<Utc>>,
    county: Option<&str>,
) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where ($1::timestamptz is null or (a.starts_at <= $1 and a.ends_at > $1))
           and ($2::text is null or $2 = any(a.counties))
         order by a.starts_at desc, a.id limit 500"
    )))
    .bind(active_at)
    .bind(county)
    .fetch_all(db)
    .await
}

/// Each active hotspot of the counties with its check-ins in `[from, to)`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CoverageRow {
    #[sqlx(flatten)]
    pub hotspot: crate::features::hotspots::HotspotRow,
    pub last_at: Option<DateTime<Utc>>,
    pub last_by: Option<String>,
    pub checkins: i64,
}

/// The last visitor's username only where `names`.
pub async fn coverage(
    db: impl PgExecutor<'_>,
    counties: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    names: bool,
) -> sqlx::Result<Vec<CoverageRow>> {
    sqlx::query_as(
        "select h.id, h.name, h.kind, h.county_code, ar.name as county_name,
                st_y(h.location::geometry) as lat, st_x(h.location::geometry) as lon, h.active,
                last.at as last_at, case when $4 then last.username end as last_by,
                coalesce(n.checkins, 0) as checkins
         from hotspots h
         left join areas ar on ar.code = h.county_code
         left join lateral (
             select k.at, u.username from hotspot_checkins k join users u on u.id = k.officer_id
             where k.hotspot_id = h.id and k.at >= $2 and k.at < $3 order by k.at desc limit 1
         ) last on true
         left join lateral (
             select count(*) as checkins from hotspot_checkins k
             where k.hotspot_id = h.id and k.at >= $2 and k.at < $3
         ) n on true
         where h.active and h.county_code = any($1)
         order by last.at is not null, h.county_code, h.name",
    )
    .bind(counties)
    .bind(from)
    .bind(to)
    .bind(names)
    .fetch_all(db)
    .await
}

/// An alert whose half-way point has passed and whose unvisited hotspots were not yet pushed.
#[derive(Debug)]
pub struct HalfwayDue {
    pub id: Uuid,
    pub kind: String,
    pub counties: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Those alerts, locked (`skip locked`: two servers never push one twice).
pub async fn halfway_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<HalfwayDue>> {
    sqlx::query_as!(
        HalfwayDue,
        "select id, kind, counties, starts_at, ends_at from alerts
         where halfway_notified_at is null and starts_at + (ends_at - starts_at) / 2 <= $1
         order by id for update skip locked",
        now
    )
    .fetch_all(conn)
    .await
}

pub async fn mark_halfway_notified(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update alerts set halfway_notified_at = $2 where id = $1",
        id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}
