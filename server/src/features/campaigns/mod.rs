//! Seasonal campaigns (夏季送清凉, 寒冬送温暖).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::Datelike;
use mobile_api::{CampaignKind, CampaignList};
use serde::Deserialize;

use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::account::CurrentUser;
use crate::rules::season;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/campaigns", get(list_campaigns))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// The year the seasons start in; default this year (local).
    #[param(value_type = Option<i32>)]
    year: Option<String>,
}

/// The summer and winter campaign of a year, with local-date bounds.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", security(("bearer" = [])),
    params(CampaignQuery),
    responses((status = 200, body = CampaignList), (status = 400, description = "invalid_year", body = mobile_api::ErrorBody)))]
pub async fn list_campaigns(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiQuery(query): ApiQuery<CampaignQuery>,
) -> Result<ApiJson<CampaignList>> {
    let year = match query.year.as_deref().filter(|y| !y.is_empty()) {
        None => crate::rules::local_day::local_date(state.clock.now()).year(),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                ApiError::bad_request("invalid_year", "year must be between 2000 and 2100")
            })?,
    };
    let campaigns = [CampaignKind::Summer, CampaignKind::Winter]
        .into_iter()
        .filter_map(|k| season::season(k, year))
        .collect();
    Ok(ApiJson(CampaignList {
        timezone: crate::rules::local_day::TIMEZONE.to_owned(),
        campaigns,
    }))
}
