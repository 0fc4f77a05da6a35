//! Service requests as Open311 shows them: referrals that came through Open311.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// A request as its reader may see it: `full` for the partner that posted it (exact place,
/// address, description), otherwise the public view (place rounded to 0.01°, about 1 km).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: Uuid,
    pub service_code: String,
    pub status: String,
    pub accountable_station: String,
    pub reported_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    pub description: Option<String>,
    pub full: bool,
    pub outcome: Option<String>,
}

/// What a reader asks for; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub ids: Option<Vec<Uuid>>,
    pub service_codes: Option<Vec<String>>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Statuses of referrals (`routed` … `closed`).
    pub statuses: Option<Vec<String>>,
}

/// Requests `partner` (or, without one, the public) may see. Requests about a special target
/// (by category or by service) are the posting partner's alone: nobody else learns they exist.
pub async fn list(
    db: impl PgExecutor<'_>,
    f: &Filter,
    partner: Option<Uuid>,
) -> sqlx::Result<Vec<RequestRow>> {
    sqlx::query_as(
        "select r.id, r.open311_service_code as service_code, r.status, r.accountable_station, r.reported_at,
                r.updated_at,
                case when v.full then st_y(r.location::geometry)
                     else round(st_y(r.location::geometry)::numeric, 2)::float8 end as lat,
                case when v.full then st_x(r.location::geometry)
                     else round(st_x(r.location::geometry)::numeric, 2)::float8 end as lon,
                case when v.full then nullif(r.address_text, '') end as address,
                case when v.full then nullif(r.description, '') end as description,
                v.full, r.outcome
         from referrals r
         cross join lateral (select coalesce(r.partner_id = $6, false) as full) v
         where r.open311_service_code is not null
           and (v.full or not (is_special(r.categories)
                               or r.open311_service_code in ('lost_or_confused', 'minor_alone')))
           and ($1::uuid[] is null or r.id = any($1))
           and ($2::text[] is null or r.open311_service_code = any($2))
           and ($1::uuid[] is not null or (r.reported_at >= $3 and r.reported_at < $4))
           and ($5::text[] is null or r.status = any($5))
         order by r.reported_at desc, r.id
         limit 1000",
    )
    .bind(&f.ids)
    .bind(&f.service_codes)
    .bind(f.from)
    .bind(f.to)
    .bind(&f.statuses)
    .bind(partner)
    .fetch_all(db)
    .await
}

/// `(lat, lon)` of the active hotspot named exactly `name`.
pub async fn hotspot_named(
    db: impl PgExecutor<'_>,
    name: &str,
) -> sqlx::Result<Option<(f64, f64)>> {
    sqlx::query_as(
        "select st_y(location::geometry), st_x(location::geometry) from hotspots where active and name = $1 limit 1",
    )
    .bind(name)
    .fetch_optional(db)
    .await
}

/// A partner whose key is live.
#[derive(Debug, Clone)]
pub struct Partner {
    pub id: Uuid,
    pub name: String,
    pub channel: String,
}

pub async fn insert_partner(
    db: impl PgExecutor<'_>,
    name: &str,
    channel: &str,
    key_hash: &[u8],
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into partners (name, channel, key_hash) values ($1, $2, $3)",
        name,
        channel,
        key_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Revoke a partner's key (the first revocation's time stays); its id, if it exists.
pub async fn revoke_partner(
    db: impl PgExecutor<'_>,
    name: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "update partners set revoked_at = coalesce(revoked_at, $2) where name = $1 returning id",
        name,
        now
    )
    .fetch_optional(db)
    .await
}

/// Every partner: name, channel, whether revoked.
pub async fn partners(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, String, bool)>> {
    let rows = sqlx::query!(
        r#"select name, channel, revoked_at is not null as "revoked!" from partners order by name"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.name, r.channel, r.revoked))
        .collect())
}

/// The live partner a key's digest belongs to.
pub async fn partner_by_key_hash(
    db: impl PgExecutor<'_>,
    key_hash: &[u8],
) -> sqlx::Result<Option<Partner>> {
    sqlx::query_as!(
        Partner,
        "select id, name, channel from partners where key_hash = $1 and revoked_at is null",
        key_hash
    )
    .fetch_optional(db)
    .await
}
