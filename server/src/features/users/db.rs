//! Every statement of account administration, checked against the schema at compile time.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The county a township lies in, if it is one.
pub async fn township_county(db: &PgPool, code: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("select county_code from townships where code = $1", code)
        .fetch_optional(db)
        .await
}

/// What `insert` stores; the password already hashed.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub role: &'a str,
    pub station: Option<&'a str>,
    pub agency: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub county_code: Option<&'a str>,
    pub password_hash: &'a str,
    pub channel: Option<&'a str>,
    pub township_code: Option<&'a str>,
    pub village: Option<&'a str>,
}

pub async fn insert(db: &PgPool, u: &NewUser<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into users (username, role, station_code, agency, unit, county_code, password_hash,
                            channel, township_code, village)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
        u.username,
        u.role,
        u.station,
        u.agency,
        u.unit,
        u.county_code,
        u.password_hash,
        u.channel,
        u.township_code,
        u.village,
    )
    .fetch_one(db)
    .await
}

/// Lock the account (once: the first time stays); its id, if it exists.
pub async fn disable(
    db: &mut PgConnection,
    username: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "update users set disabled_at = coalesce(disabled_at, $2)
         where lower(username) = lower($1) returning id",
        username,
        now
    )
    .fetch_optional(db)
    .await
}

/// End every session of an account; how many were live.
pub async fn revoke_sessions(
    db: &mut PgConnection,
    user: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update sessions set revoked_at = $2 where user_id = $1 and revoked_at is null",
        user,
        now
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
