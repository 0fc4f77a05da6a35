//! Incidents (冻饿死伤, 走失, 暴力): recorded by whoever meets them and pushed at once to the
//! supervisors of the county and the city, who acknowledge them; one left unacknowledged is
//! pushed again ([`repush`]). Descriptions are personal data: scoped reads, logged access,
//! never in a push.

pub mod db;
pub mod repush;

pub use db::counts_by_kind;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use mobile_api::{
    AcknowledgeIncident, Incident, IncidentKind, IncidentList, Location, NewIncident, Role,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::features::audit::{self, Kind};
use crate::features::auth::CurrentUser;
use crate::features::push::{self, Audience};
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::idempotent::{self, Fingerprint};
use crate::rules::intake::{self, MAX_TEXT};
use crate::rules::scope::Scope;
use crate::rules::{listing, wire};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/incidents",
            get(list_incidents).post(create_incident),
        )
        .route("/api/v1/incidents/{id}", get(get_incident))
        .route("/api/v1/incidents/{id}/acknowledge", post(acknowledge))
}

/// What makes two filings of one id "the same body".
#[derive(Serialize)]
struct IncidentHash<'a> {
    kind: &'a str,
    occurred_at: DateTime<Utc>,
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
    station: &'a str,
    referral_id: Option<Uuid>,
    description: &'a str,
}

/// Record an incident (duty officers, supervisors, patrols); it is pushed at once to the
/// supervisors of its county and of the city.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])),
    request_body = NewIncident,
    responses(
        (status = 201, description = "recorded and pushed", body = Incident),
        (status = 200, description = "the same id and body again: the stored incident", body = Incident),
        (status = 403, description = "role may not file incidents", body = mobile_api::ErrorBody),
        (status = 404, description = "referral_not_found: referral_id names no referral the filer can read", body = mobile_api::ErrorBody),
        (status = 409, description = "id_conflict", body = mobile_api::ErrorBody),
        (status = 422, description = "unknown_station, description_required, text_too_long, outside_service_area, time_in_future, time_too_old", body = mobile_api::ErrorBody),
    ))]
pub async fn create_incident(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<NewIncident>,
) -> Result<(StatusCode, ApiJson<Incident>)> {
    user.require(&[Role::Duty, Role::Supervisor, Role::Patrol])?;
    state.write_limiter.check(user.id)?;
    let now = state.clock.now();
    let (point, accuracy_m) = intake::location(&req.location)?;
    let original = intake::original(&req.location);
    let occurred_at = intake::event_time("occurred_at", req.occurred_at, now)?;
    let description = intake::text("description", Some(req.description), MAX_TEXT)?
        .ok_or_else(|| ApiError::unprocessable("description_required", "say what happened"))?;
    let directory = state.directory();
    if directory.station(&req.station).is_none() {
        return Err(ApiError::unprocessable(
            "unknown_station",
            "station is not a station code",
        ));
    }
    let area = directory.route(point)?.area.map(|a| a.area.code.clone());
    if let Some(referral_id) = req.referral_id {
        crate::features::referrals::ensure_visible(&state, &user, referral_id).await?;
    }
    let kind = wire::name(&req.kind);
    let hash = intake::request_hash(&IncidentHash {
        kind: &kind,
        occurred_at,
        lat: point.lat(),
        lon: point.lon(),
        accuracy_m,
        station: &req.station,
        referral_id: req.referral_id,
        description: &description,
    });
    let mut tx = state.db.begin().await?;
    let inserted = db::insert(
        &mut tx,
        &db::NewRow {
            id: req.id,
            kind: &kind,
            occurred_at,
            point,
            accuracy_m,
            area_code: area.as_deref(),
            station_code: &req.station,
            referral_id: req.referral_id,
            description: &description,
            reported_by: user.id,
            reported_at: now,
            request_hash: &hash,
        },
    )
    .await?;
    let stored = if inserted {
        let county = area.or_else(|| {
            directory
                .station(&req.station)
                .map(|s| s.station.county_code.clone())
        });
        crate::rules::geo::crs::keep(&mut tx, "incident", req.id, original, now).await?;
        push(
            &mut tx,
            req.id,
            req.kind,
            &req.station,
            county,
            occurred_at,
            false,
            now,
        )
        .await?;
        tracing::warn!(incident_id = %req.id, kind = %kind, station = %req.station, "incident recorded");
        None
    } else {
        db::fingerprint(&mut *tx, req.id)
            .await?
            .map(|(owner, hash)| Fingerprint::new(owner, hash))
    };
    tx.commit().await?;
    let status = idempotent::status(
        stored.as_ref(),
        &Fingerprint::new(user.id, hash),
        "incident",
    )?;
    let reader = db::Reader {
        scope: &Scope::referrals(&user),
        user: user.id,
    };
    let row = db::get(&state.db, req.id, &reader)
        .await?
        .ok_or_else(|| anyhow::anyhow!("incident {} vanished", req.id))?;
    Ok((status, ApiJson(to_wire(row)?)))
}

/// Queue the push about an incident for the supervisors of its county and of the city. The
/// payload names the kind, the station and the time: never the description.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn push(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    kind: IncidentKind,
    station: &str,
    county: Option<String>,
    occurred_at: DateTime<Utc>,
    again: bool,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let audience = Audience {
        county_supervisors_of: county.clone(),
        city_supervisors: true,
        ..Audience::default()
    };
    let what = match kind {
        IncidentKind::Death => "死亡 Death",
        IncidentKind::SeriousInjury => "重伤 Serious injury",
        IncidentKind::MissingFromCare => "受助人员走失 Missing from care",
        IncidentKind::Violence => "暴力事件 Violence",
        IncidentKind::Other => "其他事件 Other incident",
    };
    let title = if again {
        format!("未确认事件 Unacknowledged incident: {what}")
    } else {
        format!("紧急事件 Incident: {what}")
    };
    let local = occurred_at.with_timezone(&chrono_tz::Asia::Shanghai);
    let payload = serde_json::json!({
        "type": if again { "incident_repushed" } else { "incident" },
        "incident_id": id,
        "kind": kind,
        "station": station,
        "county": county,
        "title": title,
        "body": format!("{station} · {}", local.format("%Y-%m-%d %H:%M")),
        "url": format!("/console/#/incidents/{id}"),
    });
    push::enqueue_untied(conn, &audience, &payload, now).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// RFC 3339: occurred at or after.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    from: Option<String>,
    /// RFC 3339: occurred before.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    to: Option<String>,
    /// `true`: only those no supervisor has acknowledged.
    #[param(value_type = Option<bool>)]
    unacknowledged: Option<String>,
    /// 1 to 1000, default 200.
    #[param(value_type = Option<i64>)]
    limit: Option<String>,
}

/// Incidents in the reader's scope (as for referrals), and those they filed, newest first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = IncidentList),
              (status = 400, description = "invalid_time, invalid_page, invalid_query", body = mobile_api::ErrorBody)))]
pub async fn list_incidents(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<ApiJson<IncidentList>> {
    let (from, to) = listing::time_window(query.from.as_deref(), query.to.as_deref())?;
    let (limit, _) = listing::page(query.limit.as_deref(), None)?;
    let unacknowledged = match query.unacknowledged.as_deref().filter(|s| !s.is_empty()) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "unacknowledged is true or false",
            ));
        }
    };
    let scope = Scope::referrals(&user);
    let reader = db::Reader {
        scope: &scope,
        user: user.id,
    };
    let filter = db::Filter {
        from,
        to,
        unacknowledged,
        limit,
    };
    let rows = db::list(&state.db, &reader, &filter).await?;
    audit::shown_to(
        &state,
        &user,
        Kind::Incident,
        rows.iter().map(|r| r.id),
        "/api/v1/incidents",
    )
    .await?;
    let incidents = rows
        .into_iter()
        .map(|r| to_wire(r).map_err(ApiError::from))
        .collect::<Result<_>>()?;
    Ok(ApiJson(IncidentList { incidents }))
}

/// One incident; out of the reader's scope it is absent.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Incident),
              (status = 404, description = "incident_not_found", body = mobile_api::ErrorBody)))]
pub async fn get_incident(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Incident>> {
    let row = find(&state, &user, id).await?;
    audit::shown_to(
        &state,
        &user,
        Kind::Incident,
        [id],
        "/api/v1/incidents/{id}",
    )
    .await?;
    Ok(ApiJson(to_wire(row)?))
}

async fn find(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<db::Row> {
    let scope = Scope::referrals(user);
    let reader = db::Reader {
        scope: &scope,
        user: user.id,
    };
    db::get(&state.db, id, &reader)
        .await?
        .ok_or_else(|| ApiError::not_found("incident_not_found", "no incident with this id"))
}

/// A supervisor has seen the incident and taken it on; it is not pushed again. Acknowledging
/// twice answers the first acknowledgement.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/acknowledge", tag = "incidents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AcknowledgeIncident,
    responses((status = 200, body = Incident),
              (status = 403, description = "supervisors acknowledge", body = mobile_api::ErrorBody),
              (status = 404, description = "incident_not_found", body = mobile_api::ErrorBody),
              (status = 422, description = "text_too_long", body = mobile_api::ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AcknowledgeIncident>,
) -> Result<ApiJson<Incident>> {
    user.require(&[Role::Supervisor])?;
    let note = intake::text("note", body.note, MAX_TEXT)?;
    find(&state, &user, id).await?;
    if db::acknowledge(&state.db, id, user.id, note.as_deref(), state.clock.now()).await? {
        tracing::info!(incident_id = %id, "incident acknowledged");
    }
    let row = find(&state, &user, id).await?;
    audit::shown_to(
        &state,
        &user,
        Kind::Incident,
        [id],
        "/api/v1/incidents/{id}/acknowledge",
    )
    .await?;
    Ok(ApiJson(to_wire(row)?))
}

fn to_wire(row: db::Row) -> anyhow::Result<Incident> {
    Ok(Incident {
        id: row.id,
        kind: wire::parse(&row.kind)?,
        occurred_at: row.occurred_at,
        location: Location {
            lat: row.lat,
            lon: row.lon,
            accuracy_m: row.accuracy_m,
            crs: None,
        },
        station: row.station_code,
        county_code: row.county_code,
        county: row.county_name,
        referral_id: row.referral_id,
        description: row.description,
        reported_by: row.reporter,
        reported_at: row.reported_at,
        acknowledged_by: row.acknowledger,
        acknowledged_at: row.acknowledged_at,
        acknowledge_note: row.acknowledge_note,
        repushed_at: row.repushed_at,
    })
}
