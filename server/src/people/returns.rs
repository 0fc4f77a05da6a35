//! The returnee ledger (返乡人员信息台账): a person escorted home, where to and to whom, and
//! their family situation. Resolving a referral linked to a person with `escorted_home` opens an
//! entry; `POST /api/v1/people/{id}/returns` fills in the details (or records a return the
//! product did not see). Entries keep the register's revisit schedule.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::{EndSchedule, ReturnDetails, ReturnEntry, ReturnList, Role};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::db;
use super::find;
use crate::audit::{self, db::Kind};
use crate::auth::CurrentUser;
use crate::error::{ApiError, Result};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::intake::{self, MAX_SHORT_TEXT, MAX_TEXT};
use crate::sheet::Table;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/people/{id}/returns", post(record_return))
        .route("/api/v1/returns", get(list_returns))
        .route("/api/v1/returns/{id}/end", post(end_return))
}

/// The entry a resolution `escorted_home` opens, in the step's transaction; nothing when the
/// referral is not linked to a person or already has one.
pub async fn open_from_resolution(
    conn: &mut PgConnection,
    referral: Uuid,
    actor: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let person: Option<Option<Uuid>> =
        sqlx::query_scalar("select person_id from referrals where id = $1")
            .bind(referral)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(Some(person)) = person else {
        return Ok(());
    };
    let day = crate::campaigns::season::local_date(now);
    let done = sqlx::query(
        "insert into returns (id, person_id, referral_id, returned_on, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
    )
    .bind(Uuid::new_v5(&Uuid::NAMESPACE_OID, referral.as_bytes()))
    .bind(person)
    .bind(referral)
    .bind(day)
    .bind(actor)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 1 {
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

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: Uuid,
    person_id: Uuid,
    referral_id: Option<Uuid>,
    destination_county_code: Option<String>,
    township_code: Option<String>,
    township: Option<String>,
    handed_over_to: Option<String>,
    family_situation: Option<String>,
    returned_on: NaiveDate,
    ended_at: Option<DateTime<Utc>>,
    last_at: Option<DateTime<Utc>>,
    name: Option<String>,
}

const SELECT: &str = "select x.id, x.person_id, x.referral_id, x.destination_county_code, x.township_code,
        t.name as township, x.handed_over_to, x.family_situation, x.returned_on, x.ended_at,
        (select max(v.at) from revisits v where v.person_id = x.person_id
           and v.at >= (x.returned_on::timestamp at time zone 'Asia/Shanghai')) as last_at,
        p.name
    from returns x join people p on p.id = x.person_id left join townships t on t.code = x.township_code";

fn to_wire(state: &AppState, r: Row) -> ReturnEntry {
    let start = crate::campaigns::season::local_midnight(r.returned_on);
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
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where x.person_id = $1 order by x.returned_on, x.id"
    )))
    .bind(person)
    .fetch_all(&state.db)
    .await?;
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
        let known: bool =
            sqlx::query_scalar("select exists (select 1 from townships where code = $1)")
                .bind(code)
                .fetch_one(&state.db)
                .await?;
        if !known {
            return Err(ApiError::unprocessable(
                "unknown_township",
                "township_code is not a township of Tai'an",
            ));
        }
    }
    let handed = intake::text("handed_over_to", body.handed_over_to, MAX_SHORT_TEXT)?;
    let family = intake::text("family_situation", body.family_situation, MAX_TEXT)?;
    let day = match body.returned_on {
        Some(day) => intake::past_date("returned_on", day, now)?,
        None => crate::campaigns::season::local_date(now),
    };
    let mut tx = state.db.begin().await?;
    let (entry, status) = match body.referral_id {
        Some(referral) => {
            let entry: Option<Uuid> = sqlx::query_scalar(
                "update returns set destination_county_code = coalesce($3, destination_county_code),
                        township_code = coalesce($4, township_code), handed_over_to = coalesce($5, handed_over_to),
                        family_situation = coalesce($6, family_situation), returned_on = $7
                 where referral_id = $1 and person_id = $2 returning id",
            )
            .bind(referral)
            .bind(id)
            .bind(&county)
            .bind(&township)
            .bind(&handed)
            .bind(&family)
            .bind(day)
            .fetch_optional(&mut *tx)
            .await?;
            let entry = entry.ok_or_else(|| {
                ApiError::not_found(
                    "return_not_found",
                    "no ledger entry of this person for that referral",
                )
            })?;
            (entry, StatusCode::OK)
        }
        None => {
            let entry = Uuid::new_v4();
            sqlx::query(
                "insert into returns (id, person_id, destination_county_code, township_code, handed_over_to,
                                      family_situation, returned_on, created_by, created_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(entry)
            .bind(id)
            .bind(&county)
            .bind(&township)
            .bind(&handed)
            .bind(&family)
            .bind(day)
            .bind(user.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
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
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where x.id = $1")))
        .bind(entry)
        .fetch_one(&state.db)
        .await?;
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
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where x.id = $1")))
        .bind(id)
        .fetch_optional(&state.db)
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
    let start = crate::campaigns::season::local_midnight(row.returned_on);
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
    sqlx::query("update returns set ended_at = $2, ended_by = $3, end_reason = $4 where id = $1 and ended_at is null")
        .bind(id)
        .bind(now)
        .bind(user.id)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
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
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where x.id = $1")))
        .bind(id)
        .fetch_one(&state.db)
        .await?;
    super::shown(&state, &user, row.person_id, "/api/v1/returns/{id}/end").await?;
    Ok(ApiJson(to_wire(&state, row)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A local date, YYYY-MM-DD, inclusive.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    from: Option<String>,
    /// A local date, YYYY-MM-DD, inclusive.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
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
            .map(|d| crate::listing::query_date("from and to", d))
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
    let mut qb = db::Builder::new(SELECT);
    qb.push(" where exists (select 1 from people p where p.id = x.person_id and ");
    reader.push_condition(&mut qb);
    qb.push(")");
    if let Some(from) = from {
        qb.push(" and x.returned_on >= ").push_bind(from);
    }
    if let Some(to) = to {
        qb.push(" and x.returned_on <= ").push_bind(to);
    }
    if let Some(township) = reader.township() {
        qb.push(" and x.township_code = ")
            .push_bind(township.to_owned());
    }
    qb.push(" order by x.returned_on, x.id");
    let rows: Vec<Row> = qb.build_query_as().fetch_all(&state.db).await?;
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
