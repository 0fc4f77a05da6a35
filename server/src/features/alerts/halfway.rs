//! Half-way through an alert, the hotspots nobody has checked yet are pushed to the
//! supervisors of their county, once, from database state.

use super::db;
use crate::features::push::{self, Audience};
use crate::plumbing::state::AppState;

/// One pass; returns the notifications queued.
pub async fn run_once(state: &AppState) -> anyhow::Result<u64> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let due = db::halfway_due(&mut tx, now).await?;
    let mut queued = 0;
    for alert in &due {
        // An alert already over when the worker gets to it has nothing left to prompt.
        if alert.ends_at > now {
            let rows = db::coverage(
                &mut *tx,
                &alert.counties,
                alert.starts_at,
                alert.ends_at,
                false,
            )
            .await?;
            for county in &alert.counties {
                let unvisited: Vec<&str> = rows
                    .iter()
                    .filter(|r| {
                        r.last_at.is_none() && r.hotspot.county_code.as_deref() == Some(county)
                    })
                    .map(|r| r.hotspot.name.as_str())
                    .collect();
                if unvisited.is_empty() {
                    continue;
                }
                let body = format!(
                    "{} 处未巡查 unvisited: {}",
                    unvisited.len(),
                    unvisited.join("; ")
                );
                let payload = serde_json::json!({
                    "type": "alert_unvisited", "alert_id": alert.id, "kind": alert.kind, "county": county,
                    "unvisited": unvisited.len(), "title": "极端天气巡查 Hotspots not yet checked", "body": body,
                    "url": format!("/console/#/alerts/{}", alert.id),
                });
                let audience = Audience {
                    county_supervisors_of: Some(county.clone()),
                    ..Audience::default()
                };
                queued += push::enqueue_untied(&mut tx, &audience, &payload, now).await?;
                tracing::info!(alert_id = %alert.id, county = %county, unvisited = unvisited.len(), "alert half-way: unvisited hotspots pushed");
            }
        }
        db::mark_halfway_notified(&mut tx, alert.id, now).await?;
    }
    tx.commit().await?;
    Ok(queued)
}
