//! An incident no supervisor has acknowledged within `XUNJIU_INCIDENT_REPUSH_MINUTES` is
//! pushed once more, from database state under row locks, so a restart or a second server
//! neither loses nor doubles it.

use mobile_api::IncidentKind;

use crate::plumbing::state::AppState;
use crate::rules::wire;

/// One pass; returns the notifications queued.
pub async fn run_once(state: &AppState) -> anyhow::Result<u64> {
    let now = state.clock.now();
    let cutoff = now - state.settings.incident_repush_after();
    let mut tx = state.db.begin().await?;
    let due = super::db::unacknowledged_before(&mut tx, cutoff).await?;
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
        super::db::mark_repushed(&mut tx, incident.id, now).await?;
        tracing::warn!(incident_id = %incident.id, "incident unacknowledged: pushed again");
    }
    tx.commit().await?;
    Ok(queued)
}
