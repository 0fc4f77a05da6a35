//! Family-tracing steps.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A tracing step as read, with who recorded it.
#[derive(Debug, sqlx::FromRow)]
pub struct StepRow {
    pub id: Uuid,
    pub step: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_by_id: Uuid,
    pub request_hash: Vec<u8>,
}

const SELECT: &str =
    "select k.id, k.step, k.at, k.note, u.username as recorded_by, k.recorded_by as recorded_by_id,
        k.request_hash
    from tracing_steps k join users u on u.id = k.recorded_by";

/// A person's steps, oldest first.
pub async fn steps_of(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<StepRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where k.person_id = $1 order by k.at, k.id"
    )))
    .bind(person)
    .fetch_all(db)
    .await
}

/// One step by id.
pub async fn step(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<StepRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where k.id = $1")))
        .bind(id)
        .fetch_one(db)
        .await
}

/// A step to record.
pub struct NewStep<'a> {
    pub id: Uuid,
    pub person: Uuid,
    pub step: &'a str,
    pub at: DateTime<Utc>,
    pub note: Option<&'a str>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub request_hash: &'a [u8],
}

/// Insert unless the id exists; true when inserted.
pub async fn insert_step(conn: &mut PgConnection, s: &NewStep<'_>) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "insert into tracing_steps (id, person_id, step, at, note, recorded_by, recorded_at, request_hash)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (id) do nothing",
    )
    .bind(s.id)
    .bind(s.person)
    .bind(s.step)
    .bind(s.at)
    .bind(s.note)
    .bind(s.recorded_by)
    .bind(s.recorded_at)
    .bind(s.request_hash)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
