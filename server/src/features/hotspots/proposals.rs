//! New sleeping places found on the street (新点位): a patrol proposes one where it stands, a
//! supervisor of its county approves it (it becomes the hotspot with the proposal's id, check-ins
//! made meanwhile included) or rejects it with a reason.

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::{
    ApproveProposal, HotspotProposal, HotspotProposalList, NewHotspotProposal, ProposalStatus,
    RejectProposal, Role,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{county_of, db as hotspot_db, hotspot_name, proposal_db, within_county};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::geo::GeoPoint;
use crate::rules::idempotent::{self, Fingerprint};
use crate::rules::intake::{self, MAX_TEXT};
use crate::rules::{listing, wire};
use proposal_db::Reader;

/// What makes two proposals under one id "the same body".
#[derive(Serialize)]
struct ProposalHash<'a> {
    name: &'a str,
    kind: &'a str,
    lat: f64,
    lon: f64,
    note: &'a str,
}

/// Propose a hotspot where the patrol stands (patrol officers). Idempotent by `id`.
#[utoipa::path(post, path = "/api/v1/hotspots/proposals", tag = "hotspots", security(("bearer" = [])),
    request_body = NewHotspotProposal,
    responses((status = 201, body = HotspotProposal),
              (status = 200, description = "the same id and body again", body = HotspotProposal),
              (status = 403, description = "patrol officers propose", body = mobile_api::ErrorBody),
              (status = 409, description = "id_conflict", body = mobile_api::ErrorBody),
              (status = 422, description = "name_required, outside_service_area, text_too_long", body = mobile_api::ErrorBody)))]
pub async fn create_proposal(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<NewHotspotProposal>,
) -> Result<(StatusCode, ApiJson<HotspotProposal>)> {
    user.require(&[Role::Patrol])?;
    state.write_limiter.check(user.id)?;
    let now = state.clock.now();
    let name = hotspot_name(req.name)?;
    let (point, _) = intake::location(&req.location)?;
    let original = intake::original(&req.location);
    let county = county_of(&state, point)?;
    let note = intake::text("note", req.note, MAX_TEXT)?.unwrap_or_default();
    let kind = wire::name(&req.kind);
    if hotspot_db::exists(&state.db, req.id).await? {
        return Err(ApiError::id_conflict("hotspot"));
    }
    let hash = intake::request_hash(&ProposalHash {
        name: &name,
        kind: &kind,
        lat: point.lat(),
        lon: point.lon(),
        note: &note,
    });
    let inserted = proposal_db::insert(
        &state.db,
        &proposal_db::NewRow {
            id: req.id,
            name: &name,
            kind: &kind,
            point,
            county_code: county.as_deref(),
            note: &note,
            proposed_by: user.id,
            proposed_at: now,
            request_hash: &hash,
        },
    )
    .await?;
    let stored = if inserted {
        let mut conn = state.db.acquire().await?;
        crate::rules::geo::crs::keep(&mut conn, "proposal", req.id, original, now).await?;
        tracing::info!(proposal_id = %req.id, county = ?county, "hotspot proposed");
        None
    } else {
        proposal_db::fingerprint(&state.db, req.id)
            .await?
            .map(|(owner, hash)| Fingerprint::new(owner, hash))
    };
    let status = idempotent::status(
        stored.as_ref(),
        &Fingerprint::new(user.id, hash),
        "hotspot proposal",
    )?;
    let row = proposal_db::proposed_by(&state.db, req.id, user.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("proposal {} vanished", req.id))?;
    Ok((status, ApiJson(to_wire(row)?)))
}

fn reader(user: &CurrentUser) -> Result<Reader> {
    match user.role {
        Role::Supervisor => Ok(match &user.county_code {
            Some(county) => Reader::County(county.clone()),
            None => Reader::All,
        }),
        Role::Duty => user
            .station
            .clone()
            .map(Reader::Station)
            .ok_or_else(|| ApiError::forbidden("this duty account has no station")),
        Role::Patrol => Ok(Reader::Proposer(user.id)),
        Role::Hotline | Role::Admin | Role::Liaison => Err(ApiError::forbidden(
            "hotspot proposals are for patrols, duty officers and supervisors",
        )),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `pending`, `approved` or `rejected`; all when absent.
    status: Option<String>,
    /// 1 to 1000, default 200.
    #[param(value_type = Option<i64>)]
    limit: Option<String>,
}

/// Proposals, oldest first: a supervisor's county (the city's: all), a duty officer's station's
/// counties, a patrol officer's own.
#[utoipa::path(get, path = "/api/v1/hotspots/proposals", tag = "hotspots", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = HotspotProposalList),
              (status = 400, description = "invalid_query, invalid_page", body = mobile_api::ErrorBody),
              (status = 403, body = mobile_api::ErrorBody)))]
pub async fn list_proposals(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<ApiJson<HotspotProposalList>> {
    let reader = reader(&user)?;
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            wire::parse::<ProposalStatus>(s).map_err(|_| {
                ApiError::bad_request("invalid_query", "status is pending, approved or rejected")
            })
        })
        .transpose()?
        .map(|s| wire::name(&s));
    let (limit, _) = listing::page(query.limit.as_deref(), None)?;
    let proposals = proposal_db::list(&state.db, &reader, status.as_deref(), limit)
        .await?
        .into_iter()
        .map(|r| to_wire(r).map_err(ApiError::from))
        .collect::<Result<_>>()?;
    Ok(ApiJson(HotspotProposalList { proposals }))
}

/// One proposal; out of the reader's scope it is absent.
#[utoipa::path(get, path = "/api/v1/hotspots/proposals/{id}", tag = "hotspots", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = HotspotProposal),
              (status = 404, description = "proposal_not_found", body = mobile_api::ErrorBody)))]
pub async fn get_proposal(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<HotspotProposal>> {
    Ok(ApiJson(to_wire(find(&state, &reader(&user)?, id).await?)?))
}

async fn find(state: &AppState, reader: &Reader, id: Uuid) -> Result<proposal_db::Row> {
    proposal_db::get(&state.db, id, reader)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("proposal_not_found", "no hotspot proposal with this id")
        })
}

/// The decision's precondition: a supervisor who can see the proposal, which is pending or
/// already decided the same way (a retried request answers as the first did).
async fn decision(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    to: ProposalStatus,
) -> Result<(Reader, bool)> {
    user.require(&[Role::Supervisor])?;
    let reader = reader(user)?;
    let current = find(state, &reader, id).await?;
    let current: ProposalStatus = wire::parse(&current.status)?;
    match current {
        ProposalStatus::Pending => Ok((reader, true)),
        done if done == to => Ok((reader, false)),
        _ => Err(ApiError::conflict(
            "proposal_decided",
            "this proposal has already been decided the other way",
        )),
    }
}

/// Approve a proposal (supervisors of its county or the city), with optional corrections: it
/// becomes an active hotspot with the proposal's id, and its check-ins count for it.
#[utoipa::path(post, path = "/api/v1/hotspots/proposals/{id}/approve", tag = "hotspots", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ApproveProposal,
    responses((status = 200, body = HotspotProposal),
              (status = 403, body = mobile_api::ErrorBody),
              (status = 404, description = "proposal_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "proposal_decided: it was rejected", body = mobile_api::ErrorBody),
              (status = 422, description = "name_required, outside_service_area", body = mobile_api::ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ApproveProposal>,
) -> Result<ApiJson<HotspotProposal>> {
    let (reader, pending) = decision(&state, &user, id, ProposalStatus::Approved).await?;
    if pending {
        let current = find(&state, &reader, id).await?;
        let name = body
            .name
            .map(hotspot_name)
            .transpose()?
            .unwrap_or(current.name);
        let kind = body.kind.map_or(current.kind, |k| wire::name(&k));
        let point = match body.location {
            Some(loc) => intake::location(&loc)?.0,
            None => GeoPoint::new(current.lat, current.lon)?,
        };
        let county = county_of(&state, point)?;
        within_county(&user, county.as_deref())?;
        let mut tx = state.db.begin().await?;
        // Decided by someone else since it was read: answer as `decision` would now.
        if proposal_db::lock(&mut tx, id).await?.as_deref() == Some("pending") {
            let new = hotspot_db::upsert(
                &mut tx,
                hotspot_db::Write::New,
                &hotspot_db::NewHotspot {
                    id,
                    name: &name,
                    kind: &kind,
                    point,
                    county_code: county.as_deref(),
                    active: true,
                },
            )
            .await?;
            if !new {
                return Err(ApiError::id_conflict("hotspot"));
            }
            let adopted = proposal_db::adopt_checkins(&mut tx, id).await?;
            proposal_db::decide(&mut tx, id, "approved", user.id, None, state.clock.now()).await?;
            tx.commit().await?;
            state.reload_directory().await?;
            tracing::info!(proposal_id = %id, checkins = adopted, "hotspot proposal approved");
        } else {
            drop(tx);
            decision(&state, &user, id, ProposalStatus::Approved).await?;
        }
    }
    Ok(ApiJson(to_wire(find(&state, &reader, id).await?)?))
}

/// Reject a proposal with a reason (supervisors of its county or the city).
#[utoipa::path(post, path = "/api/v1/hotspots/proposals/{id}/reject", tag = "hotspots", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RejectProposal,
    responses((status = 200, body = HotspotProposal),
              (status = 403, body = mobile_api::ErrorBody),
              (status = 404, description = "proposal_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "proposal_decided: it was approved", body = mobile_api::ErrorBody),
              (status = 422, description = "reason_required, text_too_long", body = mobile_api::ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RejectProposal>,
) -> Result<ApiJson<HotspotProposal>> {
    let reason = intake::text("reason", Some(body.reason), MAX_TEXT)?
        .ok_or_else(|| ApiError::unprocessable("reason_required", "say why it is rejected"))?;
    let (reader, pending) = decision(&state, &user, id, ProposalStatus::Rejected).await?;
    if pending {
        let mut tx = state.db.begin().await?;
        if proposal_db::lock(&mut tx, id).await?.as_deref() == Some("pending") {
            let now = state.clock.now();
            proposal_db::decide(&mut tx, id, "rejected", user.id, Some(&reason), now).await?;
            tx.commit().await?;
            tracing::info!(proposal_id = %id, "hotspot proposal rejected");
        } else {
            drop(tx);
            decision(&state, &user, id, ProposalStatus::Rejected).await?;
        }
    }
    Ok(ApiJson(to_wire(find(&state, &reader, id).await?)?))
}

fn to_wire(row: proposal_db::Row) -> anyhow::Result<HotspotProposal> {
    let status: ProposalStatus = wire::parse(&row.status)?;
    Ok(HotspotProposal {
        id: row.id,
        name: row.name,
        kind: wire::parse(&row.kind)?,
        lat: row.lat,
        lon: row.lon,
        county_code: row.county_code,
        county: row.county_name,
        note: row.note,
        proposed_by: row.proposer,
        proposed_at: row.proposed_at,
        status,
        decided_by: row.decider,
        decided_at: row.decided_at,
        reason: row.reason,
        hotspot_id: (status == ProposalStatus::Approved).then_some(row.id),
        checkins: row.checkins,
    })
}
