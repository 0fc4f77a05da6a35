//! What every handler shares: the pool, the clock, the settings and the limiters, plus the
//! parts features keep here (the station directory, the session cache, the live feed…), held by
//! type so that this layer names none of them. [`crate::wiring`] builds the one `AppState` a
//! server has, with every part; each feature reads its own part through a method of its own.

use std::any::type_name;
use std::sync::Arc;

use axum::http::Extensions;
use sqlx::PgPool;

use crate::plumbing::clock::Clock;
use crate::plumbing::config::Settings;
use crate::plumbing::ratelimit::WriteLimiter;
use crate::plumbing::replica::Replica;
use crate::plumbing::secrets::SecretKey;

/// Shared state: cheap to clone, one per server.
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub write_limiter: WriteLimiter,
    /// The same for Open311 partners, a bucket per key.
    pub partner_limiter: WriteLimiter,
    /// Set when the server begins to shut down: open event streams end.
    pub shutdown: tokio::sync::watch::Sender<bool>,
    /// One permit per core: password hashes running at once.
    pub password_hashing: Arc<tokio::sync::Semaphore>,
    /// Seals and opens the credentials stored in the database.
    pub secrets: Arc<SecretKey>,
    /// The read replica for heavy reads, if one is configured.
    pub replica: Option<Arc<Replica>>,
    parts: Arc<Extensions>,
}

impl AppState {
    /// The state of one server, with the features' `parts` (each part a distinct type).
    pub fn new(
        db: PgPool,
        settings: Settings,
        clock: Arc<dyn Clock>,
        secrets: SecretKey,
        replica: Option<Arc<Replica>>,
        parts: Extensions,
    ) -> Self {
        Self {
            password_hashing: Arc::new(tokio::sync::Semaphore::new(
                match settings.login_hash_slots {
                    0 => std::thread::available_parallelism().map_or(2, usize::from),
                    n => n,
                },
            )),
            write_limiter: WriteLimiter::new(settings.writes_per_minute, settings.write_burst),
            partner_limiter: WriteLimiter::new(
                settings.partner_writes_per_minute,
                settings.partner_writes_per_minute,
            ),
            shutdown: tokio::sync::watch::Sender::new(false),
            secrets: Arc::new(secrets),
            settings: Arc::new(settings),
            db,
            clock,
            replica,
            parts: Arc::new(parts),
        }
    }

    /// A feature's part. Every part is added where the state is built, so a missing one is a
    /// wiring mistake that the first request of any test shows.
    pub fn part<T: Send + Sync + 'static>(&self) -> &T {
        self.parts
            .get::<T>()
            .unwrap_or_else(|| panic!("AppState holds no {}", type_name::<T>()))
    }

    /// The pool for heavy reads that need not see the caller's own write (maps, reports): the
    /// replica's while it is healthy, else the primary's.
    pub fn reads(&self) -> &PgPool {
        match &self.replica {
            Some(r) => r.reads(&self.db),
            None => &self.db,
        }
    }

    /// Resolves once the server begins to shut down.
    pub async fn shutting_down(&self) {
        let mut changes = self.shutdown.subscribe();
        // An error means the sender is gone, which is a shutdown too.
        let _ = changes.wait_for(|down| *down).await;
    }
}
