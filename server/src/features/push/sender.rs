//! Delivering the outbox: encrypt (aes128gcm), sign (VAPID), POST to the browser's push
//! service. Failures retry with exponential backoff; endpoints that answer 404 or 410 are gone
//! and their subscriptions are removed. Each delivery is logged without its payload.

use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::Duration;
use uuid::Uuid;
use web_push::{
    ContentEncoding, SubscriptionInfo, VapidSignatureBuilder, WebPushError, WebPushMessageBuilder,
    request_builder,
};

use super::endpoints::Policy;
use super::vapid::VapidKeys;
use crate::plumbing::state::AppState;

/// Attempts before a notification is given up.
pub const MAX_ATTEMPTS: i32 = 8;
const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(10);

#[derive(Debug, sqlx::FromRow)]
struct Due {
    id: i64,
    attempts: i32,
    payload: serde_json::Value,
    referral_id: Option<Uuid>,
    subscription_id: Uuid,
    endpoint: String,
    p256dh: String,
    auth: String,
}

/// What became of one attempt.
#[derive(Debug)]
enum Delivery {
    Delivered,
    Gone,
    Failed(String),
}

/// Wait after the `attempts`-th failure: 5 s, 10 s, 20 s … capped at an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    Duration::seconds((5_i64 << exp).min(3600))
}

/// One pass over what is due; returns how many were attempted.
pub async fn deliver_once(state: &AppState, client: &reqwest::Client) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Row locks with SKIP LOCKED: two senders never send the same notification.
    let due: Vec<Due> = sqlx::query_as(
        "select o.id, o.attempts, o.payload, o.referral_id, s.id as subscription_id, s.endpoint, s.p256dh, s.auth
         from push_outbox o join push_subscriptions s on s.id = o.subscription_id
         where o.delivered_at is null and o.failed_at is null and o.next_attempt_at <= $1
         order by o.id limit 50
         for update of o skip locked",
    )
    .bind(now)
    .fetch_all(&mut *tx)
    .await
    .context("reading the push outbox")?;
    let vapid = state.vapid();
    let subject = state.settings.vapid_subject.clone();
    let policy = state.push_policy();
    let results =
        futures::future::join_all(due.iter().map(|d| send(client, policy, vapid, &subject, d)))
            .await;

    for (d, result) in due.iter().zip(results) {
        let attempts = d.attempts + 1;
        match &result {
            Delivery::Delivered => {
                sqlx::query(
                    "update push_outbox set delivered_at = $2, attempts = $3 where id = $1",
                )
                .bind(d.id)
                .bind(now)
                .bind(attempts)
                .execute(&mut *tx)
                .await?;
            }
            Delivery::Gone => {
                sqlx::query("delete from push_subscriptions where id = $1")
                    .bind(d.subscription_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Delivery::Failed(error) => {
                let give_up = attempts >= MAX_ATTEMPTS;
                sqlx::query(
                    "update push_outbox set attempts = $2, last_error = $3, next_attempt_at = $4,
                         failed_at = case when $5 then $6 else null end
                     where id = $1",
                )
                .bind(d.id)
                .bind(attempts)
                .bind(error)
                .bind(now + backoff(attempts))
                .bind(give_up)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        let outcome = match &result {
            Delivery::Delivered => "delivered",
            Delivery::Gone => "subscription_gone",
            Delivery::Failed(_) if attempts >= MAX_ATTEMPTS => "given_up",
            Delivery::Failed(_) => "retry",
        };
        tracing::info!(outbox_id = d.id, subscription_id = %d.subscription_id, referral_id = ?d.referral_id, attempts, outcome, "push delivery");
    }
    tx.commit().await?;
    Ok(due.len())
}

async fn send(
    client: &reqwest::Client,
    policy: &Policy,
    vapid: &VapidKeys,
    subject: &str,
    d: &Due,
) -> Delivery {
    // Checked again at sending: a subscription stored before the allow-list, or before an
    // operator narrowed it, is not sent to.
    if let Err(why) = policy.check(&d.endpoint) {
        return Delivery::Failed(why.to_owned());
    }
    match try_send(client, vapid, subject, d).await {
        Ok(()) => Delivery::Delivered,
        Err(WebPushError::EndpointNotValid(_) | WebPushError::EndpointNotFound(_)) => {
            Delivery::Gone
        }
        Err(e) => Delivery::Failed(e.short_description().to_owned()),
    }
}

async fn try_send(
    client: &reqwest::Client,
    vapid: &VapidKeys,
    subject: &str,
    d: &Due,
) -> Result<(), WebPushError> {
    let info = SubscriptionInfo::new(d.endpoint.as_str(), d.p256dh.as_str(), d.auth.as_str());
    let mut signature = VapidSignatureBuilder::from_base64(&vapid.private_key, &info)?;
    signature.add_claim("sub", subject);
    // RFC 8292: `aud` is the push resource's origin, port included; web-push's default drops
    // the port, which only goes unnoticed on 443.
    let origin = reqwest::Url::parse(&d.endpoint)
        .map_err(|_| WebPushError::InvalidUri)?
        .origin();
    signature.add_claim("aud", origin.ascii_serialization());
    let payload = serde_json::to_vec(&d.payload).map_err(|_| WebPushError::InvalidClaims)?;
    let mut message = WebPushMessageBuilder::new(&info);
    message.set_payload(ContentEncoding::Aes128Gcm, &payload);
    message.set_vapid_signature(signature.build()?);
    // A day: a referral older than that is handled or escalated by other means.
    message.set_ttl(24 * 3600);
    let request: http02::Request<Vec<u8>> = request_builder::build_request(message.build()?);

    let mut outgoing = client.post(request.uri().to_string()).timeout(SEND_TIMEOUT);
    for (name, value) in request.headers() {
        outgoing = outgoing.header(name.as_str(), value.as_bytes());
    }
    let response = outgoing
        .body(request.into_body())
        .send()
        .await
        .map_err(|_| WebPushError::Unspecified)?;
    let status = http02::StatusCode::from_u16(response.status().as_u16())
        .map_err(|_| WebPushError::InvalidResponse)?;
    let body = response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    request_builder::parse_response(status, body)
}

/// Deliver forever, a pass a second.
pub async fn run(state: AppState) {
    let client = super::endpoints::client();
    drain_forever("push", || deliver_once(&state, &client)).await
}

/// Run `pass` again at once while it finds work, else a second later; a failed pass is logged
/// under `what` and tried again (shared by the senders of each outbox).
pub async fn drain_forever<F, Fut>(what: &str, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    loop {
        match pass().await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(err) => tracing::warn!(
                error = format!("{err:#}"),
                outbox = what,
                "delivery pass failed; will retry"
            ),
        }
        tokio::time::sleep(StdDuration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(5));
        assert_eq!(backoff(2), Duration::seconds(10));
        assert_eq!(backoff(4), Duration::seconds(40));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }
}
