//! Account and session queries.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::throttle::Streak;

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
    /// When the session was last used, to within [`super::current_user::TOUCH_AFTER`].
    pub last_used_at: DateTime<Utc>,
}

/// The live account behind a token: not revoked, not expired, not disabled.
pub async fn session_user(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    now: DateTime<Utc>,
    idle: chrono::Duration,
) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {USER_COLUMNS}, s.expires_at, s.last_used_at from sessions s join users u on u.id = s.user_id
         where s.token_hash = $1 and s.revoked_at is null and s.expires_at > $2 and s.last_used_at > $2 - $3
           and u.disabled_at is null"
    )))
    .bind(token_hash)
    .bind(now)
    .bind(idle)
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
    sqlx::query("insert into sessions (token_hash, user_id, created_at, expires_at, last_used_at) values ($1, $2, $3, $4, $3)")
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

/// Note that a session was used now.
pub async fn touch_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update sessions set last_used_at = $2 where token_hash = $1 and last_used_at < $2",
    )
    .bind(token_hash)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Revoke every session of an account but `keep` (none: all of them); returns how many.
pub async fn revoke_sessions_of(
    db: impl PgExecutor<'_>,
    user: Uuid,
    keep: Option<&[u8]>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "update sessions set revoked_at = $3
         where user_id = $1 and revoked_at is null and ($2::bytea is null or token_hash <> $2)",
    )
    .bind(user)
    .bind(keep)
    .bind(now)
    .execute(db)
    .await?
    .rows_affected())
}

/// The stored password hash of an account.
pub async fn password_hash(db: impl PgExecutor<'_>, user: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(user)
        .fetch_one(db)
        .await
}

/// Set an account's password hash.
pub async fn set_password_hash(
    db: impl PgExecutor<'_>,
    user: Uuid,
    hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("update users set password_hash = $2 where id = $1")
        .bind(user)
        .bind(hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Count a login attempt against a streak, in the statement that reads the count; a streak
/// older than `streak_window` starts again at one. Returns the attempts in the streak, this one
/// included, and when the one before it was.
pub async fn count_attempt(
    db: impl PgExecutor<'_>,
    streak: &Streak,
    now: DateTime<Utc>,
    streak_window: chrono::Duration,
) -> sqlx::Result<(i32, Option<DateTime<Utc>>)> {
    let (scope, key) = streak.key();
    sqlx::query_as(
        "insert into login_streaks (scope, key, failures, last_failed_at) values ($1, $2, 1, $3)
         on conflict (scope, key) do update set
             failures = case when login_streaks.last_failed_at < $3 - $4 then 1 else login_streaks.failures + 1 end,
             previous_at = case when login_streaks.last_failed_at < $3 - $4 then null else login_streaks.last_failed_at end,
             last_failed_at = $3
         returning failures, previous_at",
    )
    .bind(scope)
    .bind(key)
    .bind(now)
    .bind(streak_window)
    .fetch_one(db)
    .await
}

/// A successful login: the streak of this account at this address ends, and the attempt is
/// taken back from the account's and the address's (a desk shared by a shift logs in many
/// times; only failures should add up).
pub async fn attempt_succeeded(db: &sqlx::PgPool, streaks: &[Streak]) -> sqlx::Result<()> {
    for streak in streaks {
        let (scope, key) = streak.key();
        let sql = if matches!(streak, Streak::AccountAddress(..)) {
            "delete from login_streaks where scope = $1 and key = $2"
        } else {
            "update login_streaks set failures = greatest(failures - 1, 0) where scope = $1 and key = $2"
        };
        sqlx::query(sql).bind(scope).bind(key).execute(db).await?;
    }
    Ok(())
}
