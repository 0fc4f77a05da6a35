//! One database listener per server: each feature that follows a PostgreSQL notification
//! channel hands a [`Listener`] to [`follow`] (through `crate::wiring`), which hands it each payload. After
//! every (re)connect each listener hears `connected`, since notifications sent while the
//! connection was down are lost; while it is down each hears `lost`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::plumbing::state::AppState;

type Work = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What one feature does with one channel.
pub struct Listener {
    pub channel: &'static str,
    /// A notification arrived.
    pub notified: fn(AppState, String) -> Work,
    /// The listener is (again) connected: catch up with what may have been missed.
    pub connected: fn(AppState) -> Work,
    /// The listener lost its connection: stop trusting what notifications keep current.
    pub lost: fn(&AppState),
}

/// Follow the database's notifications for as long as the server runs, reconnecting after a
/// lost connection.
pub async fn follow(state: AppState, listeners: Vec<Listener>) {
    let channels: Vec<&str> = listeners.iter().map(|l| l.channel).collect();
    loop {
        let mut listener = match PgListener::connect_with(&state.db).await {
            Ok(l) => l,
            Err(err) => {
                tracing::warn!(error = %err, "notification listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen_all(channels.iter().copied()).await {
            tracing::warn!(error = %err, "cannot LISTEN for notifications; retrying");
            tokio::time::sleep(Duration::from_secs(5)).await;
            continue;
        }
        for l in &listeners {
            (l.connected)(state.clone()).await;
        }
        let lost = loop {
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    if let Some(l) = listeners.iter().find(|l| l.channel == n.channel()) {
                        (l.notified)(state.clone(), n.payload().to_owned()).await;
                    }
                }
                // The connection dropped, and what was sent meanwhile is gone.
                Ok(None) => break None,
                Err(err) => break Some(err),
            }
        };
        for l in &listeners {
            (l.lost)(&state);
        }
        match lost {
            None => tracing::warn!("notification listener lost; reconnecting"),
            Some(err) => {
                tracing::warn!(error = %err, "notification listener lost; reconnecting");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Tell every running server's listener on `channel`, when the transaction on `conn` commits.
pub async fn announce(
    conn: &mut sqlx::PgConnection,
    channel: &str,
    payload: &str,
) -> sqlx::Result<()> {
    sqlx::query!("select from pg_notify($1, $2)", channel, payload)
        .execute(conn)
        .await?;
    Ok(())
}
