//! What every handler shares.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use sqlx::PgPool;
use sqlx::postgres::PgListener;

use crate::clock::Clock;
use crate::config::Settings;
use crate::push::vapid::VapidKeys;
use crate::ratelimit::WriteLimiter;
use crate::routing::{self, Directory};
use crate::seed::DIRECTORY_CHANNEL;

/// Shared state: cheap to clone, one per server.
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub write_limiter: WriteLimiter,
    pub vapid: Arc<VapidKeys>,
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
        let vapid = Arc::new(crate::push::vapid::load_or_create(&db).await?);
        Ok(Self {
            vapid,
            db,
            clock,
            write_limiter: WriteLimiter::new(settings.writes_per_minute, settings.write_burst),
            settings: Arc::new(settings),
            directory: Arc::new(ArcSwap::from_pointee(directory)),
        })
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

    /// Reload the directory whenever `xunjiu seed` (or anything else) notifies a change, and
    /// after every reconnect, since notifications sent while disconnected are lost.
    pub async fn follow_directory_changes(self) {
        loop {
            let mut listener = match PgListener::connect_with(&self.db).await {
                Ok(l) => l,
                Err(err) => {
                    tracing::warn!(error = %err, "directory listener cannot connect; retrying");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            if let Err(err) = listener.listen(DIRECTORY_CHANNEL).await {
                tracing::warn!(error = %err, "cannot LISTEN for directory changes; retrying");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
            loop {
                match listener.try_recv().await {
                    Ok(_) => match self.reload_directory().await {
                        Ok(()) => tracing::info!("station directory reloaded"),
                        Err(err) => {
                            tracing::warn!(error = format!("{err:#}"), "directory reload failed")
                        }
                    },
                    Err(err) => {
                        tracing::warn!(error = %err, "directory listener lost; reconnecting");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        break;
                    }
                }
            }
        }
    }
}
