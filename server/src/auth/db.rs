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
    pub township_code: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct LoginRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: String,
    pub disabled: bool,
}

const USER_COLUMNS: &str = "u.id, u.username, u.role, u.station_code, u.agency, u.unit, u.county_code, u.channel, u.township_code";

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

/// Count a login attempt against the username, in the statement that reads the count; a streak
/// older than `streak_window` starts again at one. Returns the attempts in the streak, this one
/// included, and when the one before it was.
pub async fn count_attempt(
    db: impl PgExecutor<'_>,
    username: &str,
    now: DateTime<Utc>,
    streak_window: chrono::Duration,
) -> sqlx::Result<(i32, Option<DateTime<Utc>>)> {
    sqlx::query_as(
        "insert into login_failures (username, failures, last_failed_at) values (lower($1), 1, $2)
         on conflict (username) do update set
             failures = case when login_failures.last_failed_at < $2 - $3 then 1 else login_failures.failures + 1 end,
             previous_at = case when login_failures.last_failed_at < $2 - $3 then null else login_failures.last_failed_at end,
             last_failed_at = $2
         returning failures, previous_at",
    )
    .bind(username)
    .bind(now)
    .bind(streak_window)
    .fetch_one(db)
    .await
}

/// The same per client address.
pub async fn count_address_attempt(
    db: impl PgExecutor<'_>,
    address: std::net::IpAddr,
    now: DateTime<Utc>,
    streak_window: chrono::Duration,
) -> sqlx::Result<(i32, Option<DateTime<Utc>>)> {
    sqlx::query_as(
        "insert into login_failures_by_address (address, failures, last_failed_at) values ($1::inet, 1, $2)
         on conflict (address) do update set
             failures = case when login_failures_by_address.last_failed_at < $2 - $3 then 1
                             else login_failures_by_address.failures + 1 end,
             previous_at = case when login_failures_by_address.last_failed_at < $2 - $3 then null
                                else login_failures_by_address.last_failed_at end,
             last_failed_at = $2
         returning failures, previous_at",
    )
    .bind(address.to_string())
    .bind(now)
    .bind(streak_window)
    .fetch_one(db)
    .await
}

/// A successful login: the username's streak ends, and the address's attempt is taken back
/// (a desk shared by a shift logs in many times; only failures should add up).
pub async fn attempt_succeeded(
    db: &sqlx::PgPool,
    username: &str,
    address: Option<std::net::IpAddr>,
) -> sqlx::Result<()> {
    sqlx::query("delete from login_failures where username = lower($1)")
        .bind(username)
        .execute(db)
        .await?;
    if let Some(address) = address {
        sqlx::query(
            "update login_failures_by_address set failures = greatest(failures - 1, 0) where address = $1::inet",
        )
        .bind(address.to_string())
        .execute(db)
        .await?;
    }
    Ok(())
}
