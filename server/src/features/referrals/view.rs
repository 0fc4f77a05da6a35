//! Who may read a referral, and what they see of it.

use mobile_api::{Location, Referral, ReferralEvent};

use super::db::{EventRow, Row};
use crate::features::auth::CurrentUser;
use crate::features::routing::Directory;
use crate::features::routing::area_ref;
use crate::rules::wire;

/// Whether the row as loaded carries a personal field, so that showing it must be logged.
pub fn carries_personal(row: &Row) -> bool {
    let filled = |v: &Option<String>| v.as_deref().is_some_and(|t| !t.is_empty());
    filled(&row.caller_phone) || filled(&row.description) || filled(&row.address_text)
}

/// The steps `user` may take on the referral now.
pub fn allowed_actions(user: &CurrentUser, row: &Row) -> anyhow::Result<Vec<String>> {
    Ok(super::lifecycle::permitted(
        &super::actions::snapshot(row)?,
        user,
    ))
}

/// The wire form; personal fields are there only if the query loaded them.
pub fn to_wire(
    row: Row,
    directory: &Directory,
    events: Option<Vec<EventRow>>,
) -> anyhow::Result<Referral> {
    let area = area_ref(row.area_code, row.area_name, row.area_station);
    let pending_transfer_to = row.pending_transfer.then(|| row.station_code.clone());
    let events = events
        .map(|rows| {
            rows.into_iter()
                .map(event_to_wire)
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .transpose()?;
    Ok(Referral {
        id: row.id,
        channel: wire::parse(&row.channel)?,
        kind: wire::parse(&row.kind)?,
        external_ref: row.external_ref,
        reported_at: row.reported_at,
        received_at: row.received_at,
        location: Location {
            lat: row.lat,
            lon: row.lon,
            accuracy_m: None,
            crs: None,
        },
        address_text: row.address_text,
        caller_phone: row.caller_phone,
        people_count: i64::from(row.people_count),
        categories: row
            .categories
            .iter()
            .map(|c| wire::parse(c))
            .collect::<anyhow::Result<_>>()?,
        description: row.description,
        priority: wire::parse(&row.priority)?,
        status: wire::parse(&row.status)?,
        station: directory.station_or_code(&row.station_code),
        accountable_station: row.accountable_station,
        distance_m: row.distance_m,
        area,
        accept_by: row.accept_by,
        on_scene_by: row.on_scene_by,
        pending_transfer_to,
        outcome: row.outcome.as_deref().map(wire::parse).transpose()?,
        escalation_level: row.accept_escalation.max(row.scene_escalation),
        sighting_id: row.sighting_id,
        campaign: crate::rules::season::id_at(row.reported_at),
        allowed_actions: None,
        events,
        redacted_at: row.redacted_at,
        case_of: row.case_id,
        person_id: row.person_id,
        possible_duplicates: None,
    })
}

fn event_to_wire(e: EventRow) -> anyhow::Result<ReferralEvent> {
    Ok(ReferralEvent {
        kind: e.kind,
        at: e.at,
        actor: e.actor,
        actor_role: e.actor_role,
        station: e.station_code,
        from_status: e.from_status.as_deref().map(wire::parse).transpose()?,
        to_status: e.to_status.as_deref().map(wire::parse).transpose()?,
        note: e.note,
    })
}

/// The wire form of possible duplicates.
pub fn duplicates_to_wire(
    rows: Vec<super::db::DuplicateRow>,
) -> anyhow::Result<Vec<mobile_api::PossibleDuplicate>> {
    rows.into_iter()
        .map(|d| {
            Ok(mobile_api::PossibleDuplicate {
                id: d.id,
                distance_m: d.distance_m,
                channel: wire::parse(&d.channel)?,
                apart_s: d.apart_s,
                station: d.station_code,
            })
        })
        .collect()
}
