//! A streaming read replica (`XUNJIU_READ_DATABASE_URL`) for the heavy reads: heat-maps, tiles,
//! the PNG, reports and accountability. Writes, and reads that must see the caller's own write,
//! stay on the primary. A replica that is down, or replays more than `XUNJIU_REPLICA_MAX_LAG_S`
//! behind, is skipped with a warning and those reads go to the primary until it is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::plumbing::db;

/// How often the replica's health is checked.
const CHECK_EVERY: Duration = Duration::from_secs(2);
/// How often a replica that stays down is reported again.
const WARN_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Replica {
    pool: PgPool,
    max_lag_s: f64,
    healthy: AtomicBool,
    /// When the replica being skipped was last reported; none while it is in use.
    warned_at: std::sync::Mutex<Option<Instant>>,
}

/// Whether a skipped replica is reported now: the first time (at start too), then every
/// [`WARN_EVERY`] while it stays skipped.
fn warn_now(warned_at: Option<Instant>, now: Instant) -> bool {
    warned_at.is_none_or(|at| now.duration_since(at) >= WARN_EVERY)
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
            warned_at: std::sync::Mutex::new(None),
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
        let (standby, lag) =
            tokio::time::timeout(Duration::from_secs(2), db::standby_lag(&self.pool)).await??;
        anyhow::ensure!(standby, "the read database is not a standby");
        Ok(lag)
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
        let mut warned_at = self.warned_at.lock().unwrap_or_else(|e| e.into_inner());
        match verdict {
            Ok(()) => {
                if !was {
                    tracing::info!("read replica in use");
                }
                *warned_at = None;
            }
            Err(why) => {
                let now = Instant::now();
                if warn_now(*warned_at, now) {
                    tracing::warn!(reason = %why, "read replica skipped: reads go to the primary");
                    *warned_at = Some(now);
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_down_is_reported_at_once_and_then_every_minute() {
        let start = Instant::now();
        assert!(warn_now(None, start), "down from the start: said at once");
        assert!(!warn_now(Some(start), start + Duration::from_secs(59)));
        assert!(warn_now(Some(start), start + Duration::from_secs(60)));
    }
}
