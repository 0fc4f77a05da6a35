//! Service requests as Open311 shows them: referrals that came through Open311.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

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
    pub address_text: String,
    pub partner_id: Option<Uuid>,
    pub involves_minor: bool,
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

pub async fn list(db: impl PgExecutor<'_>, f: &Filter) -> sqlx::Result<Vec<RequestRow>> {
    sqlx::query_as(
        "select r.id, r.open311_service_code as service_code, r.status, r.accountable_station, r.reported_at,
                r.updated_at, st_y(r.location::geometry) as lat, st_x(r.location::geometry) as lon, r.address_text,
                r.partner_id, 'minor' = any(r.categories) as involves_minor
         from referrals r
         where r.open311_service_code is not null
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
    .fetch_all(db)
    .await
}
