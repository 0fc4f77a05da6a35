//! A patrol sighting, checked and normalised.

use chrono::{DateTime, Utc};
use mobile_api::{ActionTaken, Category, ItemCount, NewSighting, Priority, ReferralKind};
use serde::Serialize;
use uuid::Uuid;

use crate::plumbing::error::ApiError;
use crate::rules::geo::GeoPoint;
use crate::rules::intake::{self, MAX_TEXT};

/// A sighting ready to route and store.
#[derive(Debug, Clone, Serialize)]
pub struct SightingDraft {
    pub id: Uuid,
    pub observed_at: DateTime<Utc>,
    #[serde(skip)]
    pub point: GeoPoint,
    lat: f64,
    lon: f64,
    pub accuracy_m: Option<f64>,
    pub people_count: i32,
    pub categories: Vec<Category>,
    pub action_taken: ActionTaken,
    pub notes: Option<String>,
    // Left out of the hash when empty, so that sightings stored before supplies were recorded
    // still replay as duplicates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items_given: Vec<ItemCount>,
    /// The station a person escorted there is handed to; left out of the hash when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escorted_to: Option<String>,
    /// The position as sent, when it was GCJ-02 or BD-09 (the hash covers the WGS84 point).
    #[serde(skip)]
    pub original: Option<crate::rules::geo::crs::Original>,
}

impl SightingDraft {
    pub fn parse(req: NewSighting, now: DateTime<Utc>) -> Result<Self, ApiError> {
        let (point, accuracy_m) = intake::location(&req.location)?;
        let original = intake::original(&req.location);
        Ok(Self {
            original,
            id: req.id,
            observed_at: intake::event_time("observed_at", req.observed_at, now)?,
            point,
            lat: point.lat(),
            lon: point.lon(),
            accuracy_m,
            people_count: intake::people_count(req.people_count)?,
            categories: intake::categories(req.categories),
            action_taken: req.action_taken,
            notes: intake::text("notes", req.notes, MAX_TEXT)?,
            items_given: intake::items(req.items_given)?,
            escorted_to: match (req.escorted_to, req.action_taken) {
                (Some(code), ActionTaken::EscortedToStation) => Some(code),
                (Some(_), _) => {
                    return Err(ApiError::unprocessable(
                        "invalid_escort",
                        "escorted_to goes with action_taken escorted_to_station",
                    ));
                }
                (None, _) => None,
            },
        })
    }

    /// The referral this sighting raises at once, if any: a hand-over when the officer takes
    /// the person to a station; else urgent for the special targets, the disabled and the ill
    /// or injured, normal when the officer says they referred the person.
    pub fn referral_priority(&self) -> Option<Priority> {
        let urgent = intake::is_urgent(&self.categories);
        if urgent {
            Some(Priority::Urgent)
        } else if matches!(
            self.action_taken,
            ActionTaken::Referred | ActionTaken::EscortedToStation
        ) {
            Some(Priority::Normal)
        } else {
            None
        }
    }

    /// What the raised referral asks of its station.
    pub fn referral_kind(&self) -> ReferralKind {
        if self.action_taken == ActionTaken::EscortedToStation {
            ReferralKind::Handover
        } else {
            ReferralKind::Report
        }
    }

    pub fn request_hash(&self) -> Vec<u8> {
        intake::request_hash(self)
    }
}
