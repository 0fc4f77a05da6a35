//! Extreme-weather alerts (寒潮, 高温, 暴雨): while one lasts, every active hotspot of its
//! counties must be checked; half-way through, what is still unvisited goes to the county
//! supervisors.

pub mod db;
pub mod halfway;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use mobile_api::{Alert, AlertList, Coverage, HotspotCoverage, NewAlert, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::features::auth::CurrentUser;
use crate::features::hotspots;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::idempotent::{self, Fingerprint};
use crate::rules::intake::{self, MAX_TEXT};
use crate::rules::wire;

/// The longest alert one declaration may cover.
pub const MAX_ALERT: Duration = Duration::days(31);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list_alerts).post(create_alert))
        .route("/api/v1/alerts/{id}", get(get_alert))
        .route("/api/v1/alerts/{id}/coverage", get(alert_coverage))
}

/// When the half-way check falls.
pub fn halfway(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> DateTime<Utc> {
    starts_at + (ends_at - starts_at) / 2
}

fn to_wire(row: &db::Row) -> anyhow::Result<Alert> {
    Ok(Alert {
        id: row.id,
        kind: wire::parse(&row.kind)?,
        counties: row.counties.clone(),
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        note: row.note.clone(),
        halfway_at: halfway(row.starts_at, row.ends_at),
        created_by: row.creator.clone(),
    })
}

#[derive(Serialize)]
struct AlertHash<'a> {
    kind: &'a str,
    counties: &'a [String],
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    note: &'a str,
}

/// Declare an extreme-weather alert (supervisors).
#[utoipa::path(post, path = "/api/v1/alerts", tag = "campaigns", security(("bearer" = [])), request_body = NewAlert,
    responses((status = 201, body = Alert), (status = 200, description = "the same id and body again", body = Alert),
              (status = 403, body = mobile_api::ErrorBody), (status = 409, description = "id_conflict", body = mobile_api::ErrorBody),
              (status = 422, description = "unknown_county, invalid_alert_window", body = mobile_api::ErrorBody)))]
pub async fn create_alert(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<NewAlert>,
) -> Result<(StatusCode, ApiJson<Alert>)> {
    user.require(&[Role::Supervisor])?;
    let mut counties = req.counties.clone();
    counties.sort();
    counties.dedup();
    let known = db::known_counties(&state.db, &counties).await?;
    if counties.is_empty() || known.len() != counties.len() {
        return Err(ApiError::unprocessable(
            "unknown_county",
            "counties must be six-digit codes of Tai'an's areas",
        ));
    }
    crate::rules::listing::in_range("starts_at", req.starts_at)?;
    crate::rules::listing::in_range("ends_at", req.ends_at)?;
    if req.ends_at <= req.starts_at || req.ends_at - req.starts_at > MAX_ALERT {
        return Err(ApiError::unprocessable(
            "invalid_alert_window",
            "ends_at must be after starts_at, at most 31 days later",
        ));
    }
    let note = intake::text("note", req.note, MAX_TEXT)?.unwrap_or_default();
    let kind = wire::name(&req.kind);
    let hash = intake::request_hash(&AlertHash {
        kind: &kind,
        counties: &counties,
        starts_at: req.starts_at,
        ends_at: req.ends_at,
        note: &note,
    });
    let inserted = db::insert_new(
        &state.db,
        &db::NewAlert {
            id: req.id,
            kind: &kind,
            counties: &counties,
            starts_at: req.starts_at,
            ends_at: req.ends_at,
            note: &note,
            created_by: user.id,
            created_at: state.clock.now(),
            request_hash: &hash,
        },
    )
    .await?;
    let row = find(&state, req.id, None).await?;
    let stored = (!inserted).then(|| Fingerprint::new(row.created_by, row.request_hash.clone()));
    let status = idempotent::status(stored.as_ref(), &Fingerprint::new(user.id, hash), "alert")?;
    Ok((status, ApiJson(to_wire(&row)?)))
}

/// The alert, unless it covers none of a county supervisor's county (then it is absent).
async fn find(state: &AppState, id: Uuid, county: Option<&str>) -> Result<db::Row> {
    db::get(&state.db, id, county)
        .await?
        .ok_or_else(|| ApiError::not_found("alert_not_found", "no alert with this id"))
}

/// The county a county supervisor is limited to.
fn county_of(user: &CurrentUser) -> Option<&str> {
    match user.role {
        Role::Supervisor => user.county_code.as_deref(),
        _ => None,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `true`: only alerts in force now.
    #[param(value_type = Option<bool>)]
    active: Option<String>,
}

/// Alerts, newest first (a county supervisor's: those covering their county).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "campaigns", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = AlertList)))]
pub async fn list_alerts(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<ApiJson<AlertList>> {
    let active_at = (query.active.as_deref() == Some("true")).then(|| state.clock.now());
    let alerts = db::list(&state.db, active_at, county_of(&user))
        .await?
        .iter()
        .map(to_wire)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ApiJson(AlertList { alerts }))
}

/// One alert.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "campaigns", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Alert), (status = 404, description = "alert_not_found", body = mobile_api::ErrorBody)))]
pub async fn get_alert(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Alert>> {
    Ok(ApiJson(to_wire(
        &find(&state, id, county_of(&user)).await?,
    )?))
}

/// Each active hotspot of the alert's counties (a county supervisor's county only): visited
/// during the alert or not yet, unvisited first. The last visitor is named to duty officers and
/// supervisors only.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/coverage", tag = "campaigns", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Coverage), (status = 404, description = "alert_not_found", body = mobile_api::ErrorBody)))]
pub async fn alert_coverage(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Coverage>> {
    let county = county_of(&user);
    let alert = find(&state, id, county).await?;
    let counties = match county {
        Some(c) => vec![c.to_owned()],
        None => alert.counties.clone(),
    };
    let names = matches!(user.role, Role::Duty | Role::Supervisor);
    let rows = db::coverage(&state.db, &counties, alert.starts_at, alert.ends_at, names).await?;
    let hotspots = rows
        .into_iter()
        .map(|r| {
            Ok(HotspotCoverage {
                visited: r.last_at.is_some(),
                last_checkin_at: r.last_at,
                last_checkin_by: r.last_by,
                checkins: r.checkins,
                hotspot: hotspots::to_wire(r.hotspot)?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ApiJson(Coverage {
        alert: to_wire(&alert)?,
        total: hotspots.len(),
        visited: hotspots.iter().filter(|h| h.visited).count(),
        hotspots,
    }))
}
