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
