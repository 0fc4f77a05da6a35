//! A streaming read replica (`XUNJIU_READ_DATABASE_URL`) for the heavy reads: heat-maps, tiles,
//! the PNG, reports and accountability. Writes, and reads that must see the caller's own write,
//! stay on the primary. A replica that is down, or replays more than `XUNJIU_REPLICA_MAX_LAG_S`
//! behind, is skipped with a warning and those reads go to the primary until it is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// How often the replica's health is checked.
const CHECK_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Replica {
    pool: PgPool,
    max_lag_s: f64,
    healthy: AtomicBool,
}

impl Replica {
    /// A lazily connecting pool to `url`; unhealthy until the first check passes.
    pub fn new(url: &str, max_connections: u32, max_lag_s: u64) -> anyhow::Result<Arc<Self>> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy(url)
            .map_err(|_| {
                anyhow::anyhow!("XUNJIU_READ_DATABASE_URL is not a valid PostgreSQL URL")
            })?;
        Ok(Arc::new(Self {
            pool,
            max_lag_s: max_lag_s as f64,
            healthy: AtomicBool::new(false),
        }))
    }

    /// The pool for a heavy read: the replica's while it is healthy, else `primary`.
    pub fn reads<'a>(&'a self, primary: &'a PgPool) -> &'a PgPool {
        if self.healthy.load(Ordering::Relaxed) {
            &self.pool
        } else {
            primary
        }
    }

    /// Seconds the replica's replay is behind (0 when it has replayed all it received), or an
    /// error when it cannot be asked or is not a standby.
    async fn lag(&self) -> anyhow::Result<f64> {
        let (standby, lag): (bool, Option<f64>) = tokio::time::timeout(
            Duration::from_secs(2),
            sqlx::query_as(
                "select pg_is_in_recovery(),
                        case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
                             else extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 end",
            )
            .fetch_one(&self.pool),
        )
        .await??;
        anyhow::ensure!(standby, "the read database is not a standby");
        Ok(lag.unwrap_or(0.0))
    }

    /// Check once and record the answer; says whether the replica is in use.
    pub async fn check(&self) -> bool {
        let verdict = match self.lag().await {
            Ok(lag) if lag <= self.max_lag_s => Ok(()),
            Ok(lag) => Err(format!("{lag:.1} s behind")),
            Err(err) => Err(format!("{err:#}")),
        };
        let ok = verdict.is_ok();
        let was = self.healthy.swap(ok, Ordering::Relaxed);
        match (was, verdict) {
            (false, Ok(())) => tracing::info!("read replica in use"),
            (true, Err(why)) => {
                tracing::warn!(reason = %why, "read replica skipped: reads go to the primary")
            }
            _ => {}
        }
        ok
    }

    /// Check forever.
    pub async fn run(self: Arc<Self>) {
        loop {
            self.check().await;
            tokio::time::sleep(CHECK_EVERY).await;
        }
    }
}
