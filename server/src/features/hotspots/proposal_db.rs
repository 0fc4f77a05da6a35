//! Queries of hotspot proposals. Reads carry the reader's scope in their `where`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::rules::geo::GeoPoint;

/// A proposal as stored, with names and its check-ins counted.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    pub county_code: Option<String>,
    pub county_name: Option<String>,
    pub note: String,
    pub proposed_by: Uuid,
    pub proposer: String,
    pub proposed_at: DateTime<Utc>,
    pub status: String,
    pub decider: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub checkins: i64,
    pub request_hash: Vec<u8>,
}

const SELECT: &str = "select p.id, p.name, p.kind, st_y(p.location::geometry) as lat,
        st_x(p.location::geometry) as lon, p.county_code, a.name as county_name, p.note,
        p.proposed_by, u.username as proposer, p.proposed_at, p.status, d.username as decider,
        p.decided_at, p.reason,
        (select count(*) from hotspot_checkins k where k.proposal_id = p.id) as checkins,
        p.request_hash
    from hotspot_proposals p
    join users u on u.id = p.proposed_by
    left join users d on d.id = p.decided_by
    left join areas a on a.code = p.county_code";

/// Which proposals a reader sees.
#[derive(Debug, Clone)]
pub enum Reader {
    /// City supervisors.
    All,
    /// County supervisors: places in their county.
    County(String),
    /// Duty officers: places in the counties their station serves.
    Station(String),
    /// Patrol officers: what they proposed.
    Proposer(Uuid),
}

impl Reader {
    /// The condition on `p`; `$n` is bound to [`Self::arg`] (null for everyone).
    fn condition(&self, n: usize) -> String {
        match self {
            Reader::All => format!("${n}::text is null"),
            Reader::County(_) => format!("p.county_code = ${n}"),
            Reader::Station(_) => format!("station_serves_county(${n}, p.county_code)"),
            Reader::Proposer(_) => format!("p.proposed_by = ${n}::uuid"),
        }
    }

    fn arg(&self) -> Option<String> {
        match self {
            Reader::All => None,
            Reader::County(v) | Reader::Station(v) => Some(v.clone()),
            Reader::Proposer(id) => Some(id.to_string()),
        }
    }
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid, reader: &Reader) -> sqlx::Result<Option<Row>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where p.id = $1 and {}",
        reader.condition(2)
    )))
    .bind(id)
    .bind(reader.arg())
    .fetch_optional(db)
    .await
}

/// Oldest first, so that the longest-waiting is decided first.
pub async fn list(
    db: impl PgExecutor<'_>,
    reader: &Reader,
    status: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where ($1::text is null or p.status = $1) and {}
         order by p.proposed_at, p.id limit $2",
        reader.condition(3)
    )))
    .bind(status)
    .bind(limit)
    .bind(reader.arg())
    .fetch_all(db)
    .await
}

/// What `officer` proposed under `id`, whatever its status.
pub async fn proposed_by(
    db: impl PgExecutor<'_>,
    id: Uuid,
    officer: Uuid,
) -> sqlx::Result<Option<Row>> {
    get(db, id, &Reader::Proposer(officer)).await
}

/// One proposal to insert.
pub struct NewRow<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: &'a str,
    pub point: GeoPoint,
    pub county_code: Option<&'a str>,
    pub note: &'a str,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub request_hash: &'a [u8],
}

/// Insert unless the id exists; true when inserted.
pub async fn insert(db: impl PgExecutor<'_>, n: &NewRow<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into hotspot_proposals (id, name, kind, location, county_code, note, proposed_by, proposed_at, request_hash)
         values ($1, $2, $3, st_setsrid(st_makepoint($4, $5), 4326)::geography, $6, $7, $8, $9, $10)
         on conflict (id) do nothing",
    )
    .bind(n.id)
    .bind(n.name)
    .bind(n.kind)
    .bind(n.point.lon())
    .bind(n.point.lat())
    .bind(n.county_code)
    .bind(n.note)
    .bind(n.proposed_by)
    .bind(n.proposed_at)
    .bind(n.request_hash)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who stored the proposal under `id`, and the hash of what they sent.
pub async fn fingerprint(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<(Uuid, Vec<u8>)>> {
    sqlx::query_as("select proposed_by, request_hash from hotspot_proposals where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Lock the proposal for a decision; its status, if it exists.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select status from hotspot_proposals where id = $1 for update")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Record the decision.
pub async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    by: Uuid,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update hotspot_proposals set status = $2, decided_by = $3, reason = $4, decided_at = $5 where id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(by)
    .bind(reason)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The check-ins made at the proposal now count for its hotspot (the same id).
pub async fn adopt_checkins(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "update hotspot_checkins set hotspot_id = proposal_id where proposal_id = $1 and hotspot_id is null",
    )
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())
}
