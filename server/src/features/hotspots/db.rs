//! Hotspot and check-in queries.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::rules::geo::GeoPoint;

/// A hotspot as stored, with its county's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub county_code: Option<String>,
    pub county_name: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub active: bool,
}

pub const SELECT: &str = "select h.id, h.name, h.kind, h.county_code, a.name as county_name,
        st_y(h.location::geometry) as lat, st_x(h.location::geometry) as lon, h.active
    from hotspots h left join areas a on a.code = h.county_code";

pub async fn list(
    db: impl PgExecutor<'_>,
    active: Option<bool>,
    county: Option<&str>,
    kind: Option<&str>,
) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where ($1::bool is null or h.active = $1) and ($2::text is null or h.county_code = $2)
                    and ($3::text is null or h.kind = $3)
         order by h.county_code nulls last, h.name, h.id"
    )))
    .bind(active)
    .bind(county)
    .bind(kind)
    .fetch_all(db)
    .await
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Row>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where h.id = $1")))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// A hotspot as written.
#[derive(Debug, Clone, Copy)]
pub struct NewHotspot<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: &'a str,
    pub point: GeoPoint,
    pub county_code: Option<&'a str>,
    pub active: bool,
}

/// Whether a write may replace a hotspot of the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Insert or update (a supervisor's edit of a hotspot they found in scope).
    Upsert,
    /// Insert only: a proposal approved never overwrites a hotspot that has its id.
    New,
}

/// Insert or update a hotspot; `pg_notify` makes running servers reload their directory.
/// False when `Write::New` found the id taken (nothing written).
pub async fn upsert(
    conn: &mut PgConnection,
    write: Write,
    h: &NewHotspot<'_>,
) -> sqlx::Result<bool> {
    let sql = match write {
        Write::Upsert => {
            "insert into hotspots (id, name, kind, county_code, location, active, source)
         values ($1, $2, $3, $4, st_setsrid(st_makepoint($5, $6), 4326)::geography, $7, 'registered through the API')
         on conflict (id) do update set name = excluded.name, kind = excluded.kind, county_code = excluded.county_code,
             location = excluded.location, active = excluded.active, updated_at = now()"
        }
        Write::New => {
            "insert into hotspots (id, name, kind, county_code, location, active, source)
         values ($1, $2, $3, $4, st_setsrid(st_makepoint($5, $6), 4326)::geography, $7, 'registered through the API')
         on conflict (id) do nothing"
        }
    };
    let written = sqlx::query(sql)
        .bind(h.id)
        .bind(h.name)
        .bind(h.kind)
        .bind(h.county_code)
        .bind(h.point.lon())
        .bind(h.point.lat())
        .bind(h.active)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if written == 0 {
        return Ok(false);
    }
    crate::plumbing::notifications::announce(
        conn,
        crate::features::routing::DIRECTORY_CHANNEL,
        "hotspots",
    )
    .await?;
    Ok(true)
}

/// Whether a hotspot has this id.
pub async fn exists(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from hotspots where id = $1)")
        .bind(id)
        .fetch_one(db)
        .await
}

/// One check-in to insert.
#[derive(Debug, Clone)]
pub struct NewCheckin {
    pub id: Uuid,
    /// A hotspot's id, or a pending proposal's (the id its hotspot will have).
    pub place_id: Uuid,
    pub officer_id: Uuid,
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub point: GeoPoint,
    pub accuracy_m: Option<f64>,
    pub distance_m: f64,
    pub people_found: i32,
    pub items_given: serde_json::Value,
    pub notes: String,
    pub request_hash: Vec<u8>,
}

/// Insert unless the id exists; true when inserted. A check-in at a proposal waits on the
/// proposal's row lock, so one made while it is approved gets the new hotspot's id: approval
/// fills in only the check-ins it can see.
pub async fn insert_checkin(conn: &mut PgConnection, c: &NewCheckin) -> sqlx::Result<bool> {
    sqlx::query("select 1 from hotspot_proposals where id = $1 for share")
        .bind(c.place_id)
        .execute(&mut *conn)
        .await?;
    let inserted = sqlx::query(
        "insert into hotspot_checkins (id, hotspot_id, proposal_id, officer_id, at, received_at, location, accuracy_m,
                                       distance_m, people_found, items_given, notes, request_hash)
         values ($1, (select id from hotspots where id = $2), (select id from hotspot_proposals where id = $2),
                 $3, $4, $5, st_setsrid(st_makepoint($6, $7), 4326)::geography, $8, $9, $10, $11, $12, $13)
         on conflict (id) do nothing",
    )
    .bind(c.id)
    .bind(c.place_id)
    .bind(c.officer_id)
    .bind(c.at)
    .bind(c.received_at)
    .bind(c.point.lon())
    .bind(c.point.lat())
    .bind(c.accuracy_m)
    .bind(c.distance_m)
    .bind(c.people_found)
    .bind(&c.items_given)
    .bind(&c.notes)
    .bind(&c.request_hash)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// A stored check-in with its officer's username.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckinRow {
    pub id: Uuid,
    pub hotspot_id: Uuid,
    pub officer_id: Uuid,
    pub officer: String,
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub distance_m: f64,
    pub people_found: i32,
    pub items_given: serde_json::Value,
    pub request_hash: Vec<u8>,
}

pub async fn get_checkin(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<CheckinRow>> {
    sqlx::query_as(
        "select k.id, coalesce(k.hotspot_id, k.proposal_id) as hotspot_id, k.officer_id, u.username as officer, k.at, k.received_at,
                st_y(k.location::geometry) as lat, st_x(k.location::geometry) as lon, k.accuracy_m, k.distance_m,
                k.people_found, k.items_given, k.request_hash
         from hotspot_checkins k join users u on u.id = k.officer_id where k.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}
