//! Queueing alerts for the channels of a station, a county or the city, in the transaction that
//! caused them (the same one that queues web push). Nothing is read when no channel is set up.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::message::{self, Message, ReferralFacts};
use crate::rules::audience::Audience;

/// The channels that reach `audience`, as a condition on `c` over `$1` (stations), `$2` (a
/// county) and `$3` (the city).
const REACHES: &str = "c.removed_at is null
    and (c.station_code = any($1) or ($2::text is not null and c.county_code = $2) or ($3 and c.city))";

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
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "insert into notify_outbox (channel_id, referral_id, event, message, urgent, next_attempt_at, created_at)
         select c.id, $4, $5, $6, $7, $8, $8 from notify_channels c where {REACHES}"
    )))
    .bind(&audience.duty_stations)
    .bind(&audience.county_supervisors_of)
    .bind(audience.city_supervisors)
    .bind(referral_id)
    .bind(event)
    .bind(message)
    .bind(urgent)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}

async fn any_channel(conn: &mut PgConnection, audience: &Audience) -> sqlx::Result<bool> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select exists (select 1 from notify_channels c where {REACHES})"
    )))
    .bind(&audience.duty_stations)
    .bind(&audience.county_supervisors_of)
    .bind(audience.city_supervisors)
    .fetch_one(conn)
    .await
}

/// An alert about a referral: `title` says what happened; `note` adds a line.
pub async fn about_referral(
    conn: &mut PgConnection,
    audience: &Audience,
    referral_id: Uuid,
    event: &str,
    title: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    if !any_channel(&mut *conn, audience).await? {
        return Ok(0);
    }
    let facts: Option<ReferralFacts> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} where r.id = $1",
        message::FACTS
    )))
    .bind(referral_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(facts) = facts else { return Ok(0) };
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
pub async fn routed(
    conn: &mut PgConnection,
    referral_ids: &[Uuid],
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let facts: Vec<ReferralFacts> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} where r.id = any($1)
           and exists (select 1 from notify_channels c where c.removed_at is null and c.station_code = r.station_code)",
        message::FACTS
    )))
    .bind(referral_ids)
    .fetch_all(&mut *conn)
    .await?;
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
pub async fn untied(
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
