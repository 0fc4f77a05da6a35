//! Account and session queries.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// An account row, as the rest of the server sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub role: String,
    pub station_code: Option<String>,
    pub agency: Option<String>,
    pub unit: Option<String>,
    pub county_code: Option<String>,
    pub channel: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct LoginRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: String,
    pub disabled: bool,
}

const USER_COLUMNS: &str =
    "u.id, u.username, u.role, u.station_code, u.agency, u.unit, u.county_code, u.channel";

pub async fn login_row(db: impl PgExecutor<'_>, username: &str) -> sqlx::Result<Option<LoginRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {USER_COLUMNS}, u.password_hash, u.disabled_at is not null as disabled
         from users u where lower(u.username) = lower($1)"
    )))
    .bind(username)
    .fetch_optional(db)
    .await
}

/// A live session's account, and when the session ends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub expires_at: DateTime<Utc>,
}

/// The live account behind a token: not revoked, not expired, not disabled.
pub async fn session_user(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {USER_COLUMNS}, s.expires_at from sessions s join users u on u.id = s.user_id
         where s.token_hash = $1 and s.revoked_at is null and s.expires_at > $2 and u.disabled_at is null"
    )))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db)
    .await
}

pub async fn create_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_id: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("insert into sessions (token_hash, user_id, created_at, expires_at) values ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn revoke_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("update sessions set revoked_at = $2 where token_hash = $1 and revoked_at is null")
        .bind(token_hash)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Failed attempts in the current streak and when the last one was.
pub async fn login_failures(
    db: impl PgExecutor<'_>,
    username: &str,
) -> sqlx::Result<Option<(i32, DateTime<Utc>)>> {
    sqlx::query_as("select failures, last_failed_at from login_failures where username = lower($1)")
        .bind(username)
        .fetch_optional(db)
        .await
}

/// Count a failure; a streak older than `streak_window` starts again at one.
pub async fn record_login_failure(
    db: impl PgExecutor<'_>,
    username: &str,
    now: DateTime<Utc>,
    streak_window: chrono::Duration,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into login_failures (username, failures, last_failed_at) values (lower($1), 1, $2)
         on conflict (username) do update set
             failures = case when login_failures.last_failed_at < $2 - $3 then 1 else login_failures.failures + 1 end,
             last_failed_at = $2",
    )
    .bind(username)
    .bind(now)
    .bind(streak_window)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn clear_login_failures(db: impl PgExecutor<'_>, username: &str) -> sqlx::Result<()> {
    sqlx::query("delete from login_failures where username = lower($1)")
        .bind(username)
        .execute(db)
        .await?;
    Ok(())
}
