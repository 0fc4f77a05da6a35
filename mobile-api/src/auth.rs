//! Accounts and sessions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;
use uuid::Uuid;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A police or urban-management officer on street patrol.
    Patrol,
    /// A 110 or 12345 hotline operator.
    Hotline,
    /// A duty officer of one rescue station.
    Duty,
    /// Civil affairs: reads everything, writes reports.
    Supervisor,
    /// Manages accounts.
    Admin,
    /// A township or village liaison (救助联络员): the register and ledger of one township.
    Liaison,
}

/// The force a patrol officer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Agency {
    Police,
    UrbanManagement,
    Other,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/v1/auth/password`: change one's own password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    /// At least 8 characters, at most 256.
    pub new: String,
}

/// A logged-in account as others see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    /// The station of a duty officer.
    pub station: Option<String>,
    pub agency: Option<Agency>,
    /// Free text, e.g. 泰山区公安分局.
    pub unit: Option<String>,
    /// The county a county-level supervisor answers for; null for city level.
    pub county_code: Option<String>,
    /// The channel (`110`, `12345`) a hotline operator works; absent for other roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The township (nine-digit code) a liaison works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub township_code: Option<String>,
}

/// The answer to a successful login. Send the token as `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}
