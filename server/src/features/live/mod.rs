//! Live queue updates: consoles hear of every committed referral change within a moment,
//! without polling, as server-sent events.

pub mod feed;

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::{Stream, StreamExt, stream};
use tokio::sync::broadcast::error::RecvError;
use tokio_stream::wrappers::BroadcastStream;

use crate::features::auth::{self, CurrentUser};
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::ApiPath;
use crate::plumbing::state::AppState;
pub use feed::{Change, Feed};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/stations/{code}/queue/events", get(queue_events))
}

/// A stream of `changed` events, one per committed change to a referral the station holds or
/// answers for (`data: {"referral_id": …}`), and `resync` when changes may have been missed. The
/// stream opens with `ready`. Events name no one: the console reads the queue again to see what
/// changed, with its own rights.
#[utoipa::path(get, path = "/api/v1/stations/{code}/queue/events", tag = "duty", security(("bearer" = [])),
    params(("code" = String, Path, description = "station code")),
    responses((status = 200, description = "text/event-stream; each event as described", content_type = "text/event-stream", body = mobile_api::QueueEvent),
              (status = 403, description = "not this station's duty officer nor a supervisor", body = mobile_api::ErrorBody),
              (status = 404, description = "station_not_found", body = mobile_api::ErrorBody)))]
pub async fn queue_events(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
) -> Result<Sse<impl Stream<Item = std::result::Result<Event, Infallible>>>> {
    if state.directory().station(&code).is_none() {
        return Err(ApiError::not_found(
            "station_not_found",
            format!("no station {code:?}"),
        ));
    }
    crate::features::referrals::may_follow_queue(&state, &user, &code).await?;
    let code_for_end = code.clone();
    let changes = BroadcastStream::new(state.live().subscribe()).filter_map(move |message| {
        let event = match message {
            Ok(Change::Referral { id, stations }) if stations.contains(&code) => Some(
                Event::default()
                    .event("changed")
                    .data(serde_json::json!({ "referral_id": id }).to_string()),
            ),
            Ok(Change::Referral { .. }) => None,
            // Lagging behind or a lost database connection: something may have been missed.
            Ok(Change::Resync) | Err(_) => Some(Event::default().event("resync").data("{}")),
        };
        std::future::ready(event.map(Ok))
    });
    let ready = stream::once(std::future::ready(Ok(Event::default()
        .event("ready")
        .data("{}"))));
    // The stream ends when the token stops working, or when the server shuts down (a console
    // reconnects to whichever server takes over).
    let shutdown = state.clone();
    let ended = Box::pin(async move {
        tokio::select! {
            () = session_ended(state, user, code_for_end) => {}
            () = shutdown.shutting_down() => {}
        }
    });
    Ok(Sse::new(ready.chain(changes).take_until(ended)).keep_alive(KeepAlive::default()))
}

/// How often an open stream checks its token when no notification says anything: the bound on
/// how long a revoked token keeps a stream open while the notification listener is down.
const SESSION_CHECK: Duration = Duration::from_secs(15);

/// Resolves once the stream's token no longer works (logged out, expired, revoked, the account
/// disabled) or the account may no longer follow the queue (its station or role changed).
/// Checked whenever the account's sessions change, and every [`SESSION_CHECK`] (plus up to
/// 5 s) in any case.
async fn session_ended(state: AppState, user: CurrentUser, code: String) {
    let mut changes = state.sessions().subscribe();
    loop {
        // Up to a third more, at random: streams opened together (a server restarted, a
        // thousand consoles reconnecting) do not all check at the same moment.
        let jitter = Duration::from_millis(rand::random_range(0..5_000));
        let heard = tokio::time::timeout(SESSION_CHECK + jitter, changes.recv()).await;
        let concerns_us = match heard {
            Ok(Ok(Some(id))) => id == user.id,
            Ok(Err(RecvError::Closed)) => {
                tokio::time::sleep(SESSION_CHECK).await;
                true
            }
            // Timed out, lagged, or "any account": look.
            Ok(Ok(None)) | Ok(Err(RecvError::Lagged(_))) | Err(_) => true,
        };
        if !concerns_us {
            continue;
        }
        // Through the session cache: a thousand consoles of a few accounts ask the database a
        // few times, not a thousand.
        let check = auth::Use::Check;
        match auth::live_session(&state, &user.token_hash, check).await {
            Ok(Some(session)) => {
                let now = match CurrentUser::try_from((session.user, user.token_hash.clone())) {
                    Ok(now) => now,
                    Err(_) => return,
                };
                match crate::features::referrals::may_follow_queue(&state, &now, &code).await {
                    Err(err) if err.status() == axum::http::StatusCode::FORBIDDEN => return,
                    _ => {}
                }
            }
            Ok(None) => return,
            // The database is away: keep the stream; the next check decides.
            Err(err) => tracing::debug!(error = %err, "session check of a queue stream failed"),
        }
    }
}

/// Live queues' part in [`crate::plumbing::notifications`]: pass each referral change on, and tell every
/// open stream to read again after a reconnect, since changes may have been missed.
pub fn listener() -> crate::plumbing::notifications::Listener {
    crate::plumbing::notifications::Listener {
        channel: feed::REFERRALS_CHANNEL,
        notified: |state, payload| {
            state.live().publish_payload(&payload);
            Box::pin(std::future::ready(()))
        },
        connected: |state| {
            state.live().publish(Change::Resync);
            Box::pin(std::future::ready(()))
        },
        lost: |_| {},
    }
}
