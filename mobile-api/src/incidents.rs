//! Incidents (冻饿死伤, 走失) that must reach the civil-affairs bureau at once (第一时间报告).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;
use uuid::Uuid;

use crate::geo::Location;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// 死亡
    Death,
    /// 重伤
    SeriousInjury,
    /// 受助人员走失
    MissingFromCare,
    /// 暴力事件
    Violence,
    Other,
}

/// `POST /api/v1/incidents` (duty officers, supervisors, patrols). Idempotent by `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub id: Uuid,
    pub kind: IncidentKind,
    pub occurred_at: DateTime<Utc>,
    pub location: Location,
    /// The station concerned (a station code).
    #[cfg_attr(feature = "openapi", schema(example = "taian"))]
    pub station: String,
    #[serde(default)]
    pub referral_id: Option<Uuid>,
    /// What happened, up to 2,000 characters (personal data: never logged or pushed).
    pub description: String,
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Incident {
    pub id: Uuid,
    pub kind: IncidentKind,
    pub occurred_at: DateTime<Utc>,
    pub location: Location,
    pub station: String,
    /// The county the place lies in (or the station's).
    pub county_code: Option<String>,
    pub county: Option<String>,
    pub referral_id: Option<Uuid>,
    pub description: Option<String>,
    /// Username of who filed it.
    pub reported_by: String,
    pub reported_at: DateTime<Utc>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledge_note: Option<String>,
    /// When it was pushed again because no supervisor had acknowledged it.
    pub repushed_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/incidents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IncidentList {
    pub incidents: Vec<Incident>,
}

/// `POST /api/v1/incidents/{id}/acknowledge` (supervisors).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeIncident {
    #[serde(default)]
    pub note: Option<String>,
}
