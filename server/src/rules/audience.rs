//! Who an alert is for: the same audience reaches browsers (web push) and the work-chat and SMS
//! channels (`notify`), so both outboxes take it from here.

/// Who is told.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    /// Duty officers of these stations.
    pub duty_stations: Vec<String>,
    /// Supervisors of this county (six-digit code).
    pub county_supervisors_of: Option<String>,
    /// City-level supervisors (no county).
    pub city_supervisors: bool,
    /// Liaisons of this township (nine-digit code).
    pub liaisons_of: Option<String>,
}
