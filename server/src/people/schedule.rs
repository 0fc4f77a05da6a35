//! The revisit schedule of register and ledger entries: what is due and overdue, and the push of
//! a revisit overdue to the township's liaisons and the county's supervisors, once per due date.

use axum::extract::State;
use chrono::{DateTime, Utc};
use mobile_api::{DueRevisit, DueRevisitList};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::db;
use crate::audit::{self, db::Kind};
use crate::auth::CurrentUser;
use crate::error::Result;
use crate::extract::{ApiJson, ApiQuery};
use crate::push::outbox::{self, Audience};
use crate::state::AppState;

/// Every schedule of revisits (open register and ledger entries) with its next due time, as
/// `schedule, entry_id, person_id, township_code, starts_at, last_at, due_at, pushed_for`,
/// a revisit due every `days`.
pub(crate) fn push_schedules(qb: &mut db::Builder, days: i32) {
    qb.push(
        "with sc as (
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
    select last.*, coalesce(last.last_at, last.starts_at) + make_interval(days => ",
    )
    .push_bind(days)
    .push(") as due_at from last");
}

fn revisit_days(state: &AppState) -> i32 {
    i32::try_from(state.settings.revisit_days).unwrap_or(60)
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
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// A local date (YYYY-MM-DD): revisits due before its end; default: overdue now.
    #[param(value_type = Option<chrono::NaiveDate>)]
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
            let day = crate::listing::query_date("before", d)?;
            crate::campaigns::season::local_midnight(day + chrono::Duration::days(1))
        }
    };
    let reader = super::reader(&state, &user);
    let mut qb = db::Builder::new(
        "select s.schedule, s.entry_id, s.person_id, p.name, s.township_code, t.name as township, s.last_at, s.due_at
         from (",
    );
    push_schedules(&mut qb, revisit_days(&state));
    qb.push(
        ") s join people p on p.id = s.person_id left join townships t on t.code = s.township_code
         where s.due_at < ",
    )
    .push_bind(before)
    .push(" and ");
    reader.push_condition(&mut qb);
    if let Some(township) = reader.township() {
        qb.push(" and s.township_code = ")
            .push_bind(township.to_owned());
    }
    qb.push(" order by s.due_at, s.entry_id");
    let rows: Vec<DueRow> = qb.build_query_as().fetch_all(&state.db).await?;
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
    let mut qb = db::Builder::new(
        "select s.schedule, s.entry_id, s.township_code, t.name as township,
                t.county_code as county, s.due_at
         from (",
    );
    push_schedules(&mut qb, revisit_days(state));
    qb.push(") s left join townships t on t.code = s.township_code where s.due_at < ")
        .push_bind(now)
        .push(" and s.pushed_for is distinct from s.due_at order by s.due_at limit 200");
    let due: Vec<Overdue> = qb.build_query_as().fetch_all(&mut *tx).await?;
    let mut queued = 0;
    for d in &due {
        let register = d.schedule == "register";
        if !db::claim_overdue_push(&mut tx, register, d.entry_id, d.due_at).await? {
            continue;
        }
        let local = d.due_at.with_timezone(&chrono_tz::Asia::Shanghai);
        // A lock screen and a group chat learn that a revisit in the township is late, not whose.
        let payload = json!({
            "type": "revisit_overdue",
            "title": "回访逾期 Revisit overdue",
            "body": format!("{} · 应于 {} 前回访", d.township.as_deref().unwrap_or("-"), local.format("%Y-%m-%d")),
            "url": "/console/#/revisits",
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
