//! The connection pool and migrations.

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};

use crate::plumbing::config::DbArgs;

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A connection idle longer than this is pinged before it is handed out.
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

/// Open a pool. It connects lazily, so the server starts (and answers 503) while the database
/// is down, and recovers by itself when it returns.
///
/// sqlx pings every connection as it goes back to the pool and, by default, again as it comes
/// out: under load that second round trip is a tenth of a plain report's cost. A connection
/// that was fine a moment ago is handed out unchecked; one that failed since is caught by the
/// ping on its way back and dropped, and the request that met it answers 503.
pub fn pool(args: &DbArgs) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(args.db_max_connections)
        .acquire_timeout(Duration::from_secs(args.db_acquire_timeout_s))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_lazy(&args.database_url)
        .context("DATABASE_URL is not a valid PostgreSQL URL")
}

/// A transaction whose statements run on their cached generic plans, begun in the one round
/// trip of `BEGIN`. For writes whose plan does not depend on the values: a statement over
/// `unnest` of array parameters is priced for ten rows in a generic plan and one in a custom
/// plan, so PostgreSQL otherwise planned the referral insert afresh every time (0.7 ms, as
/// long as running it).
pub async fn begin_generic(
    conn: &mut sqlx::PgConnection,
) -> sqlx::Result<sqlx::Transaction<'_, sqlx::Postgres>> {
    conn.begin_with("begin; set local plan_cache_mode = force_generic_plan")
        .await
}

/// Apply pending migrations.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("applying database migrations")
}

/// Refuse to serve a database whose schema is behind this binary (when `serve` does not
/// migrate by itself, `xunjiu migrate` must have run first).
pub async fn check_migrated(pool: &PgPool) -> anyhow::Result<()> {
    let applied: Vec<i64> =
        sqlx::query_scalar!("select version from _sqlx_migrations where success order by version")
            .fetch_all(pool)
            .await
            .context("reading the applied migrations (has `xunjiu migrate` run?)")?;
    let missing: Vec<i64> = MIGRATOR
        .iter()
        .map(|m| m.version)
        .filter(|v| !applied.contains(v))
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "the database lacks migrations {missing:?}: run `xunjiu migrate` as the schema's owner"
    );
    Ok(())
}

/// The cheapest round trip: the database answers.
pub async fn ping(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query!("select 1 as one").fetch_one(pool).await?;
    Ok(())
}

/// Whether the server is a standby, and how far (seconds) its replay is behind the primary:
/// 0 when it has replayed all it received.
pub async fn standby_lag(pool: &PgPool) -> sqlx::Result<(bool, f64)> {
    let row = sqlx::query!(
        r#"select pg_is_in_recovery() as "standby!",
                  case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
                       else extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 end as lag"#
    )
    .fetch_one(pool)
    .await?;
    Ok((row.standby, row.lag.unwrap_or(0.0)))
}

/// Whether an error means "the database cannot be reached" rather than "the query is wrong".
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        // Something other than PostgreSQL answered (a half-open proxy or balancer), seen first
        // as a garbled reply to the TLS request that `sslmode=prefer` sends on connecting.
        sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => true,
        // 57P01..57P03: admin shutdown, crash shutdown, cannot connect now; 08xxx: connection.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
        _ => false,
    }
}
