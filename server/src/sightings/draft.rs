//! A patrol sighting, checked and normalised.

use chrono::{DateTime, Utc};
use mobile_api::{ActionTaken, Category, ItemCount, NewSighting, Priority};
use serde::Serialize;
use uuid::Uuid;

use crate::error::ApiError;
use crate::intake::{self, MAX_TEXT};
use crate::routing::GeoPoint;

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
}

impl SightingDraft {
    pub fn parse(req: NewSighting, now: DateTime<Utc>) -> Result<Self, ApiError> {
        let (point, accuracy_m) = intake::location(&req.location)?;
        Ok(Self {
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
        })
    }

    /// The referral this sighting raises at once, if any: urgent for the special targets and
    /// the ill or injured, normal when the officer says they referred the person.
    pub fn referral_priority(&self) -> Option<Priority> {
        if intake::is_urgent(&self.categories) {
            Some(Priority::Urgent)
        } else if self.action_taken == ActionTaken::Referred {
            Some(Priority::Normal)
        } else {
            None
        }
    }

    pub fn request_hash(&self) -> Vec<u8> {
        intake::request_hash(self)
    }
}
