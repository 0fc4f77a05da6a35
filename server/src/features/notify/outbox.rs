//! Queueing alerts for the channels of a station, a county or the city, in the transaction that
//! caused them (the same one that queues web push). Nothing is read when no channel is set up.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use super::db;
use super::message::{self, Message};
use crate::rules::audience::Audience;
use crate::rules::events::Event;

async fn insert(
    conn: &mut PgConnection,
    audience: &Audience,
    referral_id: Option<Uuid>,
    event: &str,
    message: &Message,
    urgent: bool,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    // A message that does not serialise is an error, never a null stored in its place.
    let message = serde_json::to_value(message).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    db::insert(conn, audience, referral_id, event, &message, urgent, now).await
}

/// An alert about a referral: `title` says what happened; `note` adds a line.
async fn about_referral(
    conn: &mut PgConnection,
    audience: &Audience,
    referral_id: Uuid,
    event: &str,
    title: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    if !db::reaching(&mut *conn, audience).await? {
        return Ok(0);
    }
    let Some(facts) = db::facts(&mut *conn, referral_id).await? else {
        return Ok(0);
    };
    let urgent = facts.priority == "urgent";
    let message = message::about_referral(title, note, &facts, now);
    insert(
        conn,
        audience,
        Some(referral_id),
        event,
        &message,
        urgent,
        now,
    )
    .await
}

/// New referrals, each to the channels of the station that holds it.
async fn routed(
    conn: &mut PgConnection,
    referral_ids: &[Uuid],
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let facts = db::facts_with_channel(&mut *conn, referral_ids).await?;
    let mut queued = 0;
    for f in &facts {
        let title = if f.priority == "urgent" {
            "紧急转介 Urgent referral"
        } else {
            "新转介 New referral"
        };
        let audience = Audience {
            duty_stations: vec![f.station_code.clone()],
            ..Audience::default()
        };
        let message = message::about_referral(title, None, f, now);
        queued += insert(
            conn,
            &audience,
            Some(f.id),
            "referral_routed",
            &message,
            f.priority == "urgent",
            now,
        )
        .await?;
    }
    Ok(queued)
}

/// An alert about no single referral (an alert's unvisited hotspots, an incident).
async fn untied(
    conn: &mut PgConnection,
    audience: &Audience,
    event: &str,
    title: &str,
    body: &str,
    path: Option<String>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let message = message::plain(title, body, path);
    insert(conn, audience, None, event, &message, false, now).await
}

/// The channels' part of an event: a pushed alert goes to the same audience's channels, new
/// referrals to their stations'.
pub fn on_event<'a>(
    conn: &'a mut PgConnection,
    event: &'a Event<'a>,
    now: DateTime<Utc>,
) -> BoxFuture<'a, sqlx::Result<()>> {
    Box::pin(async move {
        match *event {
            Event::Alerted {
                audience,
                referral_id: Some(id),
                event,
                title,
                body,
                ..
            } => {
                let note = (!body.is_empty()).then_some(body);
                about_referral(conn, audience, id, event, title, note, now).await?;
            }
            Event::Alerted {
                audience,
                referral_id: None,
                event,
                title,
                body,
                path,
            } => {
                untied(
                    conn,
                    audience,
                    event,
                    title,
                    body,
                    path.map(str::to_owned),
                    now,
                )
                .await?;
            }
            Event::Routed { referral_ids } if !referral_ids.is_empty() => {
                routed(conn, referral_ids, now).await?;
            }
            Event::Routed { .. } | Event::Resolved { .. } => {}
        }
        Ok(())
    })
}
