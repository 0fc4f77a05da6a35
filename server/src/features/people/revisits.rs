//! Revisits of registered and returned people, by the township's liaisons or duty officers. A
//! revisit that finds the person wandering again raises a referral.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use mobile_api::{NewRevisit, Revisit, RevisitOutcome, Role};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::db::{self};
use super::find;
use crate::features::auth::CurrentUser;
use crate::features::referrals;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath};
use crate::plumbing::state::AppState;
use crate::rules::geo::GeoPoint;
use crate::rules::idempotent::{self, Fingerprint};
use crate::rules::intake::{self, MAX_TEXT};
use crate::rules::wire;

fn revisit_to_wire(r: db::revisits::RevisitRow) -> anyhow::Result<Revisit> {
    Ok(Revisit {
        id: r.id,
        person_id: r.person_id,
        at: r.at,
        outcome: wire::parse(&r.outcome)?,
        note: r.note,
        recorded_by: r.recorded_by,
        referral_id: r.referral_id,
    })
}

pub async fn revisits_of(state: &AppState, person: Uuid) -> Result<Vec<Revisit>> {
    let rows = db::revisits::revisits_of(&state.db, person).await?;
    rows.into_iter()
        .map(|r| revisit_to_wire(r).map_err(ApiError::from))
        .collect()
}

#[derive(Serialize)]
struct RevisitHash<'a> {
    person: Uuid,
    at: DateTime<Utc>,
    outcome: &'a str,
    note: &'a Option<String>,
}

/// Record a revisit (the township's liaisons, duty officers in scope). Idempotent by `id`;
/// `wandering_again` raises a referral at the station of the person's township.
#[utoipa::path(post, path = "/api/v1/people/{id}/revisits", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewRevisit,
    responses((status = 201, body = Revisit), (status = 200, description = "the same id and body again", body = Revisit),
              (status = 404, description = "person_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "id_conflict", body = mobile_api::ErrorBody),
              (status = 422, description = "time_in_future, time_too_old, text_too_long, no_township", body = mobile_api::ErrorBody)))]
pub async fn record_revisit(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewRevisit>,
) -> Result<(StatusCode, ApiJson<Revisit>)> {
    user.require(&[Role::Liaison, Role::Duty])?;
    state.write_limiter.check(user.id)?;
    find(&state, &user, id).await?;
    let now = state.clock.now();
    let at = intake::event_time("at", body.at, now)?;
    let note = intake::text("note", body.note, MAX_TEXT)?;
    let outcome = wire::name(&body.outcome);
    let hash = intake::request_hash(&RevisitHash {
        person: id,
        at,
        outcome: &outcome,
        note: &note,
    });
    let mut tx = state.db.begin().await?;
    let inserted = db::revisits::insert_revisit(
        &mut tx,
        &db::revisits::NewRevisit {
            id: body.id,
            person: id,
            at,
            outcome: &outcome,
            note: note.as_deref(),
            recorded_by: user.id,
            recorded_at: now,
            request_hash: &hash,
        },
    )
    .await?;
    if inserted {
        db::event(
            &mut tx,
            id,
            "revisit",
            Some(user.id),
            now,
            json!({ "outcome": outcome }),
        )
        .await?;
        if body.outcome == RevisitOutcome::WanderingAgain {
            let referral = raise_referral(&state, &mut tx, &user, id, body.id, at, now).await?;
            db::revisits::set_referral(&mut tx, body.id, referral).await?;
        }
    }
    tx.commit().await?;
    let row = db::revisits::revisit(&state.db, body.id).await?;
    // The hash covers the person: the same id for another person is a conflict.
    let stored =
        (!inserted).then(|| Fingerprint::new(row.recorded_by_id, row.request_hash.clone()));
    let status = idempotent::status(stored.as_ref(), &Fingerprint::new(user.id, hash), "revisit")?;
    super::shown(&state, &user, id, "/api/v1/people/{id}/revisits").await?;
    Ok((status, ApiJson(revisit_to_wire(row)?)))
}

/// A normal referral about a person found wandering again, held by the station of the county
/// their township lies in (townships have no boundaries here: the county's interior point
/// stands for the place). Its id derives from the revisit's, so a retry raises nothing more.
async fn raise_referral(
    state: &AppState,
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    person: Uuid,
    revisit: Uuid,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let place = db::revisits::home_township(&mut *tx, person).await?;
    let (_, township, village, lat, lon) = place.ok_or_else(|| {
        ApiError::unprocessable(
            "no_township",
            "the person has no open register or ledger entry with a township",
        )
    })?;
    let point = GeoPoint::new(lat, lon)?;
    let directory = state.directory();
    let routed = directory.route(point)?;
    let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, revisit.as_bytes());
    let report = referrals::Report {
        id,
        channel: wire::name(&mobile_api::Channel::Liaison),
        kind: wire::name(&mobile_api::ReferralKind::Report),
        external_ref: None,
        reported_at: at,
        point,
        address_text: format!("{township}{}", village.unwrap_or_default()),
        caller_phone: None,
        people_count: 1,
        categories: Vec::new(),
        description: "回访发现再次流浪 found wandering again at a revisit".to_owned(),
        sighting_id: None,
        request_hash: intake::request_hash(&revisit),
        open311_service_code: None,
    };
    let row = referrals::NewRow::routed(
        report,
        mobile_api::Priority::Normal,
        routed.placement(),
        &state.settings,
        now,
    );
    let role = wire::name(&user.role);
    let creator = referrals::Creator {
        user_id: Some(user.id),
        partner_id: None,
        role: &role,
        received_at: now,
    };
    referrals::insert_new(&mut *tx, creator, std::slice::from_ref(&row)).await?;
    db::set_linked_person(&mut *tx, true, id, person, now).await?;
    db::event(
        &mut *tx,
        person,
        "linked_referral",
        Some(user.id),
        now,
        json!({ "referral_id": id }),
    )
    .await?;
    ::tracing::info!(referral_id = %id, station = %row.station_code, "revisit: wandering again, referral raised");
    Ok(id)
}
