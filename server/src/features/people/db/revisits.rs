//! Revisits of registered and returned people.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A revisit as read, with who recorded it.
#[derive(Debug, sqlx::FromRow)]
pub struct RevisitRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub at: DateTime<Utc>,
    pub outcome: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_by_id: Uuid,
    pub referral_id: Option<Uuid>,
    pub request_hash: Vec<u8>,
}

const SELECT: &str = "select v.id, v.person_id, v.at, v.outcome, v.note, u.username as recorded_by,
        v.recorded_by as recorded_by_id, v.referral_id, v.request_hash
    from revisits v join users u on u.id = v.recorded_by";

/// A person's revisits, oldest first.
pub async fn revisits_of(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<RevisitRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where v.person_id = $1 order by v.at, v.id"
    )))
    .bind(person)
    .fetch_all(db)
    .await
}

/// One revisit by id.
pub async fn revisit(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<RevisitRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where v.id = $1")))
        .bind(id)
        .fetch_one(db)
        .await
}

/// A revisit to record.
pub struct NewRevisit<'a> {
    pub id: Uuid,
    pub person: Uuid,
    pub at: DateTime<Utc>,
    pub outcome: &'a str,
    pub note: Option<&'a str>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub request_hash: &'a [u8],
}

/// Insert unless the id exists; true when inserted.
pub async fn insert_revisit(conn: &mut PgConnection, v: &NewRevisit<'_>) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "insert into revisits (id, person_id, at, outcome, note, recorded_by, recorded_at, request_hash)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (id) do nothing",
    )
    .bind(v.id)
    .bind(v.person)
    .bind(v.at)
    .bind(v.outcome)
    .bind(v.note)
    .bind(v.recorded_by)
    .bind(v.recorded_at)
    .bind(v.request_hash)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// The referral a revisit raised.
pub async fn set_referral(
    conn: &mut PgConnection,
    revisit: Uuid,
    referral: Uuid,
) -> sqlx::Result<()> {
    sqlx::query("update revisits set referral_id = $2 where id = $1")
        .bind(revisit)
        .bind(referral)
        .execute(conn)
        .await?;
    Ok(())
}

/// Where a person lives as their open register or ledger entry says, newest first:
/// `(township code, township name, village, lat, lon)`, the point the county's interior point
/// (townships have no boundaries here).
pub async fn home_township(
    conn: &mut PgConnection,
    person: Uuid,
) -> sqlx::Result<Option<(String, String, Option<String>, f64, f64)>> {
    sqlx::query_as(
        "select t.code, t.name, e.village, st_y(p.pt), st_x(p.pt)
         from (select township_code, village, registered_at as at from register_entries
               where person_id = $1 and ended_at is null
               union all
               select township_code, null, created_at from returns
               where person_id = $1 and ended_at is null and township_code is not null) e
         join townships t on t.code = e.township_code
         join areas a on a.code = t.county_code,
         lateral (select st_pointonsurface(a.boundary) as pt) p
         order by e.at desc limit 1",
    )
    .bind(person)
    .fetch_optional(conn)
    .await
}
