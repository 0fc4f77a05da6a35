//! Patrol sightings: where officers find people sleeping rough, who they are (categories, never
//! names) and what was done. Special targets raise an urgent referral in the same transaction.

pub mod db;
pub mod draft;
pub mod submit;
pub mod view;
pub mod writer;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use mobile_api::{
    BatchItemResult, BatchItemStatus, BatchResult, ErrorDetail, NewSighting, Role, Sighting,
    SightingBatch, SightingList,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::features::audit::{self, Kind};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::geojson::{self, GeoJson};
use crate::rules::idempotent::Outcome;
use crate::rules::listing;
use crate::rules::scope::Scope;
use draft::SightingDraft;

/// Most sightings one batch may carry.
pub const MAX_BATCH: usize = 500;
/// A batch of 500 with long notes fits comfortably.
const BATCH_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// 404 `sighting_not_found` unless `user` may read sighting `id`.
pub async fn ensure_visible(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<()> {
    if db::visible(&state.db, id, &Scope::sightings(user)).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "sighting_not_found",
            "no sighting with this id",
        ))
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/sightings",
            get(list_sightings).post(create_sighting),
        )
        .route("/api/v1/sightings.geojson", get(sightings_geojson))
        .route(
            "/api/v1/sightings/batch",
            post(create_sighting_batch).layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT)),
        )
}

/// Record a patrol sighting, route it to the nearest station and snap it to a hotspot.
#[utoipa::path(post, path = "/api/v1/sightings", tag = "sightings", security(("bearer" = [])),
    request_body = NewSighting,
    responses(
        (status = 201, description = "stored and routed; `station.phone` is the number to give the person", body = Sighting),
        (status = 200, description = "the same id and body again: the stored sighting", body = Sighting),
        (status = 400, description = "invalid_coordinates, invalid_body", body = mobile_api::ErrorBody),
        (status = 401, body = mobile_api::ErrorBody),
        (status = 403, description = "only patrol officers report sightings", body = mobile_api::ErrorBody),
        (status = 409, description = "id_conflict", body = mobile_api::ErrorBody),
        (status = 422, description = "outside_service_area, time_in_future, time_too_old, invalid_people_count, invalid_accuracy, text_too_long", body = mobile_api::ErrorBody),
        (status = 429, description = "rate_limited", body = mobile_api::ErrorBody),
    ))]
pub async fn create_sighting(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<NewSighting>,
) -> Result<(StatusCode, ApiJson<Sighting>)> {
    user.require(&[Role::Patrol])?;
    state.write_limiter.check(user.id)?;
    let draft = SightingDraft::parse(req, state.clock.now())?;
    let (outcome, sighting) = submit::submit(&state, &user, vec![draft])
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("one report submitted, no answer"))??;
    let status = match outcome {
        Outcome::Created => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    Ok((status, ApiJson(sighting)))
}

/// A [`SightingBatch`] as it arrives: its items are parsed one by one, so that a malformed item
/// fails alone instead of the whole batch.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatch {
    sightings: Vec<serde_json::Value>,
}

/// Upload sightings kept on a phone while it was offline; each item succeeds or fails alone.
#[utoipa::path(post, path = "/api/v1/sightings/batch", tag = "sightings", security(("bearer" = [])),
    request_body = SightingBatch,
    responses(
        (status = 200, description = "per-item results in request order", body = BatchResult),
        (status = 400, description = "invalid_body", body = mobile_api::ErrorBody),
        (status = 413, description = "batch_too_large (more than 500 items) or body_too_large (over 8 MiB)", body = mobile_api::ErrorBody),
        (status = 403, body = mobile_api::ErrorBody),
        (status = 429, description = "rate_limited: the batch costs one write per item; nothing was stored; see Retry-After", body = mobile_api::ErrorBody),
    ))]
pub async fn create_sighting_batch(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(batch): ApiJson<RawBatch>,
) -> Result<ApiJson<BatchResult>> {
    user.require(&[Role::Patrol])?;
    if batch.sightings.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("a batch carries at most {MAX_BATCH} sightings"),
        ));
    }
    // Every record written costs one token: a batch of N costs N, all or nothing.
    state
        .write_limiter
        .check_n(user.id, batch.sightings.len())?;
    let now = state.clock.now();

    // One slot per item, so results come back in request order whatever became of each. Items
    // are parsed one by one, so one malformed item fails alone.
    let mut slots: Vec<Option<BatchItemResult>> = vec![None; batch.sightings.len()];
    let mut drafts: Vec<(usize, SightingDraft)> = Vec::new();
    for (index, value) in batch.sightings.into_iter().enumerate() {
        let id = value
            .get("id")
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok());
        let parsed = serde_json::from_value::<NewSighting>(value)
            .map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))
            .and_then(|req| SightingDraft::parse(req, now));
        match parsed {
            Ok(draft) => drafts.push((index, draft)),
            Err(err) => slots[index] = Some(item_error(index, id, &err)),
        }
    }
    let (places, drafts): (Vec<(usize, Uuid)>, Vec<SightingDraft>) =
        drafts.into_iter().map(|(i, d)| ((i, d.id), d)).unzip();
    let answers = submit::submit(&state, &user, drafts).await?;
    for ((index, id), answer) in places.into_iter().zip(answers) {
        slots[index] = Some(match answer {
            Ok((Outcome::Created, sighting)) => {
                ok_item(index, id, BatchItemStatus::Created, Some(sighting))
            }
            Ok((_, sighting)) => ok_item(index, id, BatchItemStatus::Duplicate, Some(sighting)),
            Err(err) => item_error(index, Some(id), &err),
        });
    }
    let results: Vec<BatchItemResult> = slots.into_iter().flatten().collect();
    let count = |s: BatchItemStatus| results.iter().filter(|r| r.status == s).count();
    Ok(ApiJson(BatchResult {
        created: count(BatchItemStatus::Created),
        duplicates: count(BatchItemStatus::Duplicate),
        errors: count(BatchItemStatus::Error),
        results,
    }))
}

fn ok_item(
    index: usize,
    id: Uuid,
    status: BatchItemStatus,
    sighting: Option<Sighting>,
) -> BatchItemResult {
    BatchItemResult {
        index,
        id: Some(id),
        status,
        sighting,
        error: None,
    }
}

fn item_error(index: usize, id: Option<Uuid>, err: &ApiError) -> BatchItemResult {
    let (code, message) = match err {
        ApiError::Client { code, message, .. }
        | ApiError::TooManyRequests { code, message, .. } => ((*code).to_owned(), message.clone()),
        // Never the text of an internal error: it may name tables, or quote a row.
        ApiError::DatabaseUnavailable => (
            "database_unavailable".to_owned(),
            "the database is unavailable; send this report again".to_owned(),
        ),
        ApiError::Internal(err) => {
            tracing::error!(error = format!("{err:#}"), "batch item failed");
            (
                "internal_error".to_owned(),
                "internal server error".to_owned(),
            )
        }
    };
    BatchItemResult {
        index,
        id,
        status: BatchItemStatus::Error,
        sighting: None,
        error: Some(ErrorDetail {
            code,
            message,
            request_id: None,
        }),
    }
}

/// Filters of `GET /api/v1/sightings`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// RFC 3339; `observed_at` at or after.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    from: Option<String>,
    /// RFC 3339; `observed_at` before.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    to: Option<String>,
    /// `minLon,minLat,maxLon,maxLat`.
    bbox: Option<String>,
    /// A station code.
    station: Option<String>,
    /// 1 to 1000, default 200.
    #[param(value_type = Option<i64>)]
    limit: Option<String>,
    #[param(value_type = Option<i64>)]
    offset: Option<String>,
}

/// Sightings this account may read, newest first: a patrol officer's own, a duty officer's
/// station's, all for supervisors.
#[utoipa::path(get, path = "/api/v1/sightings", tag = "sightings", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = SightingList), (status = 400, body = mobile_api::ErrorBody),
              (status = 403, body = mobile_api::ErrorBody)))]
pub async fn list_sightings(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<ApiJson<SightingList>> {
    Ok(ApiJson(SightingList {
        sightings: list(&state, &user, &query, "/api/v1/sightings").await?,
    }))
}

/// The same list as GeoJSON points.
#[utoipa::path(get, path = "/api/v1/sightings.geojson", tag = "sightings", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "RFC 7946 FeatureCollection", content_type = "application/geo+json", body = mobile_api::SightingCollection)))]
pub async fn sightings_geojson(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<GeoJson> {
    let sightings = list(&state, &user, &query, "/api/v1/sightings.geojson").await?;
    Ok(geojson::collection_of(sightings, |s| {
        (s.location.lat, s.location.lon)
    }))
}

async fn list(
    state: &AppState,
    user: &CurrentUser,
    query: &ListQuery,
    via: &str,
) -> Result<Vec<Sighting>> {
    let (from, to) = listing::time_window(query.from.as_deref(), query.to.as_deref())?;
    let (limit, offset) = listing::page(query.limit.as_deref(), query.offset.as_deref())?;
    let filter = db::Filter {
        station: query.station.clone().filter(|s| !s.is_empty()),
        from,
        to,
        bbox: listing::bbox(query.bbox.as_deref())?,
        limit,
        offset,
    };
    match user.role {
        Role::Hotline | Role::Admin | Role::Liaison => {
            return Err(ApiError::forbidden(
                "this role does not read patrol sightings",
            ));
        }
        Role::Duty => {
            listing::own_station(user, filter.station.as_deref())?;
        }
        Role::Supervisor | Role::Patrol => {}
    }
    let rows = db::list(state.reads(), &filter, &Scope::sightings(user)).await?;
    let shown = rows
        .iter()
        .filter(|r| view::carries_personal(r))
        .map(|r| r.id);
    audit::shown_to(state, user, Kind::Sighting, shown, via).await?;
    let directory = state.directory();
    rows.into_iter()
        .map(|row| view::to_wire(row, &directory).map_err(ApiError::from))
        .collect()
}
