//! Delivering the outbox: encrypt (aes128gcm), sign (VAPID), POST to the browser's push
//! service. Failures retry with exponential backoff; endpoints that answer 404 or 410 are gone
//! and their subscriptions are removed. Each delivery is logged without its payload.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use web_push::{
    ContentEncoding, SubscriptionInfo, VapidSignatureBuilder, WebPushError, WebPushMessageBuilder,
    request_builder,
};

use super::db::{self, Due};
use super::endpoints::Policy;
use super::vapid::VapidKeys;
use crate::plumbing::delivery::{self, Attempt, Outbox};
use crate::plumbing::state::AppState;

const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// What became of one attempt.
#[derive(Debug)]
enum Delivery {
    Delivered,
    Gone,
    Failed(String),
}

/// The web-push outbox and what sending from it needs.
struct Pushes<'a> {
    client: &'a reqwest::Client,
    policy: &'a Policy,
    vapid: &'a VapidKeys,
    subject: &'a str,
}

impl Outbox for Pushes<'_> {
    type Item = Due;
    type Answer = Delivery;

    async fn claim(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Due>> {
        db::claim_due(conn, now).await
    }

    async fn send(&self, d: &Due, _now: DateTime<Utc>) -> Delivery {
        send(self.client, self.policy, self.vapid, self.subject, d).await
    }

    async fn record(
        &self,
        conn: &mut PgConnection,
        d: &Due,
        result: Delivery,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let attempt = Attempt::after(d.attempts, now);
        let outcome = match &result {
            Delivery::Delivered => {
                db::mark_delivered(conn, d.id, attempt.number, now).await?;
                "delivered"
            }
            Delivery::Gone => {
                db::delete_subscription(conn, d.subscription_id).await?;
                "subscription_gone"
            }
            Delivery::Failed(error) => {
                db::mark_failed(
                    conn,
                    d.id,
                    attempt.number,
                    error,
                    attempt.next_at,
                    attempt.last,
                    now,
                )
                .await?;
                if attempt.last { "given_up" } else { "retry" }
            }
        };
        tracing::info!(outbox_id = d.id, subscription_id = %d.subscription_id, referral_id = ?d.referral_id,
            attempts = attempt.number, outcome, "push delivery");
        Ok(())
    }
}

/// One pass over what is due; returns how many were attempted.
pub async fn deliver_once(state: &AppState, client: &reqwest::Client) -> anyhow::Result<usize> {
    let pushes = Pushes {
        client,
        policy: state.push_policy(),
        vapid: state.vapid(),
        subject: &state.settings.vapid_subject,
    };
    delivery::deliver_once(&state.db, &pushes, state.clock.now()).await
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
    delivery::drain_forever("push", || deliver_once(&state, &client)).await
}
