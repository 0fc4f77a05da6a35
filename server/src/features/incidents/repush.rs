//! An incident no supervisor has acknowledged within `XUNJIU_INCIDENT_REPUSH_MINUTES` is
//! pushed once more, from database state under row locks, so a restart or a second server
//! neither loses nor doubles it.

use chrono::{DateTime, Utc};
use mobile_api::IncidentKind;
use uuid::Uuid;

use crate::plumbing::state::AppState;
use crate::rules::wire;

#[derive(Debug, sqlx::FromRow)]
struct Due {
    id: Uuid,
    kind: String,
    station_code: String,
    county: Option<String>,
    occurred_at: DateTime<Utc>,
}

/// One pass; returns the notifications queued.
pub async fn run_once(state: &AppState) -> anyhow::Result<u64> {
    let now = state.clock.now();
    let cutoff = now - state.settings.incident_repush_after();
    let mut tx = state.db.begin().await?;
    let due: Vec<Due> = sqlx::query_as(
        "select id, kind, station_code, county_of(area_code, station_code) as county, occurred_at
         from incidents
         where acknowledged_at is null and repushed_at is null and reported_at <= $1
         order by reported_at, id limit 200
         for update skip locked",
    )
    .bind(cutoff)
    .fetch_all(&mut *tx)
    .await?;
    let mut queued = 0;
    for incident in &due {
        let kind: IncidentKind = wire::parse(&incident.kind)?;
        queued += super::push(
            &mut tx,
            incident.id,
            kind,
            &incident.station_code,
            incident.county.clone(),
            incident.occurred_at,
            true,
            now,
        )
        .await?;
        sqlx::query("update incidents set repushed_at = $2 where id = $1")
            .bind(incident.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tracing::warn!(incident_id = %incident.id, "incident unacknowledged: pushed again");
    }
    tx.commit().await?;
    Ok(queued)
}
