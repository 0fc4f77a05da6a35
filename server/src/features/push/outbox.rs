//! Writing notifications. Each is one row per browser subscription, written in the transaction
//! that caused it; `sender` delivers them. Payloads show on lock screens, so they carry what
//! happened, a station or township, times and a console link: no categories, counts, names,
//! person ids, caller phones or descriptions.
//! The same call emits [`Event::Alerted`], on which the audience's DingTalk, WeCom and SMS
//! channels are queued too, so every path that pushes also reaches them.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::rules::events::{self, Event};

pub use crate::rules::audience::Audience;

/// A notification's content: what the service worker shows, and where a click leads.
pub fn payload(
    kind: &str,
    referral_id: Uuid,
    station: &str,
    priority: &str,
    title: &str,
    body: &str,
) -> Value {
    json!({
        "type": kind,
        "referral_id": referral_id,
        "station": station,
        "priority": priority,
        "title": title,
        "body": body,
        "url": format!("/console/#/referrals/{referral_id}"),
    })
}

/// Queue `payload` about a referral for every live subscription of the audience; returns how
/// many were queued.
pub async fn enqueue(
    conn: &mut PgConnection,
    audience: &Audience,
    referral_id: Uuid,
    payload: &Value,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    enqueue_for(conn, audience, Some(referral_id), payload, now).await
}

/// Queue a notification that concerns no single referral (an alert's coverage, say).
pub async fn enqueue_untied(
    conn: &mut PgConnection,
    audience: &Audience,
    payload: &Value,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    enqueue_for(conn, audience, None, payload, now).await
}

async fn enqueue_for(
    conn: &mut PgConnection,
    audience: &Audience,
    referral_id: Option<Uuid>,
    payload: &Value,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let queued = super::db::insert_for(&mut *conn, audience, referral_id, payload, now).await?;
    let text = |key: &str| payload[key].as_str().unwrap_or_default();
    let alerted = Event::Alerted {
        audience,
        referral_id,
        event: text("type"),
        title: text("title"),
        body: text("body"),
        path: payload["url"].as_str(),
    };
    events::emit(conn, &alerted, now).await?;
    Ok(queued)
}

/// New referrals ring at their station's duty officers: the insert that queues a push for each
/// referral of `source` (a relation with the referral's id, station_code and priority), `$1`
/// the time. Its caller emits [`Event::Routed`] for the other channels.
pub fn routed_insert(source: &str) -> String {
    format!(
        "insert into push_outbox (subscription_id, referral_id, payload, next_attempt_at, created_at)
         select s.id, r.id,
                jsonb_build_object(
                    'type', 'referral_routed', 'referral_id', r.id, 'station', r.station_code,
                    'priority', r.priority,
                    'title', case when r.priority = 'urgent' then '紧急转介 Urgent referral' else '新转介 New referral' end,
                    'body', st.name,
                    'url', '/console/#/referrals/' || r.id),
                $1, $1
         from {source} r
         join stations st on st.code = r.station_code
         join users u on u.role = 'duty' and u.station_code = r.station_code and u.disabled_at is null
         join push_subscriptions s on s.user_id = u.id"
    )
}
