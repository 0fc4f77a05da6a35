//! Storing sightings exactly once. A single upload and a batch of 500 take the same path: route
//! each in memory, insert the new ones and the referrals they raise in one transaction, then
//! tell replays (same id, same body) from conflicts (same id, different body or reporter).

use std::collections::HashMap;

use uuid::Uuid;

use super::db::{self, NewRow};
use super::draft::SightingDraft;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::referrals;
use crate::routing::Directory;
use crate::state::AppState;
use crate::wire;

/// How one sighting fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Duplicate,
    Conflict,
}

/// Route a draft, or say why it cannot be.
pub fn route(draft: &SightingDraft, directory: &Directory) -> Result<NewRow, ApiError> {
    /// Reports this close to a registered hotspot count as made at it.
    const HOTSPOT_SNAP_M: f64 = 150.0;
    let routed = directory.route(draft.point)?;
    Ok(NewRow {
        id: draft.id,
        observed_at: draft.observed_at,
        point: draft.point,
        accuracy_m: draft.accuracy_m,
        people_count: draft.people_count,
        categories: draft.categories.iter().map(wire::name).collect(),
        action_taken: wire::name(&draft.action_taken),
        notes: draft.notes.clone().unwrap_or_default(),
        station_code: routed.station.station.code.clone(),
        distance_m: routed.distance_m,
        area_code: routed.area.map(|a| a.area.code.clone()),
        hotspot_id: directory
            .nearest_hotspot(draft.point, HOTSPOT_SNAP_M)
            .map(|(h, _)| h.id),
        request_hash: draft.request_hash(),
        items_given: serde_json::to_value(&draft.items_given).unwrap_or_default(),
        h3_r9: crate::heatmap::cells::r9(draft.point),
    })
}

/// Store routed sightings; the outcomes are in the order given.
pub async fn store(
    state: &AppState,
    user: &CurrentUser,
    items: &[(SightingDraft, NewRow)],
) -> Result<Vec<Outcome>, ApiError> {
    let now = state.clock.now();
    // The first occurrence of an id within the request is the one stored; a repeat is judged
    // against it like any other replay.
    let mut first_of: HashMap<Uuid, usize> = HashMap::new();
    let unique: Vec<usize> = (0..items.len())
        .filter(|&i| *first_of.entry(items[i].1.id).or_insert(i) == i)
        .collect();
    let rows: Vec<NewRow> = unique.iter().map(|&i| items[i].1.clone()).collect();

    // Reports that raise no referral are one statement: no transaction to open and commit.
    if !unique
        .iter()
        .any(|&i| items[i].0.referral_priority().is_some())
    {
        let mut conn = state.db.acquire().await?;
        let inserted = db::insert_new(&mut conn, user.id, now, &rows).await?;
        drop(conn);
        return judge(state, user, items, &rows, &first_of, &inserted).await;
    }
    let mut tx = state.db.begin().await?;
    let inserted = db::insert_new(&mut tx, user.id, now, &rows).await?;
    // Their heat-map shares go to `heat_inbox` by trigger, with the rows.
    let referral_rows: Vec<referrals::db::NewRow> = unique
        .iter()
        .filter(|&&i| inserted.contains(&items[i].1.id))
        .filter_map(|&i| raised_referral(state, &items[i].0, &items[i].1, now))
        .collect();
    let role = wire::name(&user.role);
    let creator = referrals::db::Creator {
        user_id: Some(user.id),
        partner_id: None,
        role: &role,
        received_at: now,
    };
    referrals::db::insert_new(&mut tx, creator, &referral_rows).await?;
    tx.commit().await?;
    for r in &referral_rows {
        tracing::info!(referral_id = %r.id, sighting_id = ?r.sighting_id, station = %r.station_code, priority = %r.priority, "referral raised by a sighting");
    }

    judge(state, user, items, &rows, &first_of, &inserted).await
}

/// Created, duplicate (same content from the same officer) or conflict, per item.
async fn judge(
    state: &AppState,
    user: &CurrentUser,
    items: &[(SightingDraft, NewRow)],
    rows: &[NewRow],
    first_of: &HashMap<Uuid, usize>,
    inserted: &[Uuid],
) -> Result<Vec<Outcome>, ApiError> {
    let others: Vec<Uuid> = rows
        .iter()
        .map(|r| r.id)
        .filter(|id| !inserted.contains(id))
        .collect();
    let stored: HashMap<Uuid, (Uuid, Vec<u8>)> = db::fingerprints(&state.db, &others)
        .await?
        .into_iter()
        .map(|(id, reporter, hash)| (id, (reporter, hash)))
        .collect();
    Ok(items
        .iter()
        .enumerate()
        .map(|(i, (_, row))| {
            if first_of[&row.id] == i && inserted.contains(&row.id) {
                return Outcome::Created;
            }
            let same = match stored.get(&row.id) {
                Some((reporter, hash)) => *reporter == user.id && *hash == row.request_hash,
                // Inserted by this very request: compare with that item.
                None => items[first_of[&row.id]].1.request_hash == row.request_hash,
            };
            if same {
                Outcome::Duplicate
            } else {
                Outcome::Conflict
            }
        })
        .collect())
}

fn raised_referral(
    state: &AppState,
    draft: &SightingDraft,
    row: &NewRow,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<referrals::db::NewRow> {
    let priority = draft.referral_priority()?;
    Some(referrals::db::NewRow {
        id: Uuid::new_v4(),
        channel: "patrol".to_owned(),
        external_ref: None,
        reported_at: row.observed_at,
        point: row.point,
        address_text: String::new(),
        caller_phone: None,
        people_count: row.people_count,
        categories: row.categories.clone(),
        description: row.notes.clone(),
        priority: wire::name(&priority),
        station_code: row.station_code.clone(),
        distance_m: row.distance_m,
        area_code: row.area_code.clone(),
        accept_by: now + state.settings.accept_within(priority),
        on_scene_by: now + state.settings.scene_within(priority),
        sighting_id: Some(row.id),
        request_hash: row.request_hash.clone(),
        open311_service_code: None,
    })
}
