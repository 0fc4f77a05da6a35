//! The at-risk register (易流浪走失人员信息库) and revisits: a registered person is visited every
//! `XUNJIU_REVISIT_DAYS` (counted from registration or the last revisit) until a supervisor ends
//! the entry, no sooner than `XUNJIU_REVISIT_PERIOD_DAYS` after it began. Returnee-ledger
//! entries keep the same schedule. A revisit overdue is pushed to the township's liaisons and
//! the county's supervisors, once per due date. A revisit that finds the person wandering again
//! raises a referral.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::{
    DueRevisit, DueRevisitList, EndSchedule, NewRegisterEntry, NewRevisit, RegisterEntry, Revisit,
    RevisitOutcome, Role,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::db::{self, Reader};
use super::find;
use crate::audit::{self, db::Kind};
use crate::auth::CurrentUser;
use crate::error::{ApiError, Result};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::idempotent::{self, Fingerprint};
use crate::intake::{self, MAX_SHORT_TEXT, MAX_TEXT};
use crate::push::outbox::{self, Audience};
use crate::referrals::db as referral_db;
use crate::routing::GeoPoint;
use crate::sheet::Table;
use crate::state::AppState;
use crate::wire;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/people/{id}/register", post(register))
        .route("/api/v1/people/{id}/register/end", post(end_register))
        .route("/api/v1/people/{id}/revisits", post(record_revisit))
        .route("/api/v1/revisits/due", get(due_revisits))
        .route("/api/v1/register.csv", get(roster_csv))
        .route("/api/v1/register.xlsx", get(roster_xlsx))
}

/// Every schedule of revisits (open register and ledger entries) with its next due time, as
/// `schedule, entry_id, person_id, township_code, starts_at, last_at, due_at, pushed_for`;
/// `$5` is the interval in days.
const SCHEDULES: &str = "with sc as (
        select 'register' as schedule, e.id as entry_id, e.person_id, e.township_code,
               e.registered_at as starts_at, e.overdue_pushed_for as pushed_for
        from register_entries e where e.ended_at is null
        union all
        select 'return', x.id, x.person_id, x.township_code,
               (x.returned_on::timestamp at time zone 'Asia/Shanghai'), x.overdue_pushed_for
        from returns x where x.ended_at is null
    ), last as (
        select sc.*, (select max(v.at) from revisits v where v.person_id = sc.person_id and v.at >= sc.starts_at) as last_at
        from sc
    )
    select last.*, coalesce(last.last_at, last.starts_at) + make_interval(days => $5) as due_at from last";

async fn township_exists(state: &AppState, code: &str) -> Result<()> {
    let known: bool = sqlx::query_scalar("select exists (select 1 from townships where code = $1)")
        .bind(code)
        .fetch_one(&state.db)
        .await?;
    known.then_some(()).ok_or_else(|| {
        ApiError::unprocessable(
            "unknown_township",
            "township_code is not a township of Tai'an (GET /api/v1/townships)",
        )
    })
}

#[derive(Debug, sqlx::FromRow)]
struct EntryRow {
    id: Uuid,
    reason: String,
    township_code: String,
    township: String,
    village: Option<String>,
    registered_at: DateTime<Utc>,
    registered_by: String,
    ended_at: Option<DateTime<Utc>>,
    end_reason: Option<String>,
    last_at: Option<DateTime<Utc>>,
}

/// A person's register entries, oldest first.
pub async fn entries(state: &AppState, person: Uuid) -> Result<Vec<RegisterEntry>> {
    let rows: Vec<EntryRow> = sqlx::query_as(
        "select e.id, e.reason, e.township_code, t.name as township, e.village, e.registered_at,
                u.username as registered_by, e.ended_at, e.end_reason,
                (select max(v.at) from revisits v where v.person_id = e.person_id and v.at >= e.registered_at) as last_at
         from register_entries e join townships t on t.code = e.township_code
         join users u on u.id = e.registered_by
         where e.person_id = $1 order by e.registered_at, e.id",
    )
    .bind(person)
    .fetch_all(&state.db)
    .await?;
    let every = state.settings.revisit_every();
    let period = state.settings.revisit_period();
    Ok(rows
        .into_iter()
        .map(|r| RegisterEntry {
            next_revisit_due: r
                .ended_at
                .is_none()
                .then(|| r.last_at.unwrap_or(r.registered_at) + every),
            may_end_from: r.registered_at + period,
            id: r.id,
            reason: r.reason,
            township_code: r.township_code,
            township: r.township,
            village: r.village,
            registered_at: r.registered_at,
            registered_by: r.registered_by,
            ended_at: r.ended_at,
            end_reason: r.end_reason,
        })
        .collect())
}

/// Put a person on the at-risk register (supervisors, duty officers in scope); revisits are due
/// from now on.
#[utoipa::path(post, path = "/api/v1/people/{id}/register", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewRegisterEntry,
    responses((status = 201, body = RegisterEntry), (status = 404, description = "person_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "already_registered", body = mobile_api::ErrorBody),
              (status = 422, description = "unknown_township, reason_required", body = mobile_api::ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewRegisterEntry>,
) -> Result<(StatusCode, ApiJson<RegisterEntry>)> {
    user.require(&[Role::Supervisor, Role::Duty])?;
    find(&state, &user, id).await?;
    let reason = intake::text("reason", Some(body.reason), MAX_TEXT)?.ok_or_else(|| {
        ApiError::unprocessable("reason_required", "say why the person is registered")
    })?;
    let village = intake::text("village", body.village, MAX_SHORT_TEXT)?;
    township_exists(&state, &body.township_code).await?;
    let now = state.clock.now();
    let entry = Uuid::new_v4();
    let mut tx = state.db.begin().await?;
    let inserted = sqlx::query(
        "insert into register_entries (id, person_id, reason, township_code, village, registered_by, registered_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (person_id) where ended_at is null do nothing",
    )
    .bind(entry)
    .bind(id)
    .bind(&reason)
    .bind(&body.township_code)
    .bind(&village)
    .bind(user.id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(ApiError::conflict(
            "already_registered",
            "the person is on the register already",
        ));
    }
    db::event(
        &mut tx,
        id,
        "registered",
        Some(user.id),
        now,
        json!({ "township_code": body.township_code }),
    )
    .await?;
    tx.commit().await?;
    let entry = entries(&state, id)
        .await?
        .into_iter()
        .find(|e| e.id == entry)
        .ok_or_else(|| anyhow::anyhow!("register entry vanished"))?;
    Ok((StatusCode::CREATED, ApiJson(entry)))
}

/// End a person's register entry with a reason (supervisors in scope), once its period is over.
#[utoipa::path(post, path = "/api/v1/people/{id}/register/end", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = EndSchedule,
    responses((status = 200, body = RegisterEntry), (status = 404, description = "person_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "not_registered", body = mobile_api::ErrorBody),
              (status = 422, description = "too_early_to_end, reason_required", body = mobile_api::ErrorBody)))]
pub async fn end_register(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<EndSchedule>,
) -> Result<ApiJson<RegisterEntry>> {
    user.require(&[Role::Supervisor])?;
    find(&state, &user, id).await?;
    let reason = intake::text("reason", Some(body.reason), MAX_TEXT)?
        .ok_or_else(|| ApiError::unprocessable("reason_required", "say why the entry ends"))?;
    let now = state.clock.now();
    let open = entries(&state, id)
        .await?
        .into_iter()
        .find(|e| e.ended_at.is_none())
        .ok_or_else(|| {
            ApiError::conflict("not_registered", "the person has no open register entry")
        })?;
    if now < open.may_end_from {
        return Err(ApiError::unprocessable(
            "too_early_to_end",
            format!(
                "revisits run for at least {} days from registration",
                state.settings.revisit_period_days
            ),
        ));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("update register_entries set ended_at = $2, ended_by = $3, end_reason = $4 where id = $1 and ended_at is null")
        .bind(open.id)
        .bind(now)
        .bind(user.id)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
    db::event(&mut tx, id, "register_ended", Some(user.id), now, json!({})).await?;
    tx.commit().await?;
    let entry = entries(&state, id)
        .await?
        .into_iter()
        .find(|e| e.id == open.id)
        .ok_or_else(|| anyhow::anyhow!("register entry vanished"))?;
    Ok(ApiJson(entry))
}

#[derive(Debug, sqlx::FromRow)]
struct RevisitRow {
    id: Uuid,
    person_id: Uuid,
    at: DateTime<Utc>,
    outcome: String,
    note: Option<String>,
    recorded_by: String,
    recorded_by_id: Uuid,
    referral_id: Option<Uuid>,
    request_hash: Vec<u8>,
}

const REVISIT_SELECT: &str =
    "select v.id, v.person_id, v.at, v.outcome, v.note, u.username as recorded_by,
        v.recorded_by as recorded_by_id, v.referral_id, v.request_hash
    from revisits v join users u on u.id = v.recorded_by";

fn revisit_to_wire(r: RevisitRow) -> anyhow::Result<Revisit> {
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
    let rows: Vec<RevisitRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{REVISIT_SELECT} where v.person_id = $1 order by v.at, v.id"
    )))
    .bind(person)
    .fetch_all(&state.db)
    .await?;
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
    let inserted = sqlx::query(
        "insert into revisits (id, person_id, at, outcome, note, recorded_by, recorded_at, request_hash)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (id) do nothing",
    )
    .bind(body.id)
    .bind(id)
    .bind(at)
    .bind(&outcome)
    .bind(&note)
    .bind(user.id)
    .bind(now)
    .bind(&hash)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
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
            sqlx::query("update revisits set referral_id = $2 where id = $1")
                .bind(body.id)
                .bind(referral)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    let row: RevisitRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{REVISIT_SELECT} where v.id = $1"
    )))
    .bind(body.id)
    .fetch_one(&state.db)
    .await?;
    // The hash covers the person: the same id for another person is a conflict.
    let stored =
        (!inserted).then(|| Fingerprint::new(row.recorded_by_id, row.request_hash.clone()));
    let status = idempotent::status(stored.as_ref(), &Fingerprint::new(user.id, hash), "revisit")?;
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
    let place: Option<(String, String, Option<String>, f64, f64)> = sqlx::query_as(
        "select t.code, t.name, e.village, st_y(p.pt), st_x(p.pt)
         from (select township_code, village, registered_at as at from register_entries
               where person_id = $1 and ended_at is null
               union all
               select township_code, null, created_at from returns
               where person_id = $1 and ended_at is null and township_code is not null) e
         join townships t on t.code = e.township_code
         join areas a on a.code = t.county_code,
         lateral (select st_pointonsurface(a.boundary) as pt) p
         order by e.at desc limit 1",
    )
    .bind(person)
    .fetch_optional(&mut *tx)
    .await?;
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
    let report = referral_db::Report {
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
    let row = referral_db::NewRow::routed(
        report,
        mobile_api::Priority::Normal,
        routed.placement(),
        &state.settings,
        now,
    );
    let role = wire::name(&user.role);
    let creator = referral_db::Creator {
        user_id: Some(user.id),
        partner_id: None,
        role: &role,
        received_at: now,
    };
    referral_db::insert_new(&mut *tx, creator, std::slice::from_ref(&row)).await?;
    sqlx::query("update referrals set person_id = $2 where id = $1")
        .bind(id)
        .bind(person)
        .execute(&mut *tx)
        .await?;
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

#[derive(Debug, sqlx::FromRow)]
struct DueRow {
    schedule: String,
    entry_id: Uuid,
    person_id: Uuid,
    name: Option<String>,
    township_code: Option<String>,
    township: Option<String>,
    last_at: Option<DateTime<Utc>>,
    due_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DueQuery {
    /// A local date (YYYY-MM-DD): revisits due before its end; default: overdue now.
    before: Option<String>,
}

/// Revisits overdue, and due before `before`, in the reader's scope (a liaison's township, a
/// county, a station's people, the city), soonest first.
#[utoipa::path(get, path = "/api/v1/revisits/due", tag = "people", security(("bearer" = [])), params(DueQuery),
    responses((status = 200, body = DueRevisitList), (status = 400, description = "invalid_date", body = mobile_api::ErrorBody)))]
pub async fn due_revisits(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<DueQuery>,
) -> Result<ApiJson<DueRevisitList>> {
    let now = state.clock.now();
    let before = match query.before.as_deref().filter(|s| !s.is_empty()) {
        None => now,
        Some(d) => {
            let day = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request("invalid_date", "before is a date, YYYY-MM-DD")
            })?;
            crate::campaigns::season::local_midnight(day + chrono::Duration::days(1))
        }
    };
    let reader = Reader::of(&user);
    let township_only = match &reader.scope {
        db::PersonScope::Township(_) => "and s.township_code = $3",
        _ => "",
    };
    let sql = format!(
        "select s.schedule, s.entry_id, s.person_id, p.name, s.township_code, t.name as township, s.last_at, s.due_at
         from ({SCHEDULES}) s join people p on p.id = s.person_id left join townships t on t.code = s.township_code
         where s.due_at < $6 and {} {township_only}
         order by s.due_at, s.entry_id",
        reader.condition()
    );
    let rows: Vec<DueRow> = reader
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), now)
        .bind(i32::try_from(state.settings.revisit_days).unwrap_or(60))
        .bind(before)
        .fetch_all(&state.db)
        .await?;
    audit::shown_to(
        &state,
        &user,
        Kind::Person,
        rows.iter().map(|r| r.person_id),
        "/api/v1/revisits/due",
    )
    .await?;
    Ok(ApiJson(DueRevisitList {
        revisits: rows
            .into_iter()
            .map(|r| DueRevisit {
                overdue: r.due_at < now,
                person_id: r.person_id,
                name: r.name,
                schedule: r.schedule,
                entry_id: r.entry_id,
                township_code: r.township_code,
                township: r.township,
                due_at: r.due_at,
                last_revisit_at: r.last_at,
            })
            .collect(),
    }))
}

#[derive(Debug, sqlx::FromRow)]
struct Overdue {
    schedule: String,
    entry_id: Uuid,
    person_id: Uuid,
    township_code: Option<String>,
    township: Option<String>,
    county: Option<String>,
    due_at: DateTime<Utc>,
}

/// Push each revisit that became overdue to the township's liaisons and the county's
/// supervisors, once per due date. Returns the notifications queued.
pub async fn push_overdue(state: &AppState) -> anyhow::Result<u64> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let due: Vec<Overdue> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select s.schedule, s.entry_id, s.person_id, s.township_code, t.name as township,
                t.county_code as county, s.due_at
         from ({}) s left join townships t on t.code = s.township_code
         where s.due_at < $1 and s.pushed_for is distinct from s.due_at
         order by s.due_at limit 200",
        SCHEDULES.replace("$5", "$2")
    )))
    .bind(now)
    .bind(i32::try_from(state.settings.revisit_days).unwrap_or(60))
    .fetch_all(&mut *tx)
    .await?;
    let mut queued = 0;
    for d in &due {
        let table = if d.schedule == "register" {
            "register_entries"
        } else {
            "returns"
        };
        // Taken under a row lock: a second server skips what this one is pushing.
        let claimed = sqlx::query(sqlx::AssertSqlSafe(format!(
            "update {table} set overdue_pushed_for = $2 where id = $1
               and overdue_pushed_for is distinct from $2
               and id in (select id from {table} where id = $1 for update skip locked)"
        )))
        .bind(d.entry_id)
        .bind(d.due_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            continue;
        }
        let local = d.due_at.with_timezone(&chrono_tz::Asia::Shanghai);
        let payload = json!({
            "type": "revisit_overdue", "person_id": d.person_id,
            "title": "回访逾期 Revisit overdue",
            "body": format!("{} · 应于 {} 前回访", d.township.as_deref().unwrap_or("-"), local.format("%Y-%m-%d")),
            "url": format!("/console/#/people/{}", d.person_id),
        });
        let audience = Audience {
            liaisons_of: d.township_code.clone(),
            county_supervisors_of: d.county.clone(),
            ..Audience::default()
        };
        queued += outbox::enqueue_untied(&mut tx, &audience, &payload, now).await?;
        ::tracing::info!(entry_id = %d.entry_id, schedule = %d.schedule, "revisit overdue: pushed");
    }
    tx.commit().await?;
    Ok(queued)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RosterQuery {
    /// A township's nine-digit code; all townships in scope when absent.
    township_code: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
struct RosterRow {
    person_id: Uuid,
    township_code: String,
    township: String,
    village: Option<String>,
    name: Option<String>,
    alias: Option<String>,
    sex: String,
    birth_year: Option<i32>,
    age_estimate: Option<i32>,
    id_number: Option<String>,
    home_address: Option<String>,
    reason: String,
    registered_at: DateTime<Utc>,
    last_at: Option<DateTime<Utc>>,
}

async fn roster(state: &AppState, user: &CurrentUser, query: &RosterQuery) -> Result<Table> {
    user.require(&[Role::Supervisor, Role::Duty, Role::Liaison])?;
    let township = query.township_code.as_deref().filter(|s| !s.is_empty());
    if let Some(code) = township {
        township_exists(state, code).await?;
    }
    let reader = Reader::of(user);
    let township_only = match &reader.scope {
        db::PersonScope::Township(_) => "and e.township_code = $3",
        _ => "",
    };
    let sql = format!(
        "select p.id as person_id, e.township_code, t.name as township, e.village, p.name, p.alias, p.sex,
                p.birth_year, p.age_estimate,
                case when $1 or p.id_number is null then p.id_number
                     else left(p.id_number, 4) || repeat('*', 10) || right(p.id_number, 4) end as id_number,
                p.home_address, e.reason, e.registered_at,
                (select max(v.at) from revisits v where v.person_id = p.id and v.at >= e.registered_at) as last_at
         from register_entries e join people p on p.id = e.person_id join townships t on t.code = e.township_code
         where e.ended_at is null and ($5::text is null or e.township_code = $5) and {} {township_only}
         order by e.township_code, e.registered_at, p.id",
        reader.condition()
    );
    let rows: Vec<RosterRow> = reader
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), state.clock.now())
        .bind(township)
        .fetch_all(&state.db)
        .await?;
    audit::shown_to(
        state,
        user,
        Kind::Person,
        rows.iter().map(|r| r.person_id),
        "/api/v1/register.csv",
    )
    .await?;
    let every = state.settings.revisit_every();
    let day = |t: DateTime<Utc>| crate::campaigns::season::local_date(t).to_string();
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
    Ok(roster(&state, &user, &query)
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
    Ok(roster(&state, &user, &query)
        .await?
        .download("xlsx", "register")?)
}
