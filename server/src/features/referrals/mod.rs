//! Referrals: hotline calls and patrol reports that a station must act on, routed at intake to
//! the nearest station, with every step on record.

pub mod actions;
pub mod db;
pub mod draft;
pub mod lifecycle;
pub mod links;
pub mod queue;
pub mod view;

pub use db::{Creator, NewEvent, NewRow, Report, append_event, insert_new};
pub use queue::may_follow_queue;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use mobile_api::{NewReferral, Referral, ReferralList, Role, Status};
use serde::Deserialize;
use uuid::Uuid;

use crate::features::audit;
use crate::features::audit::Kind;
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::geojson::{self, GeoJson};
use crate::rules::idempotent::{self, Fingerprint};
use crate::rules::scope::{self, Scope};
use crate::rules::{listing, wire};
use draft::ReferralDraft;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/referrals",
            get(list_referrals).post(create_referral),
        )
        .route("/api/v1/referrals.geojson", get(referrals_geojson))
        .route("/api/v1/referrals/{id}", get(get_referral))
        .route("/api/v1/referrals/{id}/accept", post(actions::accept))
        .route("/api/v1/referrals/{id}/en-route", post(actions::en_route))
        .route("/api/v1/referrals/{id}/on-scene", post(actions::on_scene))
        .route("/api/v1/referrals/{id}/resolve", post(actions::resolve))
        .route("/api/v1/referrals/{id}/close", post(actions::close))
        .route("/api/v1/referrals/{id}/transfer", post(actions::transfer))
        .route(
            "/api/v1/referrals/{id}/refuse-transfer",
            post(actions::refuse_transfer),
        )
        .route("/api/v1/referrals/{id}/link", post(links::link))
        .route("/api/v1/referrals/{id}/unlink", post(links::unlink))
        .route("/api/v1/stations/{code}/queue", get(queue::station_queue))
}

/// File a referral; it is routed at once to the nearest station. A duty officer records the
/// station's own calls and walk-ins (`station_phone`, `walk_in`): their station answers for them
/// from the first event, and a nearer station must accept them as it would a transfer.
#[utoipa::path(post, path = "/api/v1/referrals", tag = "referrals", security(("bearer" = [])),
    request_body = NewReferral,
    responses(
        (status = 201, description = "created and routed", body = Referral),
        (status = 200, description = "the same id and body again: the stored referral", body = Referral),
        (status = 400, description = "invalid_coordinates, invalid_body", body = mobile_api::ErrorBody),
        (status = 401, body = mobile_api::ErrorBody),
        (status = 403, description = "role may not file referrals", body = mobile_api::ErrorBody),
        (status = 409, description = "id_conflict: the id is taken by a different referral", body = mobile_api::ErrorBody),
        (status = 422, description = "outside_service_area, time_in_future, time_too_old, invalid_people_count, invalid_phone, text_too_long, invalid_channel (station_phone / walk_in are for duty officers, and theirs only; liaison for liaisons, and theirs only)", body = mobile_api::ErrorBody),
        (status = 429, description = "rate_limited", body = mobile_api::ErrorBody),
    ))]
pub async fn create_referral(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<NewReferral>,
) -> Result<(StatusCode, ApiJson<Referral>)> {
    user.require(&[
        Role::Hotline,
        Role::Patrol,
        Role::Supervisor,
        Role::Duty,
        Role::Liaison,
    ])?;
    state.write_limiter.check(user.id)?;
    let now = state.clock.now();
    let original = crate::rules::intake::original(&req.location);
    let draft = ReferralDraft::parse(req, now)?;
    // The liaison channel is the liaisons' own, and theirs is only that one.
    if (user.role == Role::Liaison) != (draft.channel == mobile_api::Channel::Liaison) {
        return Err(ApiError::unprocessable(
            "invalid_channel",
            "a township liaison files referrals with channel liaison, and only liaisons do",
        ));
    }
    // A station's own phone and door are its duty officers' to record, and only theirs.
    let first_contact = match (user.role, draft.channel.is_station_own()) {
        (Role::Duty, true) => user.station.clone(),
        (Role::Duty, false) => {
            return Err(ApiError::unprocessable(
                "invalid_channel",
                "a duty officer records the station's own calls: channel station_phone or walk_in",
            ));
        }
        (_, true) => {
            return Err(ApiError::unprocessable(
                "invalid_channel",
                "station_phone and walk_in are recorded by the station's duty officers",
            ));
        }
        // An operator of 110 files 110's referrals (and reads those): not another hotline's.
        (Role::Hotline, false)
            if user
                .channel
                .as_deref()
                .is_some_and(|c| c != wire::name(&draft.channel)) =>
        {
            return Err(ApiError::unprocessable(
                "invalid_channel",
                "a hotline operator files referrals of their own channel",
            ));
        }
        (_, false) => None,
    };
    let directory = state.directory();
    let routed = directory.route(draft.point)?;
    let priority = draft.priority();
    let hash = draft.request_hash();
    let report = db::Report {
        id: draft.id,
        channel: wire::name(&draft.channel),
        kind: wire::name(&mobile_api::ReferralKind::Report),
        external_ref: draft.external_ref.clone(),
        reported_at: draft.reported_at,
        point: draft.point,
        address_text: draft.address_text.clone().unwrap_or_default(),
        caller_phone: draft.caller_phone.clone(),
        people_count: draft.people_count,
        categories: draft.categories.iter().map(wire::name).collect(),
        description: draft.description.clone().unwrap_or_default(),
        sighting_id: None,
        request_hash: hash.clone(),
        open311_service_code: None,
    };
    let mut row = db::NewRow::routed(report, priority, routed.placement(), &state.settings, now);
    if let Some(station) = &first_contact {
        row = row.first_contact_at(station);
    }
    let role = wire::name(&user.role);
    let creator = db::Creator {
        user_id: Some(user.id),
        partner_id: None,
        role: &role,
        received_at: now,
    };
    let mut conn = state.db.acquire().await?;
    let mut tx = crate::plumbing::db::begin_generic(&mut conn).await?;
    let inserted = db::insert_new(&mut tx, creator, std::slice::from_ref(&row)).await?;
    if !inserted.is_empty() {
        crate::rules::geo::crs::keep(&mut tx, "referral", draft.id, original, now).await?;
    }
    tx.commit().await?;

    let stored = if inserted.is_empty() {
        let (created_by, stored_hash) = db::fingerprint(&mut *conn, draft.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("referral vanished after a conflicting insert"))?;
        Some(Fingerprint::new(created_by, stored_hash))
    } else {
        tracing::info!(referral_id = %draft.id, station = %row.station_code, priority = %row.priority, "referral routed");
        None
    };
    let status = idempotent::status(
        stored.as_ref(),
        &Fingerprint::new(user.id, hash),
        "referral",
    )?;
    let referral = read_on(&mut conn, &state, &user, draft.id, Answer::Created).await?;
    Ok((status, ApiJson(referral)))
}

/// A referral with its timeline, oldest event first.
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Referral),
        (status = 403, description = "not a referral this account may read", body = mobile_api::ErrorBody),
        (status = 404, description = "referral_not_found", body = mobile_api::ErrorBody),
    ))]
pub async fn get_referral(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Referral>> {
    Ok(ApiJson(read_one(&state, &user, id).await?))
}

async fn read_one(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<Referral> {
    read(state, user, id, Answer::Read).await
}

/// Why a referral is read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// A plain read: out of scope it is absent.
    Read,
    /// The answer to the officer who has just taken a step. A refused transfer, say, leaves
    /// the refusing station outside the referral, yet the committed step must still be answered
    /// with its result, then without the personal fields.
    Step,
    /// The answer to the request that filed it: its personal fields came from the reader, so
    /// showing them back is not logged as a read.
    Created,
}

/// The referral as `user` may see it; out of their scope it is absent (404). Every answer that
/// carries a personal field is logged, except the one to the request that supplied it.
pub(crate) async fn read(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    answer: Answer,
) -> Result<Referral> {
    let mut conn = state.db.acquire().await?;
    read_on(&mut conn, state, user, id, answer).await
}

/// [`read`] on a connection the caller holds (the one that has just written the referral: a
/// connection taken from the pool costs a round trip on its way back).
pub(crate) async fn read_on(
    conn: &mut sqlx::PgConnection,
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    answer: Answer,
) -> Result<Referral> {
    let scope = Scope::referrals(user);
    let mut personal = scope::sees_personal_referral_fields(user);
    let person = scope::reads_people(user);
    let reader = db::Reader {
        scope: &scope,
        personal,
        person,
    };
    // Notes are shown where the personal fields are (else only the reader's own).
    let duplicates = (
        state.settings.duplicate_radius_m,
        state.settings.duplicate_hours,
    );
    let mut found = db::get_whole(&mut *conn, id, reader, user.id, duplicates).await?;
    if found.is_none() && answer == Answer::Created {
        // Filed outside the filer's own scope (a county supervisor's call about another
        // county): the filer is still answered with what they filed.
        let everywhere = db::Reader {
            scope: &Scope::City,
            personal,
            person,
        };
        found = db::get_whole(&mut *conn, id, everywhere, user.id, duplicates).await?;
    }
    if found.is_none() && answer == Answer::Step {
        personal = false;
        let everywhere = db::Reader {
            scope: &Scope::City,
            personal,
            person,
        };
        found = db::get_whole(&mut *conn, id, everywhere, user.id, duplicates).await?;
    }
    let (row, events, duplicates) = found.ok_or_else(not_found)?;
    if answer != Answer::Created && view::carries_personal(&row) {
        audit::shown_to(state, user, Kind::Referral, [id], "/api/v1/referrals/{id}").await?;
    }
    let actions = view::allowed_actions(user, &row)?;
    let duplicates = view::duplicates_to_wire(duplicates)?;
    let mut referral = view::to_wire(row, &state.directory(), Some(events))?;
    referral.allowed_actions = Some(actions);
    referral.possible_duplicates = Some(duplicates);
    Ok(referral)
}

/// The possible duplicates of each of `ids` (`XUNJIU_DUPLICATE_RADIUS_M`, `_HOURS`).
pub(crate) async fn duplicates_of(
    db: impl sqlx::PgExecutor<'_>,
    state: &AppState,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<mobile_api::PossibleDuplicate>>> {
    let rows = db::possible_duplicates(
        db,
        ids,
        state.settings.duplicate_radius_m,
        state.settings.duplicate_hours,
    )
    .await?;
    let mut by_referral: std::collections::HashMap<Uuid, Vec<db::DuplicateRow>> =
        ids.iter().map(|id| (*id, Vec::new())).collect();
    for row in rows {
        by_referral.entry(row.of).or_default().push(row);
    }
    by_referral
        .into_iter()
        .map(|(id, rows)| Ok((id, view::duplicates_to_wire(rows)?)))
        .collect()
}

pub(crate) fn not_found() -> ApiError {
    ApiError::not_found("referral_not_found", "no referral with this id")
}

/// 404 `referral_not_found` unless `user` may read referral `id`: the one rule every feature
/// that names a referral applies (a record out of scope is as absent as one that never was).
pub async fn ensure_visible(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<()> {
    let reader = db::Reader {
        scope: &Scope::referrals(user),
        personal: false,
        person: false,
    };
    db::get(&state.db, id, reader)
        .await?
        .map(|_| ())
        .ok_or_else(not_found)
}

/// Filters of `GET /api/v1/referrals`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A station code: referrals routed or accountable to it.
    station: Option<String>,
    /// routed, accepted, en_route, on_scene, resolved or closed.
    status: Option<String>,
    /// RFC 3339; `reported_at` at or after.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    from: Option<String>,
    /// RFC 3339; `reported_at` before.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    to: Option<String>,
    /// 1 to 1000, default 200.
    #[param(value_type = Option<i64>)]
    limit: Option<String>,
    #[param(value_type = Option<i64>)]
    offset: Option<String>,
}

/// Referrals this account may read, newest first.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = ReferralList), (status = 400, body = mobile_api::ErrorBody),
              (status = 403, body = mobile_api::ErrorBody)))]
pub async fn list_referrals(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<ApiJson<ReferralList>> {
    Ok(ApiJson(ReferralList {
        referrals: list(&state, &user, &query, "/api/v1/referrals").await?,
    }))
}

/// The same list as GeoJSON points.
#[utoipa::path(get, path = "/api/v1/referrals.geojson", tag = "referrals", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "RFC 7946 FeatureCollection", content_type = "application/geo+json", body = mobile_api::ReferralCollection)))]
pub async fn referrals_geojson(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<GeoJson> {
    let referrals = list(&state, &user, &query, "/api/v1/referrals.geojson").await?;
    Ok(geojson::collection_of(referrals, |r| {
        (r.location.lat, r.location.lon)
    }))
}

async fn list(
    state: &AppState,
    user: &CurrentUser,
    query: &ListQuery,
    via: &str,
) -> Result<Vec<Referral>> {
    let (from, to) = listing::time_window(query.from.as_deref(), query.to.as_deref())?;
    let (limit, offset) = listing::page(query.limit.as_deref(), query.offset.as_deref())?;
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            wire::parse::<Status>(s)
                .map(|st| wire::name(&st))
                .map_err(|_| ApiError::bad_request("invalid_status", "unknown referral status"))
        })
        .transpose()?;
    let filter = db::Filter {
        station: query.station.clone().filter(|s| !s.is_empty()),
        status,
        from,
        to,
        limit,
        offset,
    };
    match user.role {
        Role::Admin => {
            return Err(ApiError::forbidden(
                "the admin role does not read referrals",
            ));
        }
        Role::Duty => {
            listing::own_station(user, filter.station.as_deref())?;
        }
        _ => {}
    }
    let scope = Scope::referrals(user);
    let reader = db::Reader {
        scope: &scope,
        personal: scope::sees_personal_referral_fields(user),
        person: scope::reads_people(user),
    };
    // Lists may trail the primary by the replica's lag; a referral just filed is answered by
    // its own write, and the queue (which must show it) reads the primary.
    let rows = db::list(state.reads(), &filter, reader).await?;
    let shown = rows
        .iter()
        .filter(|r| view::carries_personal(r))
        .map(|r| r.id);
    audit::shown_to(state, user, Kind::Referral, shown, via).await?;
    let directory = state.directory();
    rows.into_iter()
        .map(|row| view::to_wire(row, &directory, None).map_err(ApiError::from))
        .collect()
}
