//! `GET /api/v1/audit/access`: who was shown which record's personal fields (PIPL), for city
//! supervisors and admins. Readers are recorded where the answers are made ([`db::record`]).

pub mod db;

pub use db::{Kind, Reader, record};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use mobile_api::{AccessEntry, AccessLog, Role};
use serde::Deserialize;
use uuid::Uuid;

use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::listing;

/// Log that `user` was shown the personal fields of the records `ids`, through `via` (the
/// route's path template); one statement, or none when `ids` is empty.
pub async fn shown_to(
    state: &AppState,
    user: &CurrentUser,
    kind: db::Kind,
    ids: impl IntoIterator<Item = Uuid>,
    via: &str,
) -> sqlx::Result<()> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let reader = db::Reader::User(user.id);
    db::record(&state.db, state.clock.now(), reader, kind, &ids, via).await
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit/access", get(access_log))
}

/// Filters of the access log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessQuery {
    /// A referral id: reads of that referral.
    referral: Option<String>,
    /// A sighting id: reads of that sighting.
    sighting: Option<String>,
    /// An incident id: reads of that incident.
    incident: Option<String>,
    /// A person id: reads of that person's record.
    person: Option<String>,
    /// A username (or an Open311 partner's name): what they read.
    user: Option<String>,
    /// RFC 3339, inclusive.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    from: Option<String>,
    /// RFC 3339, exclusive.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    to: Option<String>,
    /// 1 to 1000, default 200.
    #[param(value_type = Option<i64>)]
    limit: Option<String>,
    #[param(value_type = Option<i64>)]
    offset: Option<String>,
    /// Anything else: refused, so that a misspelt filter is not read as "everything".
    #[serde(flatten)]
    #[param(ignore)]
    unknown: std::collections::BTreeMap<String, String>,
}

/// Who read personal fields of which record, and when, newest first (city supervisors, admins).
#[utoipa::path(get, path = "/api/v1/audit/access", tag = "audit", security(("bearer" = [])),
    params(AccessQuery),
    responses((status = 200, body = AccessLog),
              (status = 400, description = "invalid_id, invalid_time, invalid_page, invalid_filter", body = mobile_api::ErrorBody),
              (status = 403, description = "not a city supervisor or an admin", body = mobile_api::ErrorBody)))]
pub async fn access_log(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<AccessQuery>,
) -> Result<ApiJson<AccessLog>> {
    let city_supervisor = user.role == Role::Supervisor && user.county_code.is_none();
    if !(city_supervisor || user.role == Role::Admin) {
        return Err(ApiError::forbidden(
            "the access log is for city supervisors and admins",
        ));
    }
    if let Some(name) = query.unknown.keys().next() {
        return Err(ApiError::bad_request(
            "invalid_filter",
            format!(
                "unknown filter {name:?}: referral, sighting, incident, person, user, from, to, limit, offset"
            ),
        ));
    }
    let id = |v: Option<&str>| {
        v.filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<Uuid>().map_err(|_| {
                    ApiError::bad_request(
                        "invalid_id",
                        "referral, sighting, incident and person are UUIDs",
                    )
                })
            })
            .transpose()
    };
    let records = [
        id(query.referral.as_deref())?,
        id(query.sighting.as_deref())?,
        id(query.incident.as_deref())?,
        id(query.person.as_deref())?,
    ];
    if records.iter().flatten().count() > 1 {
        return Err(ApiError::bad_request(
            "invalid_id",
            "ask for one referral, sighting, incident or person",
        ));
    }
    let (from, to) = listing::time_window(query.from.as_deref(), query.to.as_deref())?;
    let (limit, offset) = listing::page(query.limit.as_deref(), query.offset.as_deref())?;
    let filter = db::Filter {
        record: records.into_iter().flatten().next(),
        username: query.user.filter(|u| !u.is_empty()),
        from,
        to,
        limit,
        offset,
    };
    let entries = db::list(&state.db, &filter)
        .await?
        .into_iter()
        .map(|e| AccessEntry {
            at: e.at,
            user: e.reader,
            role: e.reader_role,
            partner: e.partner,
            record_kind: e.record_kind,
            record_id: e.record_id,
            via: e.via,
        })
        .collect();
    Ok(ApiJson(AccessLog { entries }))
}
