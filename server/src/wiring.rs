//! Where the layers meet: the one place that builds a server's [`AppState`] with every feature's
//! part, and hands the database listener every feature's channel. `serve`, the tests and the
//! benches all start here.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::http::Extensions;
use sqlx::PgPool;

use crate::features::{
    alerts, annex1, auth, escalation, incidents, live, notify, people, push, routing, sightings,
};
use crate::plumbing::clock::Clock;
use crate::plumbing::config::Settings;
use crate::plumbing::notifications::{self, Listener};
use crate::plumbing::replica::Replica;
use crate::plumbing::state::AppState;
use crate::rules::events;

impl AppState {
    /// Build the state: load the station directory and the VAPID keys, seal any credential still
    /// stored in the clear, start the grouped sighting writer.
    pub async fn load(
        db: PgPool,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        install_hooks();
        let secrets = settings.secret_key()?;
        let directory = routing::db::load(&db).await?;
        let vapid = push::vapid::load_or_create(&db, &secrets).await?;
        notify::channels::seal_stored(&db, &secrets).await?;
        let replica = match settings
            .read_database_url
            .as_deref()
            .filter(|u| !u.is_empty())
        {
            Some(url) => {
                let replica = Replica::new(url, 8, settings.replica_max_lag_s)?;
                replica.check().await;
                Some(replica)
            }
            None => None,
        };
        let mut parts = Extensions::new();
        parts.insert(Arc::new(ArcSwap::from_pointee(directory)));
        parts.insert(Arc::new(vapid));
        parts.insert(Arc::new(push::endpoints::Policy::new(
            &settings.push_hosts,
            settings.push_allow_loopback,
        )));
        parts.insert(live::Feed::default());
        parts.insert(Arc::new(auth::cache::SessionCache::default()));
        parts.insert(sightings::writer::SightingWriter::start(db.clone()));
        Ok(Self::new(db, settings, clock, secrets, replica, parts))
    }

    /// Follow the database's notifications for as long as the server runs.
    pub async fn follow_database_notifications(self) {
        notifications::follow(self, listeners()).await;
    }
}

/// The features that react to other features' events ([`events`]): the alert channels to pushed
/// alerts and new referrals, the returnee ledger to resolutions. Called by [`AppState::load`]
/// and by the command line before anything runs.
pub fn install_hooks() {
    events::install(vec![notify::on_event, people::on_event]);
}

/// Every feature's listener: the station directory (reload on `xunjiu seed` and hotspot edits),
/// live queues (referral changes), and the session cache (logouts, disabled accounts).
fn listeners() -> Vec<Listener> {
    vec![
        routing::listener(),
        live::listener(),
        auth::cache::listener(),
    ]
}

/// The timed passes, forever, `escalation_interval_s` apart: escalations, then the other timed
/// pushes (an alert's half-way check, unacknowledged incidents, overdue revisits, Annex 1
/// reminders). A pass that fails is logged and tried again next time.
pub async fn timed_passes(state: AppState) {
    let interval = Duration::from_secs(state.settings.escalation_interval_s.max(1));
    loop {
        logged("escalation", escalation::run_once(&state).await);
        logged("alert half-way", alerts::halfway::run_once(&state).await);
        logged(
            "incident re-push",
            incidents::repush::run_once(&state).await,
        );
        logged(
            "overdue revisits",
            people::schedule::push_overdue(&state).await,
        );
        logged(
            "annex 1 reminders",
            annex1::reminders::run_once(&state).await,
        );
        tokio::time::sleep(interval).await;
    }
}

fn logged<T>(pass: &str, result: anyhow::Result<T>) {
    if let Err(err) = result {
        tracing::warn!(error = format!("{err:#}"), pass, "pass failed; will retry");
    }
}
