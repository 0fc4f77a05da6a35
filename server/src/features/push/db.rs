//! Push subscription queries.

use sqlx::PgExecutor;
use uuid::Uuid;

/// Store a browser's subscription for `user`. One browser is one endpoint: subscribing again
/// (or as another officer on a shared desk) moves it rather than duplicating notifications.
pub async fn upsert_subscription(
    db: impl PgExecutor<'_>,
    user: Uuid,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "insert into push_subscriptions (user_id, endpoint, p256dh, auth) values ($1, $2, $3, $4)
         on conflict (endpoint) do update set user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth
         returning id",
    )
    .bind(user)
    .bind(endpoint)
    .bind(p256dh)
    .bind(auth)
    .fetch_one(db)
    .await
}

/// Remove `user`'s subscription by endpoint; how many were removed.
pub async fn delete_by_endpoint(
    db: impl PgExecutor<'_>,
    user: Uuid,
    endpoint: &str,
) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("delete from push_subscriptions where endpoint = $1 and user_id = $2")
            .bind(endpoint)
            .bind(user)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// Remove `user`'s subscription by id; how many were removed.
pub async fn delete_by_id(db: impl PgExecutor<'_>, user: Uuid, id: Uuid) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("delete from push_subscriptions where id = $1 and user_id = $2")
            .bind(id)
            .bind(user)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
