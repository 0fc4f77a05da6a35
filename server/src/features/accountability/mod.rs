//! `GET /api/v1/accountability`: who answered how fast, recomputed from the event log for any
//! period, so that first-contact responsibility can be checked after the fact.

pub mod db;
pub mod stats;

pub use db::{Facts, facts};
pub use stats::row as figures;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use mobile_api::{AccountabilityReport, AccountabilityRow, Role};
use serde::Deserialize;

use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::listing;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accountability", get(accountability))
        .route("/api/v1/accountability.csv", get(accountability_csv))
}

/// Parameters of the report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// RFC 3339: referrals first routed at or after.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    from: Option<String>,
    /// RFC 3339: referrals first routed before.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    to: Option<String>,
    /// `station` (default), `agency` or `officer`.
    group_by: Option<String>,
}

/// Referrals received, accepted in time, minutes to accept and to reach the scene, transfers,
/// escalations, outcomes, open and overdue, per station, agency or officer.
#[utoipa::path(get, path = "/api/v1/accountability", tag = "reports", security(("bearer" = [])),
    params(ReportQuery),
    responses((status = 200, body = AccountabilityReport),
              (status = 400, description = "invalid_time, invalid_group_by", body = mobile_api::ErrorBody),
              (status = 403, body = mobile_api::ErrorBody)))]
pub async fn accountability(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<ApiJson<AccountabilityReport>> {
    Ok(ApiJson(report(&state, &user, &query).await?))
}

/// The same report as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Chinese).
#[utoipa::path(get, path = "/api/v1/accountability.csv", tag = "reports", security(("bearer" = [])),
    params(ReportQuery),
    responses((status = 200, description = "one row per group", content_type = "text/csv")))]
pub async fn accountability_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<impl IntoResponse> {
    let report = report(&state, &user, &query).await?;
    let body = to_csv(&report.rows).map_err(ApiError::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"accountability.csv\"",
            ),
        ],
        body,
    ))
}

/// The outcomes, in the order of their CSV columns.
const OUTCOMES: [&str; 7] = [
    "admitted_to_station",
    "escorted_home",
    "medical_transfer",
    "handed_to_police",
    "declined_help",
    "not_found",
    "other",
];

fn to_csv(rows: &[AccountabilityRow]) -> anyhow::Result<Vec<u8>> {
    let mut head = vec![
        "group",
        "received",
        "accepted",
        "accepted_in_time",
        "on_time_pct",
        "median_minutes_to_accept",
        "p90_minutes_to_accept",
        "median_minutes_to_scene",
        "p90_minutes_to_scene",
        "transfers_in",
        "transfers_out",
        "escalations",
    ];
    head.extend(OUTCOMES);
    head.extend(["open_now", "overdue_now", "cases", "died"]);
    let num = |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_default();
    let records = rows.iter().map(|r| {
        let mut record = vec![
            r.group.clone(),
            r.received.to_string(),
            r.accepted.to_string(),
            r.accepted_in_time.to_string(),
            num(r.on_time_pct),
            num(r.median_minutes_to_accept),
            num(r.p90_minutes_to_accept),
            num(r.median_minutes_to_scene),
            num(r.p90_minutes_to_scene),
            r.transfers_in.to_string(),
            r.transfers_out.to_string(),
            r.escalations.to_string(),
        ];
        record.extend(
            OUTCOMES
                .iter()
                .map(|o| r.outcomes.get(*o).copied().unwrap_or(0).to_string()),
        );
        record.extend([
            r.open_now.to_string(),
            r.overdue_now.to_string(),
            r.cases.to_string(),
            // Added after `cases` so that existing columns keep their places.
            r.outcomes.get("died").copied().unwrap_or(0).to_string(),
        ]);
        record
    });
    crate::rules::sheet::csv(head, records)
}

async fn report(
    state: &AppState,
    user: &CurrentUser,
    query: &ReportQuery,
) -> Result<AccountabilityReport> {
    let (from, to) = listing::time_window(query.from.as_deref(), query.to.as_deref())?;
    let group_by = query
        .group_by
        .as_deref()
        .filter(|g| !g.is_empty())
        .unwrap_or("station");
    if !matches!(group_by, "station" | "agency" | "officer") {
        return Err(ApiError::bad_request(
            "invalid_group_by",
            "group_by is station, agency or officer",
        ));
    }
    // Duty officers see their own station's figures; county supervisors their county's
    // referrals; city supervisors everyone's.
    let (only_station, county) = match user.role {
        Role::Supervisor => (None, user.county_code.clone()),
        Role::Duty => (user.station.clone(), None),
        _ => {
            return Err(ApiError::forbidden(
                "reports are for supervisors and duty officers",
            ));
        }
    };
    let now = state.clock.now();
    let facts = db::facts(
        state.reads(),
        from,
        to,
        only_station.as_deref(),
        county.as_deref(),
    )
    .await?;
    let mut groups: BTreeMap<String, Vec<&db::Facts>> = BTreeMap::new();
    if group_by == "station" {
        // Every station in view gets a row, so a quiet station shows as zero rather than missing.
        let county_stations = match &county {
            Some(c) => Some(db::stations_of_county(state.reads(), c).await?),
            None => None,
        };
        for s in state.directory().stations() {
            let code = &s.station.code;
            if only_station.as_ref().is_none_or(|o| o == code)
                && county_stations.as_ref().is_none_or(|cs| cs.contains(code))
            {
                groups.entry(code.clone()).or_default();
            }
        }
    }
    for f in &facts {
        let key = match group_by {
            "station" => f.first_station.clone(),
            "agency" => f.agency.clone(),
            _ => f
                .accepted_by
                .clone()
                .unwrap_or_else(|| "(not accepted)".to_owned()),
        };
        groups.entry(key).or_default().push(f);
    }
    let mut rows: Vec<AccountabilityRow> = groups
        .into_iter()
        .map(|(key, fs)| stats::row(key, &fs, &state.settings, now))
        .collect();
    if group_by == "station" {
        for (out, into) in db::transfers(state.reads(), from, to, county.as_deref()).await? {
            for row in &mut rows {
                row.transfers_out += u64::from(row.group == out);
                row.transfers_in += u64::from(row.group == into);
            }
        }
    }
    Ok(AccountabilityReport {
        from,
        to,
        group_by: group_by.to_owned(),
        generated_at: now,
        rows,
    })
}
