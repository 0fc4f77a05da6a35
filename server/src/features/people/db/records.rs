//! Person records: written, corrected, and their history.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// The fields of a record as validated, text trimmed and empty text as none (also what a
/// retry's hash covers).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Fields {
    pub name: Option<String>,
    pub alias: Option<String>,
    pub sex: Option<String>,
    pub birth_year: Option<i32>,
    pub age_estimate: Option<i32>,
    pub id_number: Option<String>,
    pub home_address: Option<String>,
    pub home_county_code: Option<String>,
    pub description: Option<String>,
}

/// A record as stored, unmasked, for a correction.
#[derive(Debug, sqlx::FromRow)]
pub struct Stored {
    pub name: Option<String>,
    pub alias: Option<String>,
    pub sex: String,
    pub birth_year: Option<i32>,
    pub age_estimate: Option<i32>,
    pub id_number: Option<String>,
    pub home_address: Option<String>,
    pub home_county_code: Option<String>,
    pub description: Option<String>,
}

/// Insert unless the id exists; true when inserted.
pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    f: &Fields,
    by: Uuid,
    now: DateTime<Utc>,
    request_hash: &[u8],
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "insert into people (id, name, alias, sex, birth_year, age_estimate, id_number, home_address,
                             home_county_code, description, created_by, created_at, updated_at, request_hash)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)
         on conflict (id) do nothing",
    )
    .bind(id)
    .bind(&f.name)
    .bind(&f.alias)
    .bind(&f.sex)
    .bind(f.birth_year)
    .bind(f.age_estimate)
    .bind(&f.id_number)
    .bind(&f.home_address)
    .bind(&f.home_county_code)
    .bind(&f.description)
    .bind(by)
    .bind(now)
    .bind(request_hash)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Who created a record and what they sent, to tell a replay from a conflict.
pub async fn fingerprint(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<(Uuid, Vec<u8>)> {
    sqlx::query_as("select created_by, request_hash from people where id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// The stored fields, locked for a correction.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Stored> {
    sqlx::query_as(
        "select name, alias, sex, birth_year, age_estimate, id_number, home_address, home_county_code, description
         from people where id = $1 for update",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

/// Write a corrected record.
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    f: &Fields,
    sex: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update people set name = $2, alias = $3, sex = $4, birth_year = $5, age_estimate = $6, id_number = $7,
                home_address = $8, home_county_code = $9, description = $10, updated_at = $11
         where id = $1",
    )
    .bind(id)
    .bind(&f.name)
    .bind(&f.alias)
    .bind(sex)
    .bind(f.birth_year)
    .bind(f.age_estimate)
    .bind(&f.id_number)
    .bind(&f.home_address)
    .bind(&f.home_county_code)
    .bind(&f.description)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A person's history: `(kind, at, actor's username, detail)`, oldest first.
pub async fn events_of(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> sqlx::Result<Vec<(String, DateTime<Utc>, Option<String>, serde_json::Value)>> {
    sqlx::query_as(
        "select e.kind, e.at, u.username, e.detail from person_events e
             left join users u on u.id = e.actor_id where e.person_id = $1 order by e.id",
    )
    .bind(person)
    .fetch_all(db)
    .await
}
