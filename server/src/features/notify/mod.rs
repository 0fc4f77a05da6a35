//! Alerts where duty officers in mainland China read them: DingTalk and WeCom group robots and
//! Aliyun SMS, beside web push. Channels are set up with `xunjiu notify` ([`channels`]); every
//! push also queues a message for the channels of the same station, county or city
//! ([`on_event`], on the event web push emits); [`sender`] delivers with retries and keeps each
//! attempt; `GET /api/v1/referrals/{id}/notifications` says what reached whom.

pub mod channels;
mod db;
pub mod message;
mod outbox;
pub mod sender;
pub mod services;

pub use outbox::on_event;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use mobile_api::{
    Delivery, DeliveryAttempt, DeliveryStatus, NotificationList, Role, WebPushSummary,
};
use uuid::Uuid;

use crate::features::auth::CurrentUser;
use crate::plumbing::error::Result;
use crate::plumbing::extract::{ApiJson, ApiPath};
use crate::plumbing::state::AppState;
use crate::rules::wire;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/referrals/{id}/notifications",
        get(referral_notifications),
    )
}

/// What was sent about a referral, to which channel, and whether it arrived (duty officers of
/// the stations concerned, supervisors in scope).
#[utoipa::path(get, path = "/api/v1/referrals/{id}/notifications", tag = "push", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = NotificationList),
              (status = 403, description = "duty officers and supervisors", body = mobile_api::ErrorBody),
              (status = 404, description = "referral_not_found", body = mobile_api::ErrorBody)))]
pub async fn referral_notifications(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<NotificationList>> {
    user.require(&[Role::Duty, Role::Supervisor])?;
    crate::features::referrals::ensure_visible(&state, &user, id).await?;
    let rows = db::deliveries(&state.db, id).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let attempts = db::attempts(&state.db, &ids).await?;
    let (pending, delivered, failed) = crate::features::push::summary(&state.db, id).await?;
    let deliveries = rows
        .into_iter()
        .map(|r| {
            Ok(Delivery {
                channel: r.channel,
                kind: wire::parse(&r.kind)?,
                event: r.event,
                created_at: r.created_at,
                status: match (r.delivered_at, r.failed_at) {
                    (Some(_), _) => DeliveryStatus::Delivered,
                    (None, Some(_)) => DeliveryStatus::Failed,
                    (None, None) => DeliveryStatus::Pending,
                },
                delivered_at: r.delivered_at,
                attempts: attempts
                    .iter()
                    .filter(|a| a.outbox_id == r.id)
                    .map(|a| DeliveryAttempt {
                        at: a.at,
                        ok: a.ok,
                        code: a.code.clone(),
                        detail: a.detail.clone(),
                    })
                    .collect(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(ApiJson(NotificationList {
        deliveries,
        web_push: WebPushSummary {
            pending,
            delivered,
            failed,
        },
    }))
}
