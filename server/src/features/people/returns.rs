//! The returnee ledger (返乡人员信息台账): a person escorted home, where to and to whom, and
//! their family situation. Resolving a referral linked to a person with `escorted_home` opens an
//! entry; `POST /api/v1/people/{id}/returns` fills in the details (or records a return the
//! product did not see). Entries keep the register's revisit schedule.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use mobile_api::{EndSchedule, ReturnDetails, ReturnEntry, ReturnList, Role};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::db;
use super::find;
use crate::features::audit::{self, Kind};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::events::Event;
use crate::rules::intake::{self, MAX_SHORT_TEXT, MAX_TEXT};
use crate::rules::sheet::Table;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/people/{id}/returns", post(record_return))
        .route("/api/v1/returns", get(list_returns))
        .route("/api/v1/returns/{id}/end", post(end_return))
}

/// The ledger's part of an event: a referral resolved `escorted_home` opens an entry.
pub fn on_event<'a>(
    conn: &'a mut PgConnection,
    event: &'a Event<'a>,
    now: DateTime<Utc>,
) -> BoxFuture<'a, sqlx::Result<()>> {
    Box::pin(async move {
        if let Event::Resolved {
            referral_id,
            outcome: Some("escorted_home"),
            actor,
        } = *event
        {
            open_from_resolution(conn, referral_id, actor, now).await?;
        }
        Ok(())
    })
}

/// The entry a resolution `escorted_home` opens, in the step's transaction; nothing when the
/// referral is not linked to a person or already has one.
async fn open_from_resolution(
    conn: &mut PgConnection,
    referral: Uuid,
    actor: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let Some(person) = db::returns::person_of_referral(&mut *conn, referral).await? else {
        return Ok(());
    };
    let day = crate::rules::local_day::local_date(now);
    let done =
        db::returns::open_for_referral(&mut *conn, referral, person, day, actor, now).await?;
    if done {
        db::event(
            conn,
            person,
            "returned",
            Some(actor),
            now,
            json!({ "referral_id": referral }),
        )
        .await?;
    }
    Ok(())
}

fn to_wire(state: &AppState, r: db::returns::ReturnRow) -> ReturnEntry {
    let start = crate::rules::local_day::local_midnight(r.returned_on);
    ReturnEntry {
        next_revisit_due: r
            .ended_at
            .is_none()
            .then(|| {
                r.last_at
                    .unwrap_or(start)
                    .checked_add_signed(state.settings.revisit_every())
            })
            .flatten(),
        id: r.id,
        person_id: r.person_id,
        referral_id: r.referral_id,
        destination_county_code: r.destination_county_code,
        township_code: r.township_code,
        township: r.township,
        handed_over_to: r.handed_over_to,
        family_situation: r.family_situation,
        returned_on: r.returned_on,
        ended_at: r.ended_at,
    }
}

pub async fn of_person(state: &AppState, person: Uuid) -> Result<Vec<ReturnEntry>> {
    let rows = db::returns::of_person(&state.db, person).await?;
    Ok(rows.into_iter().map(|r| to_wire(state, r)).collect())
}

/// Record a return home, or complete the entry a resolution opened (`referral_id`) (duty
/// officers, supervisors in scope).
#[utoipa::path(post, path = "/api/v1/people/{id}/returns", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReturnDetails,
    responses((status = 201, description = "a new entry", body = ReturnEntry), (status = 200, description = "the resolution's entry completed", body = ReturnEntry),
              (status = 404, description = "person_not_found, return_not_found", body = mobile_api::ErrorBody),
              (status = 422, description = "unknown_township, invalid_county_code", body = mobile_api::ErrorBody)))]
pub async fn record_return(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ReturnDetails>,
) -> Result<(StatusCode, ApiJson<ReturnEntry>)> {
    user.require(&[Role::Duty, Role::Supervisor])?;
    find(&state, &user, id).await?;
    let now = state.clock.now();
    let county = intake::text("destination_county_code", body.destination_county_code, 6)?;
    if let Some(c) = &county
        && !(c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::unprocessable(
            "invalid_county_code",
            "destination_county_code is a six-digit division code",
        ));
    }
    let township = intake::text("township_code", body.township_code, 9)?;
    if let Some(code) = &township {
        super::register::township_exists(&state, code).await?;
    }
    let handed = intake::text("handed_over_to", body.handed_over_to, MAX_SHORT_TEXT)?;
    let family = intake::text("family_situation", body.family_situation, MAX_TEXT)?;
    let day = match body.returned_on {
        Some(day) => intake::past_date("returned_on", day, now)?,
        None => crate::rules::local_day::local_date(now),
    };
    let mut tx = state.db.begin().await?;
    let details = db::returns::Details {
        destination_county_code: county.as_deref(),
        township_code: township.as_deref(),
        handed_over_to: handed.as_deref(),
        family_situation: family.as_deref(),
        returned_on: day,
    };
    let (entry, status) = match body.referral_id {
        Some(referral) => {
            let entry = db::returns::complete_for_referral(&mut tx, referral, id, &details)
                .await?
                .ok_or_else(|| {
                    ApiError::not_found(
                        "return_not_found",
                        "no ledger entry of this person for that referral",
                    )
                })?;
            (entry, StatusCode::OK)
        }
        None => {
            let entry = Uuid::new_v4();
            db::returns::insert_return(&mut tx, entry, id, &details, user.id, now).await?;
            (entry, StatusCode::CREATED)
        }
    };
    db::event(
        &mut tx,
        id,
        "return_recorded",
        Some(user.id),
        now,
        json!({ "entry_id": entry }),
    )
    .await?;
    tx.commit().await?;
    let row = db::returns::entry(&state.db, entry)
        .await?
        .ok_or_else(|| anyhow::anyhow!("ledger entry {entry} vanished"))?;
    super::shown(&state, &user, id, "/api/v1/people/{id}/returns").await?;
    Ok((status, ApiJson(to_wire(&state, row))))
}

/// End a ledger entry's revisits with a reason (supervisors in scope), once its period is over.
#[utoipa::path(post, path = "/api/v1/returns/{id}/end", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = EndSchedule,
    responses((status = 200, body = ReturnEntry), (status = 404, description = "return_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "already_ended", body = mobile_api::ErrorBody),
              (status = 422, description = "too_early_to_end, reason_required", body = mobile_api::ErrorBody)))]
pub async fn end_return(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<EndSchedule>,
) -> Result<ApiJson<ReturnEntry>> {
    user.require(&[Role::Supervisor])?;
    let reason = intake::text("reason", Some(body.reason), MAX_TEXT)?
        .ok_or_else(|| ApiError::unprocessable("reason_required", "say why the entry ends"))?;
    let missing = || ApiError::not_found("return_not_found", "no ledger entry with this id");
    let row = db::returns::entry(&state.db, id)
        .await?
        .ok_or_else(missing)?;
    // Out of the reader's scope, the entry is as absent as its person.
    find(&state, &user, row.person_id)
        .await
        .map_err(|_| missing())?;
    if row.ended_at.is_some() {
        return Err(ApiError::conflict(
            "already_ended",
            "this entry's revisits have ended",
        ));
    }
    let now = state.clock.now();
    let start = crate::rules::local_day::local_midnight(row.returned_on);
    if now < start + state.settings.revisit_period() {
        return Err(ApiError::unprocessable(
            "too_early_to_end",
            format!(
                "revisits run for at least {} days from the return",
                state.settings.revisit_period_days
            ),
        ));
    }
    let mut tx = state.db.begin().await?;
    db::returns::end_entry(&mut tx, id, user.id, &reason, now).await?;
    db::event(
        &mut tx,
        row.person_id,
        "return_ended",
        Some(user.id),
        now,
        json!({ "entry_id": id }),
    )
    .await?;
    tx.commit().await?;
    let row = db::returns::entry(&state.db, id)
        .await?
        .ok_or_else(missing)?;
    super::shown(&state, &user, row.person_id, "/api/v1/returns/{id}/end").await?;
    Ok(ApiJson(to_wire(&state, row)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A local date, YYYY-MM-DD, inclusive.
    #[param(value_type = Option<chrono::NaiveDate>)]
    from: Option<String>,
    /// A local date, YYYY-MM-DD, inclusive.
    #[param(value_type = Option<chrono::NaiveDate>)]
    to: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    format: Option<String>,
}

/// The ledger in the reader's scope, by date of return (JSON, CSV or XLSX).
#[utoipa::path(get, path = "/api/v1/returns", tag = "people", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = ReturnList), (status = 400, description = "invalid_date, invalid_format", body = mobile_api::ErrorBody)))]
pub async fn list_returns(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response> {
    let date = |v: Option<&str>| {
        v.filter(|s| !s.is_empty())
            .map(|d| crate::rules::listing::query_date("from and to", d))
            .transpose()
    };
    let (from, to) = (date(query.from.as_deref())?, date(query.to.as_deref())?);
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv" | "xlsx") {
        return Err(ApiError::bad_request(
            "invalid_format",
            "format is json, csv or xlsx",
        ));
    }
    let reader = super::reader(&state, &user);
    let rows = db::returns::list(&state.db, &reader, from, to).await?;
    audit::shown_to(
        &state,
        &user,
        Kind::Person,
        rows.iter().map(|r| r.person_id),
        match format {
            "csv" => "/api/v1/returns?format=csv",
            "xlsx" => "/api/v1/returns?format=xlsx",
            _ => "/api/v1/returns",
        },
    )
    .await?;
    if format == "json" {
        let returns = rows.into_iter().map(|r| to_wire(&state, r)).collect();
        return Ok(ApiJson(ReturnList { returns }).into_response());
    }
    let table = Table {
        title: "返乡人员信息台账".to_owned(),
        columns: vec![
            ("returned_on", "返乡日期"),
            ("name", "姓名"),
            ("destination_county_code", "返回地区划代码"),
            ("township_code", "乡镇（街道）代码"),
            ("township", "乡镇（街道）"),
            ("handed_over_to", "交接对象"),
            ("family_situation", "家庭情况"),
            ("referral_id", "转介编号"),
        ],
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    r.returned_on.to_string(),
                    r.name.unwrap_or_default(),
                    r.destination_county_code.unwrap_or_default(),
                    r.township_code.unwrap_or_default(),
                    r.township.unwrap_or_default(),
                    r.handed_over_to.unwrap_or_default(),
                    r.family_situation.unwrap_or_default(),
                    r.referral_id.map(|i| i.to_string()).unwrap_or_default(),
                ]
            })
            .collect(),
    };
    Ok(table.download(format, "returns")?)
}
