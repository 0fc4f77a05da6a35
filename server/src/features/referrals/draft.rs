//! A hotline or patrol referral, checked and normalised.

use chrono::{DateTime, Utc};
use mobile_api::{Category, Channel, NewReferral, Priority};
use serde::Serialize;
use uuid::Uuid;

use crate::plumbing::error::ApiError;
use crate::rules::geo::GeoPoint;
use crate::rules::intake::{self, MAX_SHORT_TEXT, MAX_TEXT};

/// A referral ready to route and store.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralDraft {
    pub id: Uuid,
    pub channel: Channel,
    pub external_ref: Option<String>,
    pub reported_at: DateTime<Utc>,
    #[serde(skip)]
    pub point: GeoPoint,
    lat: f64,
    lon: f64,
    pub address_text: Option<String>,
    pub caller_phone: Option<String>,
    pub people_count: i32,
    pub categories: Vec<Category>,
    pub description: Option<String>,
}

impl ReferralDraft {
    pub fn parse(req: NewReferral, now: DateTime<Utc>) -> Result<Self, ApiError> {
        let (point, _accuracy) = intake::location(&req.location)?;
        Ok(Self {
            id: req.id,
            channel: req.channel,
            external_ref: intake::text("external_ref", req.external_ref, MAX_SHORT_TEXT)?,
            reported_at: intake::event_time("reported_at", req.reported_at, now)?,
            point,
            lat: point.lat(),
            lon: point.lon(),
            address_text: intake::text("address_text", req.address_text, MAX_SHORT_TEXT)?,
            caller_phone: intake::phone(req.caller_phone)?,
            people_count: intake::people_count(req.people_count)?,
            categories: intake::categories(req.categories),
            description: intake::text("description", req.description, MAX_TEXT)?,
        })
    }

    pub fn priority(&self) -> Priority {
        intake::priority(&self.categories)
    }

    pub fn request_hash(&self) -> Vec<u8> {
        intake::request_hash(self)
    }
}
