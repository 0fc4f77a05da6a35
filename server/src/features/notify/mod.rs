//! Alerts where duty officers in mainland China read them: DingTalk and WeCom group robots and
//! Aliyun SMS, beside web push. Channels are set up with `xunjiu notify` ([`channels`]); every
//! push also queues a message for the channels of the same station, county or city
//! ([`outbox`], called from `push::outbox`); [`sender`] delivers with retries and keeps each
//! attempt; `GET /api/v1/referrals/{id}/notifications` says what reached whom.

pub mod channels;
pub mod message;
pub mod outbox;
pub mod sender;
pub mod services;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
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

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: i64,
    channel: String,
    kind: String,
    event: String,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    failed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, sqlx::FromRow)]
struct AttemptRow {
    outbox_id: i64,
    at: DateTime<Utc>,
    ok: bool,
    code: String,
    detail: Option<String>,
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
    let rows: Vec<Row> = sqlx::query_as(
        "select o.id, c.name as channel, c.kind, o.event, o.created_at, o.delivered_at, o.failed_at
         from notify_outbox o join notify_channels c on c.id = o.channel_id
         where o.referral_id = $1 order by o.id",
    )
    .bind(id)
    .fetch_all(&state.db)
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let attempts: Vec<AttemptRow> = sqlx::query_as(
        "select outbox_id, at, ok, code, detail from notify_attempts where outbox_id = any($1) order by id",
    )
    .bind(&ids)
    .fetch_all(&state.db)
    .await?;
    let (pending, delivered, failed): (i64, i64, i64) = sqlx::query_as(
        "select count(*) filter (where delivered_at is null and failed_at is null),
                count(*) filter (where delivered_at is not null),
                count(*) filter (where failed_at is not null)
         from push_outbox where referral_id = $1",
    )
    .bind(id)
    .fetch_one(&state.db)
    .await?;
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
