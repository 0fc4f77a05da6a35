//! Every statement of the station directory that bypasses the in-memory directory.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

/// The six areas as a FeatureCollection, encoded by PostGIS (the polygons only pass through).
pub async fn areas_geojson(db: impl PgExecutor<'_>) -> sqlx::Result<serde_json::Value> {
    sqlx::query_scalar(
        "select json_build_object(
             'type', 'FeatureCollection',
             'features', coalesce(json_agg(json_build_object(
                 'type', 'Feature',
                 'geometry', st_asgeojson(boundary, 6)::json,
                 'properties', json_build_object('code', code, 'name', name, 'station_code', station_code)
             ) order by code), '[]'::json))
         from areas",
    )
    .fetch_one(db)
    .await
}

pub async fn station_exists(db: &PgPool, code: &str) -> sqlx::Result<bool> {
    let known = sqlx::query_scalar!(
        r#"select exists (select 1 from stations where code = $1) as "known!""#,
        code
    )
    .fetch_one(db)
    .await?;
    Ok(known)
}

pub async fn area_exists(db: &PgPool, code: &str) -> sqlx::Result<bool> {
    let known = sqlx::query_scalar!(
        r#"select exists (select 1 from areas where code = $1) as "known!""#,
        code
    )
    .fetch_one(db)
    .await?;
    Ok(known)
}

/// An operator's correction of a station, with what it replaces (kept in `station_changes`).
pub struct Correction<'a> {
    pub code: &'a str,
    pub by: Uuid,
    pub source: &'a str,
    /// The new position (lat, lon), if it moved.
    pub point: Option<(f64, f64)>,
    pub was_at: (f64, f64),
    /// The position as sent, before conversion: (datum, lat, lon).
    pub sent: Option<(&'a str, f64, f64)>,
    pub address: Option<&'a str>,
    pub was_address: &'a str,
    pub phone: Option<&'a str>,
    pub was_phone: &'a str,
}

/// Apply a correction and keep it: the station row and its history in one go.
pub async fn correct(
    conn: &mut PgConnection,
    c: &Correction<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let (lat, lon) = (c.point.map(|p| p.0), c.point.map(|p| p.1));
    sqlx::query!(
        "update stations set
             location = coalesce(st_setsrid(st_makepoint($2, $3), 4326)::geography, location),
             position_note = case when $2::float8 is null then position_note else 'corrected by an operator: ' || $6 end,
             position_error_m = case when $2::float8 is null then position_error_m end,
             address = coalesce($4, address), phone = coalesce($5, phone),
             corrected_at = $7, updated_at = $7
         where code = $1",
        c.code,
        lon,
        lat,
        c.address,
        c.phone,
        c.source,
        now,
    )
    .execute(&mut *conn)
    .await?;
    let moved = c.point.is_some();
    sqlx::query!(
        "insert into station_changes (station_code, changed_by, changed_at, source, old_lat, old_lon, new_lat, new_lon,
                                      sent_crs, sent_lat, sent_lon, old_address, new_address, old_phone, new_phone)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        c.code,
        c.by,
        now,
        c.source,
        moved.then_some(c.was_at.0),
        moved.then_some(c.was_at.1),
        lat,
        lon,
        c.sent.map(|s| s.0),
        c.sent.map(|s| s.1),
        c.sent.map(|s| s.2),
        c.address.map(|_| c.was_address),
        c.address,
        c.phone.map(|_| c.was_phone),
        c.phone,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One correction as the history lists it.
#[derive(Debug)]
pub struct Change {
    pub changed_at: DateTime<Utc>,
    pub username: String,
    pub source: String,
    pub old_lat: Option<f64>,
    pub old_lon: Option<f64>,
    pub new_lat: Option<f64>,
    pub new_lon: Option<f64>,
    pub sent_crs: Option<String>,
    pub sent_lat: Option<f64>,
    pub sent_lon: Option<f64>,
    pub old_address: Option<String>,
    pub new_address: Option<String>,
    pub old_phone: Option<String>,
    pub new_phone: Option<String>,
}

pub async fn history(db: &PgPool, code: &str) -> sqlx::Result<Vec<Change>> {
    sqlx::query_as!(
        Change,
        "select c.changed_at, u.username, c.source, c.old_lat, c.old_lon, c.new_lat, c.new_lon, c.sent_crs,
                c.sent_lat, c.sent_lon, c.old_address, c.new_address, c.old_phone, c.new_phone
         from station_changes c join users u on u.id = c.changed_by
         where c.station_code = $1 order by c.id",
        code
    )
    .fetch_all(db)
    .await
}

/// Where every referral and sighting since `since` was: (kind, id, lat, lon).
pub async fn positions_since(
    db: &PgPool,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<(String, Uuid, f64, f64)>> {
    let rows = sqlx::query!(
        r#"select 'referral' as "kind!", id as "id!", st_y(location::geometry) as "lat!", st_x(location::geometry) as "lon!"
           from referrals where reported_at >= $1
           union all
           select 'sighting', id, st_y(location::geometry), st_x(location::geometry)
           from sightings where observed_at >= $1"#,
        since
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.kind, r.id, r.lat, r.lon))
        .collect())
}
