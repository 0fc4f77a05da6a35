//! Annex 1 of the notice (救助管理服务质量大提升专项行动情况汇总表) as the counties, functional
//! zones and the city station file it: the annex's columns in its order ([`columns`]), each cell
//! computed from the records up to the filing date ([`compute`]), typed by the unit (history
//! kept), or missing; a filing freezes the unit's row for its date.

pub mod columns;
pub mod compute;
pub mod reminders;
pub mod sheet;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::NaiveDate;
use mobile_api::{
    Annex1Cell, Annex1Column, Annex1Entries, Annex1FileRequest, Annex1Filing, Annex1Report,
    Annex1Row, Annex1Status, Annex1UnitStatus, Role,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::intake::{self, MAX_SHORT_TEXT};
use columns::{COLUMNS, Kind, Source};
use compute::Unit;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/annex1", get(annex1))
        .route("/api/v1/reports/annex1/status", get(status))
        .route("/api/v1/reports/annex1/{unit}/entries", put(enter))
        .route("/api/v1/reports/annex1/{unit}/file", post(file))
}

fn wire_columns() -> Vec<Annex1Column> {
    COLUMNS
        .iter()
        .map(|c| Annex1Column {
            key: c.key.to_owned(),
            group: c.group.to_owned(),
            parent: c.parent.map(str::to_owned),
            heading: c.heading.to_owned(),
            kind: if c.kind == Kind::Number {
                "number"
            } else {
                "text"
            }
            .to_owned(),
            source: if c.source == Source::System {
                "system"
            } else {
                "entered"
            }
            .to_owned(),
        })
        .collect()
}

fn as_of_param(text: Option<&str>, state: &AppState) -> Result<NaiveDate> {
    match text.filter(|s| !s.is_empty()) {
        None => Ok(crate::rules::local_day::local_date(state.clock.now())),
        Some(d) => crate::rules::listing::query_date("as_of", d),
    }
}

/// The units a supervisor reads: the city's, all; a county supervisor's, their county.
async fn readable_units(state: &AppState, user: &CurrentUser) -> Result<Vec<Unit>> {
    user.require(&[Role::Supervisor])?;
    let all = compute::units(&state.db).await?;
    Ok(match &user.county_code {
        None => all,
        Some(c) => all
            .into_iter()
            .filter(|u| u.county() == Some(c.as_str()))
            .collect(),
    })
}

/// The unit `code` if `user` files for it (404 when it is not theirs to see).
async fn filing_unit(state: &AppState, user: &CurrentUser, code: &str) -> Result<Unit> {
    readable_units(state, user)
        .await?
        .into_iter()
        .find(|u| u.code() == code)
        .ok_or_else(|| ApiError::not_found("unit_not_found", "no filing unit with this code"))
}

async fn filing(
    state: &AppState,
    unit: &str,
    as_of: NaiveDate,
) -> Result<Option<(Annex1Filing, Value)>> {
    let row: Option<(String, chrono::DateTime<chrono::Utc>, Value)> = sqlx::query_as(
        "select filed_by_name, filed_at, row from annex1_filings where unit = $1 and as_of = $2",
    )
    .bind(unit)
    .bind(as_of)
    .fetch_optional(&state.db)
    .await?;
    Ok(row.map(|(filed_by_name, filed_at, row)| {
        (
            Annex1Filing {
                as_of,
                filed_by_name,
                filed_at,
            },
            row,
        )
    }))
}

/// A unit's row as it stands now (not as filed).
async fn live_row(state: &AppState, unit: &Unit, as_of: NaiveDate) -> Result<Annex1Row> {
    let end = crate::rules::local_day::local_midnight(as_of + chrono::Duration::days(1));
    let mut cells: BTreeMap<String, Annex1Cell> = COLUMNS
        .iter()
        .map(|c| {
            (
                c.key.to_owned(),
                Annex1Cell {
                    source: "missing".into(),
                    value: Value::Null,
                },
            )
        })
        .collect();
    for (key, value) in compute::system_cells(&state.db, unit, end).await? {
        cells.insert(
            key.to_owned(),
            Annex1Cell {
                source: "system".into(),
                value,
            },
        );
    }
    let entered: Vec<(String, Value)> = sqlx::query_as(
        "select distinct on (key) key, value from annex1_entries where unit = $1 and as_of = $2
         order by key, id desc",
    )
    .bind(unit.code())
    .bind(as_of)
    .fetch_all(&state.db)
    .await?;
    for (key, value) in entered {
        if columns::find(&key).is_some_and(|c| c.source == Source::Entered) {
            cells.insert(
                key,
                Annex1Cell {
                    source: "entered".into(),
                    value,
                },
            );
        }
    }
    Ok(Annex1Row {
        unit: unit.code().to_owned(),
        name: unit.name(),
        kind: unit.kind().to_owned(),
        filed: None,
        cells,
    })
}

/// A unit's row for the date: as filed if it was, else as it stands.
async fn row(state: &AppState, unit: &Unit, as_of: NaiveDate) -> Result<Annex1Row> {
    match filing(state, unit.code(), as_of).await? {
        Some((filed, frozen)) => {
            let mut row: Annex1Row = serde_json::from_value(frozen).map_err(anyhow::Error::from)?;
            row.filed = Some(filed);
            Ok(row)
        }
        None => live_row(state, unit, as_of).await,
    }
}

/// The sum of the units' numbers; the city station's people are already in its districts' rows.
fn total(rows: &[Annex1Row]) -> Annex1Row {
    let people = ["unidentified_over_10_days", "identified"];
    let cells = COLUMNS
        .iter()
        .map(|c| {
            let values: Vec<i64> = rows
                .iter()
                .filter(|r| !(r.kind == "city_station" && people.contains(&c.key)))
                .filter_map(|r| r.cells.get(c.key).and_then(|cell| cell.value.as_i64()))
                .collect();
            let cell = if c.kind == Kind::Number && !values.is_empty() {
                Annex1Cell {
                    source: "system".into(),
                    value: json!(values.iter().sum::<i64>()),
                }
            } else {
                Annex1Cell {
                    source: "missing".into(),
                    value: Value::Null,
                }
            };
            (c.key.to_owned(), cell)
        })
        .collect();
    Annex1Row {
        unit: "total".into(),
        name: "合计".into(),
        kind: "total".into(),
        filed: None,
        cells,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Annex1Query {
    /// The filing date, YYYY-MM-DD (local); default today. Records count up to its end.
    #[param(value_type = Option<chrono::NaiveDate>)]
    as_of: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    format: Option<String>,
}

/// Annex 1 for a date: a row per filing unit (a county supervisor: their county's) and, for the
/// city, the total; each cell `system`, `entered` or `missing` (supervisors).
#[utoipa::path(get, path = "/api/v1/reports/annex1", tag = "reports", security(("bearer" = [])), params(Annex1Query),
    responses((status = 200, description = "JSON (Annex1Report), CSV or XLSX", body = Annex1Report),
              (status = 400, description = "invalid_date, invalid_format", body = mobile_api::ErrorBody),
              (status = 403, body = mobile_api::ErrorBody)))]
pub async fn annex1(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<Annex1Query>,
) -> Result<Response> {
    let as_of = as_of_param(query.as_of.as_deref(), &state)?;
    let format = query
        .format
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("json");
    if !matches!(format, "json" | "csv" | "xlsx") {
        return Err(ApiError::bad_request(
            "invalid_format",
            "format is json, csv or xlsx",
        ));
    }
    let units = readable_units(&state, &user).await?;
    let mut rows = Vec::with_capacity(units.len() + 1);
    for unit in &units {
        rows.push(row(&state, unit, as_of).await?);
    }
    if user.county_code.is_none() {
        let sum = total(&rows);
        rows.push(sum);
    }
    let report = Annex1Report {
        as_of,
        generated_at: state.clock.now(),
        columns: wire_columns(),
        rows,
    };
    Ok(match format {
        "csv" => sheet::csv(&report)?.download("csv", &format!("annex1-{as_of}"))?,
        "xlsx" => sheet::xlsx_download(&report)?,
        _ => ApiJson(report).into_response(),
    })
}

fn may_file(user: &CurrentUser, unit: &Unit) -> Result<()> {
    match (&user.county_code, unit.county()) {
        (None, _) => Ok(()),
        (Some(mine), Some(its)) if mine == its => Ok(()),
        _ => Err(ApiError::forbidden(
            "a unit's figures are entered by its own supervisors or the city's",
        )),
    }
}

/// Type a unit's figures for a date (its county's supervisors, or the city's): numbers as whole
/// numbers, text as text; computed columns refuse. Every entry is kept.
#[utoipa::path(put, path = "/api/v1/reports/annex1/{unit}/entries", tag = "reports", security(("bearer" = [])),
    params(("unit" = String, Path)), request_body = Annex1Entries,
    responses((status = 200, body = Annex1Row),
              (status = 404, description = "unit_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "already_filed", body = mobile_api::ErrorBody),
              (status = 422, description = "invalid_value, unknown_column", body = mobile_api::ErrorBody)))]
pub async fn enter(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<Annex1Entries>,
) -> Result<ApiJson<Annex1Row>> {
    let unit = filing_unit(&state, &user, &code).await?;
    may_file(&user, &unit)?;
    if filing(&state, &code, body.as_of).await?.is_some() {
        return Err(ApiError::conflict(
            "already_filed",
            "this unit has filed for that date: its row is frozen",
        ));
    }
    let mut typed = Vec::new();
    for (key, value) in &body.values {
        let column = columns::find(key).ok_or_else(|| {
            ApiError::unprocessable("unknown_column", format!("no column {key:?}"))
        })?;
        if column.source == Source::System {
            return Err(ApiError::unprocessable(
                "invalid_value",
                format!("{key} is computed from the records"),
            ));
        }
        let ok = match column.kind {
            Kind::Number => value
                .as_i64()
                .is_some_and(|n| (0..=10_000_000).contains(&n)),
            Kind::Text => value.as_str().is_some_and(|t| t.chars().count() <= 2000),
        };
        if !ok {
            let want = if column.kind == Kind::Number {
                "a whole number, 0 or more"
            } else {
                "text of up to 2000 characters"
            };
            return Err(ApiError::unprocessable(
                "invalid_value",
                format!("{key} takes {want}"),
            ));
        }
        typed.push((key.clone(), value.clone()));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    for (key, value) in typed {
        sqlx::query(
            "insert into annex1_entries (unit, as_of, key, value, entered_by, entered_at) values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&code)
        .bind(body.as_of)
        .bind(key)
        .bind(value)
        .bind(user.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(ApiJson(live_row(&state, &unit, body.as_of).await?))
}

/// File a unit's row for a date: it is frozen as it stands, with 填表单位 and the signatory;
/// filing the same date again is 409.
#[utoipa::path(post, path = "/api/v1/reports/annex1/{unit}/file", tag = "reports", security(("bearer" = [])),
    params(("unit" = String, Path)), request_body = Annex1FileRequest,
    responses((status = 201, body = Annex1Row),
              (status = 404, description = "unit_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "already_filed", body = mobile_api::ErrorBody),
              (status = 422, description = "name_required", body = mobile_api::ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<Annex1FileRequest>,
) -> Result<(StatusCode, ApiJson<Annex1Row>)> {
    let unit = filing_unit(&state, &user, &code).await?;
    may_file(&user, &unit)?;
    let name = intake::text("filed_by_name", Some(body.filed_by_name), MAX_SHORT_TEXT)?
        .ok_or_else(|| ApiError::unprocessable("name_required", "say who files"))?;
    let row = live_row(&state, &unit, body.as_of).await?;
    let now = state.clock.now();
    let inserted = sqlx::query(
        "insert into annex1_filings (unit, as_of, filed_by_name, filed_by, filed_at, row)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
    )
    .bind(&code)
    .bind(body.as_of)
    .bind(&name)
    .bind(user.id)
    .bind(now)
    .bind(serde_json::to_value(&row).map_err(anyhow::Error::from)?)
    .execute(&state.db)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(ApiError::conflict(
            "already_filed",
            "this unit has filed for that date already",
        ));
    }
    ::tracing::info!(unit = %code, as_of = %body.as_of, "annex 1 filed");
    Ok((
        StatusCode::CREATED,
        ApiJson(self::row(&state, &unit, body.as_of).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// The filing date, YYYY-MM-DD; default today.
    #[param(value_type = Option<chrono::NaiveDate>)]
    as_of: Option<String>,
}

/// Which units have filed for a date (supervisors; a county supervisor: their county).
#[utoipa::path(get, path = "/api/v1/reports/annex1/status", tag = "reports", security(("bearer" = [])), params(StatusQuery),
    responses((status = 200, body = Annex1Status), (status = 400, description = "invalid_date", body = mobile_api::ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<StatusQuery>,
) -> Result<ApiJson<Annex1Status>> {
    let as_of = as_of_param(query.as_of.as_deref(), &state)?;
    let mut units = Vec::new();
    for unit in readable_units(&state, &user).await? {
        units.push(Annex1UnitStatus {
            unit: unit.code().to_owned(),
            name: unit.name(),
            kind: unit.kind().to_owned(),
            filed: filing(&state, unit.code(), as_of).await?.map(|(f, _)| f),
        });
    }
    Ok(ApiJson(Annex1Status { as_of, units }))
}
