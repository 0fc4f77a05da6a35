//! The one statement of positions: what a record's position was sent as, before conversion.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn insert_original(
    conn: &mut PgConnection,
    record_kind: &str,
    record_id: Uuid,
    crs: &str,
    lat: f64,
    lon: f64,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into position_originals (record_kind, record_id, crs, lat, lon, recorded_at)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
        record_kind,
        record_id,
        crs,
        lat,
        lon,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}
