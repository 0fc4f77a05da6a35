//! The one way in for sightings, one or a batch: [`submit`] routes each in memory, stores the
//! new ones exactly once, tells replays (same id, same body, same officer) from conflicts, and
//! reads back what is stored. A lone report that raises no referral goes through the grouped
//! writer (`writer.rs`), which stores and reads it back in one statement shared with the reports
//! arriving beside it; everything else (batches, reports raising a referral) is inserted with
//! the referrals it raises in one transaction.

use std::collections::HashMap;

use mobile_api::Sighting;
use uuid::Uuid;

use super::db::{self, NewRow};
use super::draft::SightingDraft;
use super::view;
use crate::features::auth::CurrentUser;
use crate::features::referrals;
use crate::features::routing::Directory;
use crate::features::routing::Placement;
use crate::plumbing::error::ApiError;
use crate::plumbing::state::AppState;
use crate::rules::idempotent::{self, Fingerprint, Outcome};
use crate::rules::wire;

/// What became of one submitted report: stored (or found stored by a replay) and read back,
/// or refused (a routing error, or its id taken by a different report).
pub type Submitted = Result<(Outcome, Sighting), ApiError>;

/// Store `drafts` for `user`; one answer per draft, in order. An error of the whole (a lost
/// database) fails the whole.
pub async fn submit(
    state: &AppState,
    user: &CurrentUser,
    drafts: Vec<SightingDraft>,
) -> Result<Vec<Submitted>, ApiError> {
    let directory = state.directory();
    let mut answers: Vec<Option<Submitted>> = Vec::with_capacity(drafts.len());
    let mut routed: Vec<(usize, (SightingDraft, NewRow))> = Vec::new();
    for (i, draft) in drafts.into_iter().enumerate() {
        match route(&draft, &directory) {
            Ok(row) => {
                answers.push(None);
                routed.push((i, (draft, row)));
            }
            Err(err) => answers.push(Some(Err(err))),
        }
    }
    let items: Vec<(SightingDraft, NewRow)> = routed.iter().map(|(_, it)| it.clone()).collect();
    let outcomes = match items.as_slice() {
        [(draft, row)] if draft.referral_priority().is_none() && draft.original.is_none() => {
            let insert = db::Insert {
                reporter: user.id,
                received_at: state.clock.now(),
                row: row.clone(),
            };
            match state.sighting_writer().insert(insert).await? {
                Some(stored) => {
                    answers[routed[0].0] =
                        Some(Ok((Outcome::Created, view::to_wire(stored, &directory)?)));
                    return Ok(answers.into_iter().flatten().collect());
                }
                // Stored before: a replay or a conflict, judged as any other.
                None => judge(state, user, &items, &HashMap::from([(row.id, 0)]), &[]).await?,
            }
        }
        _ => store(state, user, &items).await?,
    };
    let kept: Vec<Uuid> = items
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| **o != Outcome::Conflict)
        .map(|((_, row), _)| row.id)
        .collect();
    let mut stored: HashMap<Uuid, Sighting> = HashMap::new();
    for row in db::fetch(&state.db, &kept).await? {
        stored.insert(row.id, view::to_wire(row, &directory)?);
    }
    for ((i, (_, row)), outcome) in routed.iter().zip(outcomes) {
        answers[*i] = Some(match (outcome, stored.get(&row.id)) {
            (Outcome::Conflict, _) => Err(ApiError::id_conflict("sighting")),
            (outcome, Some(sighting)) => Ok((outcome, sighting.clone())),
            (_, None) => {
                Err(anyhow::anyhow!("sighting {} not found after storing it", row.id).into())
            }
        });
    }
    Ok(answers.into_iter().flatten().collect())
}

/// Route a draft, or say why it cannot be.
fn route(draft: &SightingDraft, directory: &Directory) -> Result<NewRow, ApiError> {
    /// Reports this close to a registered hotspot count as made at it.
    const HOTSPOT_SNAP_M: f64 = 150.0;
    let routed = directory.route(draft.point)?;
    if let Some(code) = &draft.escorted_to
        && directory.station(code).is_none()
    {
        return Err(ApiError::unprocessable(
            "unknown_station",
            format!("escorted_to names no station: {code:?}"),
        ));
    }
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
        items_given: serde_json::to_value(&draft.items_given).map_err(anyhow::Error::from)?,
        h3_r9: crate::features::heatmap::r9(draft.point),
    })
}

/// Store routed sightings and the referrals they raise; the outcomes are in the order given.
async fn store(
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
    // Nor do those sent in WGS84; a GCJ-02 or BD-09 position is kept beside the row it made.
    if !unique
        .iter()
        .any(|&i| items[i].0.referral_priority().is_some() || items[i].0.original.is_some())
    {
        let mut conn = state.db.acquire().await?;
        let inserted = db::insert_new(&mut conn, user.id, now, &rows).await?;
        drop(conn);
        return judge(state, user, items, &first_of, &inserted).await;
    }
    let mut tx = state.db.begin().await?;
    let inserted = db::insert_new(&mut tx, user.id, now, &rows).await?;
    for &i in &unique {
        if inserted.contains(&items[i].1.id) {
            crate::rules::geo::crs::keep(
                &mut tx,
                "sighting",
                items[i].1.id,
                items[i].0.original,
                now,
            )
            .await?;
        }
    }
    // Their heat-map shares go to `heat_inbox` by trigger, with the rows.
    let referral_rows: Vec<referrals::NewRow> = unique
        .iter()
        .filter(|&&i| inserted.contains(&items[i].1.id))
        .filter_map(|&i| raised_referral(state, &items[i].0, &items[i].1, now))
        .collect();
    let role = wire::name(&user.role);
    let creator = referrals::Creator {
        user_id: Some(user.id),
        partner_id: None,
        role: &role,
        received_at: now,
    };
    referrals::insert_new(&mut tx, creator, &referral_rows).await?;
    tx.commit().await?;
    for r in &referral_rows {
        tracing::info!(referral_id = %r.report.id, sighting_id = ?r.report.sighting_id, station = %r.station_code, priority = %r.priority, "referral raised by a sighting");
    }

    judge(state, user, items, &first_of, &inserted).await
}

/// Created, replay (same content from the same officer) or conflict, per item.
async fn judge(
    state: &AppState,
    user: &CurrentUser,
    items: &[(SightingDraft, NewRow)],
    first_of: &HashMap<Uuid, usize>,
    inserted: &[Uuid],
) -> Result<Vec<Outcome>, ApiError> {
    let others: Vec<Uuid> = first_of
        .keys()
        .copied()
        .filter(|id| !inserted.contains(id))
        .collect();
    let stored: HashMap<Uuid, Fingerprint> = db::fingerprints(&state.db, &others)
        .await?
        .into_iter()
        .map(|(id, reporter, hash)| (id, Fingerprint::new(reporter, hash)))
        .collect();
    Ok(items
        .iter()
        .enumerate()
        .map(|(i, (_, row))| {
            let sent = Fingerprint::new(user.id, row.request_hash.clone());
            if first_of[&row.id] == i && inserted.contains(&row.id) {
                return idempotent::outcome(None, &sent);
            }
            // Not stored before: inserted by this very request, so compare with that item.
            let first = Fingerprint::new(user.id, items[first_of[&row.id]].1.request_hash.clone());
            idempotent::outcome(Some(stored.get(&row.id).unwrap_or(&first)), &sent)
        })
        .collect())
}

fn raised_referral(
    state: &AppState,
    draft: &SightingDraft,
    row: &NewRow,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<referrals::NewRow> {
    let priority = draft.referral_priority()?;
    let kind = draft.referral_kind();
    let report = referrals::Report {
        id: Uuid::new_v4(),
        channel: "patrol".to_owned(),
        kind: wire::name(&kind),
        external_ref: None,
        reported_at: row.observed_at,
        point: row.point,
        address_text: String::new(),
        caller_phone: None,
        people_count: row.people_count,
        categories: row.categories.clone(),
        description: row.notes.clone(),
        sighting_id: Some(row.id),
        request_hash: row.request_hash.clone(),
        open311_service_code: None,
    };
    // Routed with the sighting: its referral goes to the same station, unless the officer took
    // the person to another one (checked when the sighting was routed).
    let placed = match &draft.escorted_to {
        Some(code) => state.directory().place_at_station(code, row.point)?,
        None => Placement {
            station_code: row.station_code.clone(),
            distance_m: row.distance_m,
            area_code: row.area_code.clone(),
        },
    };
    Some(referrals::NewRow::routed(
        report,
        priority,
        placed,
        &state.settings,
        now,
    ))
}
