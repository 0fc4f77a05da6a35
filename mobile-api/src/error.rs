//! The one error shape every endpoint uses.

use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Body of every 4xx and 5xx answer: `{"error":{"code":"snake_case","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A machine-readable `code` (stable, snake_case) and a message for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorDetail {
    #[cfg_attr(feature = "openapi", schema(example = "invalid_coordinates"))]
    pub code: String,
    pub message: String,
    /// On a 500: the request's `x-request-id`, to quote when reporting the fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}
