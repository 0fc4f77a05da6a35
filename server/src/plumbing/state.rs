//! What every handler shares.

use std::sync::Arc;

use arc_swap::ArcSwap;
use sqlx::PgPool;

use crate::features::auth::cache::SessionCache;
use crate::features::live::Feed;
use crate::features::push::vapid::VapidKeys;
use crate::features::routing::{self, Directory};
use crate::features::sightings::writer::SightingWriter;
use crate::plumbing::clock::Clock;
use crate::plumbing::config::Settings;
use crate::plumbing::ratelimit::WriteLimiter;

/// Shared state: cheap to clone, one per server.
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub write_limiter: WriteLimiter,
    /// The same for Open311 partners, a bucket per key.
    pub partner_limiter: WriteLimiter,
    pub vapid: Arc<VapidKeys>,
    /// Committed referral changes, for live queues.
    pub live: Feed,
    /// Live sessions, while the notification listener keeps them honest.
    pub sessions: Arc<SessionCache>,
    /// Writes plain sightings in groups.
    pub sighting_writer: SightingWriter,
    /// The push endpoints the server sends to.
    pub push_policy: Arc<crate::features::push::endpoints::Policy>,
    /// Set when the server begins to shut down: open event streams end.
    pub shutdown: tokio::sync::watch::Sender<bool>,
    /// One permit per core: password hashes running at once.
    pub password_hashing: Arc<tokio::sync::Semaphore>,
    /// Seals and opens the credentials stored in the database.
    pub secrets: Arc<crate::plumbing::secrets::SecretKey>,
    /// The read replica for heavy reads, if one is configured.
    pub replica: Option<Arc<crate::plumbing::replica::Replica>>,
    directory: Arc<ArcSwap<Directory>>,
}

impl AppState {
    /// Build the state and load the station directory from the database.
    pub async fn load(
        db: PgPool,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let directory = routing::db::load(&db).await?;
        let secrets = Arc::new(settings.secret_key()?);
        let vapid = Arc::new(crate::features::push::vapid::load_or_create(&db, &secrets).await?);
        crate::features::notify::channels::seal_stored(&db, &secrets).await?;
        let replica = match settings
            .read_database_url
            .as_deref()
            .filter(|u| !u.is_empty())
        {
            Some(url) => {
                let replica =
                    crate::plumbing::replica::Replica::new(url, 8, settings.replica_max_lag_s)?;
                replica.check().await;
                Some(replica)
            }
            None => None,
        };
        Ok(Self {
            secrets,
            vapid,
            live: Feed::default(),
            sessions: Arc::new(SessionCache::default()),
            push_policy: Arc::new(crate::features::push::endpoints::Policy::new(
                &settings.push_hosts,
                settings.push_allow_loopback,
            )),
            shutdown: tokio::sync::watch::Sender::new(false),
            sighting_writer: SightingWriter::start(db.clone()),
            password_hashing: Arc::new(tokio::sync::Semaphore::new(
                match settings.login_hash_slots {
                    0 => std::thread::available_parallelism().map_or(2, usize::from),
                    n => n,
                },
            )),
            db,
            clock,
            write_limiter: WriteLimiter::new(settings.writes_per_minute, settings.write_burst),
            partner_limiter: WriteLimiter::new(
                settings.partner_writes_per_minute,
                settings.partner_writes_per_minute,
            ),
            settings: Arc::new(settings),
            replica,
            directory: Arc::new(ArcSwap::from_pointee(directory)),
        })
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

    /// The current directory snapshot.
    pub fn directory(&self) -> Arc<Directory> {
        self.directory.load_full()
    }

    /// Read the directory again from the database.
    pub async fn reload_directory(&self) -> anyhow::Result<()> {
        let directory = routing::db::load(&self.db).await?;
        self.directory.store(Arc::new(directory));
        Ok(())
    }

    /// Follow the database's notifications for as long as the server runs
    /// ([`crate::plumbing::notifications`]).
    pub async fn follow_database_notifications(self) {
        crate::plumbing::notifications::follow(self).await;
    }

    /// Reload the directory, logging rather than failing.
    pub async fn reload_directory_logged(&self) {
        match self.reload_directory().await {
            Ok(()) => tracing::info!("station directory loaded"),
            Err(err) => tracing::warn!(error = format!("{err:#}"), "directory reload failed"),
        }
    }
}
