//! Every statement of `xunjiu seed`, checked against the schema at compile time.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{AreaRecord, HotspotRecord, StationRecord, TownshipRecord};

/// Stations an operator corrected (`PATCH /api/v1/stations/{code}`): the seed leaves them be.
pub async fn corrected_stations(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("select code from stations where corrected_at is not null order by code")
        .fetch_all(pool)
        .await
}

pub async fn upsert_station(
    conn: &mut PgConnection,
    s: &StationRecord,
    source: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into stations (code, name, address, phone, county_code, location, position_note, position_error_m, source)
         values ($1, $2, $3, $4, $5, st_setsrid(st_makepoint($6, $7), 4326)::geography, $8, $9, $10)
         on conflict (code) do update set
             name = excluded.name, address = excluded.address, phone = excluded.phone,
             county_code = excluded.county_code, location = excluded.location,
             position_note = excluded.position_note, position_error_m = excluded.position_error_m,
             source = excluded.source, updated_at = now()
         where stations.corrected_at is null",
        s.code,
        s.name,
        s.address,
        s.phone,
        s.county_adcode,
        s.lon,
        s.lat,
        s.position,
        s.est_error_m,
        source,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn upsert_area(
    conn: &mut PgConnection,
    a: &AreaRecord,
    boundary: &serde_json::Value,
    source: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into areas (code, name, station_code, boundary, source)
         values ($1, $2, $3, st_multi(st_makevalid(st_setsrid(st_geomfromgeojson($4::text), 4326))), $5)
         on conflict (code) do update set
             name = excluded.name, station_code = excluded.station_code,
             boundary = excluded.boundary, source = excluded.source, updated_at = now()",
        a.code,
        a.name,
        a.station_code,
        boundary.to_string(),
        source,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn upsert_township(conn: &mut PgConnection, t: &TownshipRecord) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into townships (code, name, county_code) values ($1, $2, $3)
         on conflict (code) do update set name = excluded.name, county_code = excluded.county_code",
        t.code,
        t.name,
        t.county_code,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The areas grown by `margin_m`. Buffering on geography works in metres (PostGIS projects to
/// a fitting UTM zone); 32 segments per quarter circle keep the margin within a few metres.
pub async fn compute_service_area(conn: &mut PgConnection, margin_m: f64) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into service_area (id, margin_m, boundary)
         select true, $1, st_multi(st_buffer(st_union(boundary)::geography, $1, 'quad_segs=32')::geometry)
         from areas
         on conflict (id) do update set margin_m = excluded.margin_m, boundary = excluded.boundary, updated_at = now()",
        margin_m
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A seeded hotspot, created once and never overwritten.
pub async fn insert_hotspot(
    conn: &mut PgConnection,
    id: Uuid,
    h: &HotspotRecord,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into hotspots (id, name, kind, county_code, location, position_error_m, source)
         values ($1, $2, $3, $4, st_setsrid(st_makepoint($5, $6), 4326)::geography, $7, $8)
         on conflict (id) do nothing",
        id,
        h.name,
        h.kind,
        h.county_adcode,
        h.lon,
        h.lat,
        h.est_error_m,
        h.source,
    )
    .execute(conn)
    .await?;
    Ok(())
}
