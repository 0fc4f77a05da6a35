//! Every statement of web push: subscriptions, the VAPID key, the outbox and its deliveries.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::rules::audience::Audience;

/// Store a browser's subscription for `user`. One browser is one endpoint: subscribing again
/// (or as another officer on a shared desk) moves it rather than duplicating notifications.
pub async fn upsert_subscription(
    db: impl PgExecutor<'_>,
    user: Uuid,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into push_subscriptions (user_id, endpoint, p256dh, auth) values ($1, $2, $3, $4)
         on conflict (endpoint) do update set user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth
         returning id",
        user,
        endpoint,
        p256dh,
        auth
    )
    .fetch_one(db)
    .await
}

/// Remove `user`'s subscription by endpoint; how many were removed.
pub async fn delete_by_endpoint(
    db: impl PgExecutor<'_>,
    user: Uuid,
    endpoint: &str,
) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "delete from push_subscriptions where endpoint = $1 and user_id = $2",
        endpoint,
        user
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// Remove `user`'s subscription by id; how many were removed.
pub async fn delete_by_id(db: impl PgExecutor<'_>, user: Uuid, id: Uuid) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "delete from push_subscriptions where id = $1 and user_id = $2",
        id,
        user
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// Store a key pair unless one is stored already.
pub async fn insert_vapid_if_none(
    db: impl PgExecutor<'_>,
    sealed_private: &str,
    public: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into vapid_keys (private_key, public_key) values ($1, $2) on conflict (id) do nothing",
        sealed_private,
        public
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The stored key pair: the private key as stored (sealed, or clear from before sealing), the
/// public key.
pub async fn stored_vapid(db: impl PgExecutor<'_>) -> sqlx::Result<(String, String)> {
    let row = sqlx::query!("select private_key, public_key from vapid_keys")
        .fetch_one(db)
        .await?;
    Ok((row.private_key, row.public_key))
}

/// Replace the stored private key `was` by `sealed` (sealing a key stored in the clear).
pub async fn reseal_vapid(db: impl PgExecutor<'_>, was: &str, sealed: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update vapid_keys set private_key = $2 where private_key = $1",
        was,
        sealed
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Store a new key pair in place of the old one.
pub async fn replace_vapid(
    db: impl PgExecutor<'_>,
    sealed_private: &str,
    public: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into vapid_keys (private_key, public_key) values ($1, $2)
         on conflict (id) do update set private_key = excluded.private_key,
             public_key = excluded.public_key, created_at = now()",
        sealed_private,
        public
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Forget every subscription: they were made for a key that is gone.
pub async fn delete_all_subscriptions(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query!("delete from push_subscriptions")
        .execute(db)
        .await?;
    Ok(())
}

/// Web pushes about a referral still waiting, delivered, and given up.
pub async fn summary(db: impl PgExecutor<'_>, referral_id: Uuid) -> sqlx::Result<(i64, i64, i64)> {
    let row = sqlx::query!(
        r#"select count(*) filter (where delivered_at is null and failed_at is null) as "pending!",
                  count(*) filter (where delivered_at is not null) as "delivered!",
                  count(*) filter (where failed_at is not null) as "failed!"
           from push_outbox where referral_id = $1"#,
        referral_id
    )
    .fetch_one(db)
    .await?;
    Ok((row.pending, row.delivered, row.failed))
}

/// Queue `payload` for every live subscription of `audience`; how many were queued.
pub async fn insert_for(
    db: impl PgExecutor<'_>,
    audience: &Audience,
    referral_id: Option<Uuid>,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "insert into push_outbox (subscription_id, referral_id, payload, next_attempt_at, created_at)
         select distinct s.id, $4::uuid, $5::jsonb, $6::timestamptz, $6::timestamptz
         from push_subscriptions s join users u on u.id = s.user_id
         where u.disabled_at is null
           and ((u.role = 'duty' and u.station_code = any($1))
             or (u.role = 'supervisor' and $2::text is not null and u.county_code = $2)
             or (u.role = 'supervisor' and $3 and u.county_code is null)
             or (u.role = 'liaison' and $7::text is not null and u.township_code = $7))",
        &audience.duty_stations,
        audience.county_supervisors_of.as_deref(),
        audience.city_supervisors,
        referral_id,
        payload,
        now,
        audience.liaisons_of.as_deref(),
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A queued notification with the subscription it goes to.
#[derive(Debug)]
pub struct Due {
    pub id: i64,
    pub attempts: i32,
    pub payload: serde_json::Value,
    pub referral_id: Option<Uuid>,
    pub subscription_id: Uuid,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Up to 50 notifications due at `now`, locked (`skip locked`: two senders never send one twice).
pub async fn claim_due(conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as!(
        Due,
        r#"select o.id, o.attempts, o.payload, o.referral_id, s.id as "subscription_id!",
                  s.endpoint as "endpoint!", s.p256dh as "p256dh!", s.auth as "auth!"
           from push_outbox o join push_subscriptions s on s.id = o.subscription_id
           where o.delivered_at is null and o.failed_at is null and o.next_attempt_at <= $1
           order by o.id limit 50
           for update of o skip locked"#,
        now
    )
    .fetch_all(conn)
    .await
}

pub async fn mark_delivered(
    conn: &mut PgConnection,
    id: i64,
    attempts: i32,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update push_outbox set delivered_at = $2, attempts = $3 where id = $1",
        id,
        now,
        attempts
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A failed attempt: due again at `next`, or given up at `now`.
pub async fn mark_failed(
    conn: &mut PgConnection,
    id: i64,
    attempts: i32,
    error: &str,
    next: DateTime<Utc>,
    give_up: bool,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update push_outbox set attempts = $2, last_error = $3, next_attempt_at = $4,
             failed_at = case when $5 then $6::timestamptz else null end
         where id = $1",
        id,
        attempts,
        error,
        next,
        give_up,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The push service says the subscription is gone.
pub async fn delete_subscription(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("delete from push_subscriptions where id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}
