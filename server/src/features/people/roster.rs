//! The register's roster a county sends its townships (花名册通报给乡镇), as CSV and XLSX.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use mobile_api::Role;
use serde::Deserialize;

use super::db;
use super::register::township_exists;
use crate::features::audit::{self, Kind};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::Result;
use crate::plumbing::extract::ApiQuery;
use crate::plumbing::state::AppState;
use crate::rules::sheet::Table;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/register.csv", get(roster_csv))
        .route("/api/v1/register.xlsx", get(roster_xlsx))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    /// A township's nine-digit code; all townships in scope when absent.
    township_code: Option<String>,
}

/// The roster, logged as shown through `via` (the download's own path).
async fn roster(
    state: &AppState,
    user: &CurrentUser,
    query: &RosterQuery,
    via: &str,
) -> Result<Table> {
    user.require(&[Role::Supervisor, Role::Duty, Role::Liaison])?;
    let township = query.township_code.as_deref().filter(|s| !s.is_empty());
    if let Some(code) = township {
        township_exists(state, code).await?;
    }
    let reader = super::reader(state, user);
    let rows = db::register::roster(&state.db, &reader, township).await?;
    audit::shown_to(
        state,
        user,
        Kind::Person,
        rows.iter().map(|r| r.person_id),
        via,
    )
    .await?;
    let every = state.settings.revisit_every();
    let day = |t: DateTime<Utc>| crate::rules::local_day::local_date(t).to_string();
    Ok(Table {
        title: "易流浪走失人员花名册".to_owned(),
        columns: vec![
            ("township_code", "乡镇（街道）代码"),
            ("township", "乡镇（街道）"),
            ("village", "村（社区）"),
            ("name", "姓名"),
            ("alias", "别名"),
            ("sex", "性别"),
            ("birth_year", "出生年份"),
            ("age_estimate", "估计年龄"),
            ("id_number", "身份证号"),
            ("home_address", "户籍地址"),
            ("reason", "登记原因"),
            ("registered_on", "登记日期"),
            ("last_revisit", "最近回访"),
            ("next_revisit_due", "下次回访"),
        ],
        rows: rows
            .into_iter()
            .map(|r| {
                let sex = match r.sex.as_str() {
                    "male" => "男",
                    "female" => "女",
                    _ => "不详",
                };
                vec![
                    r.township_code,
                    r.township,
                    r.village.unwrap_or_default(),
                    r.name.unwrap_or_default(),
                    r.alias.unwrap_or_default(),
                    sex.to_owned(),
                    r.birth_year.map(|y| y.to_string()).unwrap_or_default(),
                    r.age_estimate.map(|a| a.to_string()).unwrap_or_default(),
                    r.id_number.unwrap_or_default(),
                    r.home_address.unwrap_or_default(),
                    r.reason,
                    day(r.registered_at),
                    r.last_at.map(day).unwrap_or_default(),
                    day(r.last_at.unwrap_or(r.registered_at) + every),
                ]
            })
            .collect(),
    })
}

/// The register's roster for townships (花名册通报给乡镇), CSV with English keys.
#[utoipa::path(get, path = "/api/v1/register.csv", tag = "people", security(("bearer" = [])), params(RosterQuery),
    responses((status = 200, description = "text/csv", content_type = "text/csv"),
              (status = 422, description = "unknown_township", body = mobile_api::ErrorBody)))]
pub async fn roster_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<RosterQuery>,
) -> Result<Response> {
    Ok(roster(&state, &user, &query, "/api/v1/register.csv")
        .await?
        .download("csv", "register")?)
}

/// The same roster as XLSX with Chinese headings.
#[utoipa::path(get, path = "/api/v1/register.xlsx", tag = "people", security(("bearer" = [])), params(RosterQuery),
    responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn roster_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<RosterQuery>,
) -> Result<Response> {
    Ok(roster(&state, &user, &query, "/api/v1/register.xlsx")
        .await?
        .download("xlsx", "register")?)
}
