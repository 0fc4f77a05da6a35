//! `GET /api/v1/reports/campaign`: the street-patrol part of Annex 1's summary table, one row
//! per county and a city total, as JSON, CSV or XLSX with the notice's kind of headings.

pub mod db;
pub mod table;

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use mobile_api::{Role, StageReport, StageRow};
use serde::Deserialize;

use crate::features::accountability;
use crate::features::auth::CurrentUser;
use crate::features::heatmap::{MapQuery, MapSpec};
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::ApiQuery;
use crate::plumbing::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/reports/campaign", get(campaign_report))
}

/// The whole city's code, for the total row.
const CITY: (&str, &str) = ("370900", "全市 Tai'an");

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// A campaign id such as `winter-2026`; or `from`/`to`.
    campaign: Option<String>,
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    from: Option<String>,
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    to: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    format: Option<String>,
}

/// Patrol sightings, people found, special targets, referrals by channel, on-time acceptance,
/// outcomes, supplies, hotspots registered and checked during alerts, per county (supervisors).
#[utoipa::path(get, path = "/api/v1/reports/campaign", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, description = "JSON (StageReport), CSV or XLSX", body = StageReport),
              (status = 400, description = "invalid_campaign, invalid_time, invalid_format", body = mobile_api::ErrorBody),
              (status = 403, body = mobile_api::ErrorBody)))]
pub async fn campaign_report(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response> {
    user.require(&[Role::Supervisor])?;
    let format = query
        .format
        .as_deref()
        .filter(|f| !f.is_empty())
        .unwrap_or("json");
    if !matches!(format, "json" | "csv" | "xlsx") {
        return Err(ApiError::bad_request(
            "invalid_format",
            "format is json, csv or xlsx",
        ));
    }
    // The period is parsed exactly as the heat-map parses it.
    let window = MapQuery {
        campaign: query.campaign.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        layer: None,
        cell_m: None,
        bbox: None,
    };
    let spec = MapSpec::parse(&window, state.clock.now())?;
    // A county supervisor gets their county's row alone.
    let county = user.county_code.as_deref();
    let report = build(&state, spec.from, spec.to, spec.campaign, county).await?;
    let name = report
        .campaign
        .clone()
        .unwrap_or_else(|| "period".to_owned());
    Ok(match format {
        "csv" => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"stage-report-{name}.csv\""),
                ),
            ],
            table::csv(&report.rows).map_err(ApiError::from)?,
        )
            .into_response(),
        "xlsx" => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"stage-report-{name}.xlsx\""),
                ),
            ],
            table::xlsx(&report).map_err(ApiError::from)?,
        )
            .into_response(),
        _ => Json(report).into_response(),
    })
}

async fn build(
    state: &AppState,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    campaign: Option<String>,
    only: Option<&str>,
) -> Result<StageReport> {
    let w = (from, to);
    let counties = db::counties(state.reads(), only).await?;
    let city = only
        .is_none()
        .then(|| (CITY.0.to_owned(), CITY.1.to_owned()));
    let mut rows: BTreeMap<String, StageRow> = counties
        .iter()
        .chain(city.iter())
        .map(|(code, name)| (code.clone(), empty(code, name)))
        .collect();
    for (county, n, people, special) in db::sightings(state.reads(), w, only).await? {
        add_to(&mut rows, &county, |r| {
            r.sightings += n;
            r.people_found += people;
            r.special_targets += special;
        });
    }
    for (county, channel, n) in db::referrals_by_channel(state.reads(), w, only).await? {
        add_to(&mut rows, &county, |r| {
            *r.referrals_by_channel.entry(channel.clone()).or_default() += n;
            r.referrals += n;
        });
    }
    for (county, item, n) in db::supplies(state.reads(), w, only).await? {
        add_to(&mut rows, &county, |r| {
            *r.supplies.entry(item.clone()).or_default() += n
        });
    }
    for (county, n) in db::hotspots_registered(state.reads(), only).await? {
        add_to(&mut rows, &county, |r| r.hotspots_registered += n);
    }
    for (county, n) in db::hotspots_checked_in_alerts(state.reads(), w, only).await? {
        add_to(&mut rows, &county, |r| {
            r.hotspots_checked_during_alerts += n
        });
    }
    for (county, kind, n) in
        crate::features::incidents::counts_by_kind(state.reads(), w, only).await?
    {
        add_to(&mut rows, &county, |r| {
            *r.incidents.entry(kind.clone()).or_default() += n
        });
    }
    // Acceptance and outcomes come from the event log, as in the accountability report.
    let now = state.clock.now();
    let facts = accountability::facts(state.reads(), Some(from), Some(to), None, only).await?;
    for (key, row) in &mut rows {
        let mine: Vec<&accountability::Facts> = facts
            .iter()
            .filter(|f| key == CITY.0 || f.area_code.as_deref() == Some(key.as_str()))
            .collect();
        let figures = accountability::figures(key.clone(), &mine, &state.settings, now);
        row.accepted_on_time_pct = figures.on_time_pct;
        row.median_minutes_to_accept = figures.median_minutes_to_accept;
        row.outcomes = figures
            .outcomes
            .into_iter()
            .map(|(k, v)| (k, i64::try_from(v).unwrap_or(i64::MAX)))
            .collect();
    }
    let mut rows: Vec<StageRow> = rows.into_values().collect();
    // Counties in code order, the city total last.
    rows.sort_by_key(|r| (r.county_code == CITY.0, r.county_code.clone()));
    Ok(StageReport {
        campaign,
        from,
        to,
        generated_at: now,
        rows,
    })
}

/// Apply a figure to its county's row and to the city total (a record outside every county
/// counts only in the total).
fn add_to(
    rows: &mut BTreeMap<String, StageRow>,
    county: &Option<String>,
    mut apply: impl FnMut(&mut StageRow),
) {
    let county = county.as_deref().filter(|c| *c != CITY.0);
    for key in std::iter::once(CITY.0).chain(county) {
        if let Some(row) = rows.get_mut(key) {
            apply(row);
        }
    }
}

fn empty(code: &str, name: &str) -> StageRow {
    StageRow {
        county_code: code.to_owned(),
        county: name.to_owned(),
        sightings: 0,
        people_found: 0,
        special_targets: 0,
        referrals_by_channel: BTreeMap::new(),
        referrals: 0,
        accepted_on_time_pct: None,
        median_minutes_to_accept: None,
        outcomes: BTreeMap::new(),
        supplies: BTreeMap::new(),
        hotspots_registered: 0,
        hotspots_checked_during_alerts: 0,
        incidents: BTreeMap::new(),
    }
}
