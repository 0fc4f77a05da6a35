//! Who may read a sighting, and the wire form.

use mobile_api::{HotspotRef, Location, ReferralRef, Sighting};

use super::db::Row;
use crate::features::routing::Directory;
use crate::features::routing::area_ref;
use crate::rules::wire;

/// Whether the row carries notes, so that showing it must be logged.
pub fn carries_personal(row: &Row) -> bool {
    !row.notes.is_empty()
}

pub fn to_wire(row: Row, directory: &Directory) -> anyhow::Result<Sighting> {
    let area = area_ref(row.area_code, row.area_name, row.area_station);
    let hotspot = match (row.hotspot_id, row.hotspot_name, row.hotspot_kind) {
        (Some(id), Some(name), Some(kind)) => Some(HotspotRef {
            id,
            name,
            kind,
            distance_m: row.hotspot_distance_m.unwrap_or_default(),
        }),
        _ => None,
    };
    let referral = match (row.referral_id, row.referral_priority, row.referral_status) {
        (Some(id), Some(priority), Some(status)) => Some(ReferralRef {
            id,
            priority: wire::parse(&priority)?,
            status: wire::parse(&status)?,
        }),
        _ => None,
    };
    Ok(Sighting {
        id: row.id,
        observed_at: row.observed_at,
        received_at: row.received_at,
        location: Location {
            lat: row.lat,
            lon: row.lon,
            accuracy_m: row.accuracy_m,
            crs: None,
        },
        people_count: i64::from(row.people_count),
        categories: row
            .categories
            .iter()
            .map(|c| wire::parse(c))
            .collect::<anyhow::Result<_>>()?,
        action_taken: wire::parse(&row.action_taken)?,
        notes: Some(row.notes).filter(|n| !n.is_empty()),
        reported_by: row.reporter,
        station: directory.station_or_code(&row.station_code),
        distance_m: row.distance_m,
        area,
        hotspot,
        referral,
        items_given: serde_json::from_value(row.items_given)?,
        campaign: crate::rules::season::id_at(row.observed_at),
        redacted_at: row.redacted_at,
    })
}
