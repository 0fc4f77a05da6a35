//! The revisit schedule of register and ledger entries: what is due and overdue, and the push of
//! a revisit overdue to the township's liaisons and the county's supervisors, once per due date.

use axum::extract::State;
use mobile_api::{DueRevisit, DueRevisitList};
use serde::Deserialize;
use serde_json::json;

use super::db;
use crate::features::audit::{self, Kind};
use crate::features::auth::CurrentUser;
use crate::features::push::{self, Audience};
use crate::plumbing::error::Result;
use crate::plumbing::extract::{ApiJson, ApiQuery};
use crate::plumbing::state::AppState;

fn revisit_days(state: &AppState) -> i32 {
    i32::try_from(state.settings.revisit_days).unwrap_or(60)
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
            let day = crate::rules::listing::query_date("before", d)?;
            crate::rules::local_day::local_midnight(day + chrono::Duration::days(1))
        }
    };
    let reader = super::reader(&state, &user);
    let rows = db::schedules::due(&state.db, &reader, before, revisit_days(&state)).await?;
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

/// Push each revisit that became overdue to the township's liaisons and the county's
/// supervisors, once per due date. Returns the notifications queued.
pub async fn push_overdue(state: &AppState) -> anyhow::Result<u64> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let due = db::schedules::overdue(&mut tx, now, revisit_days(state)).await?;
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
        queued += push::enqueue_untied(&mut tx, &audience, &payload, now).await?;
        ::tracing::info!(entry_id = %d.entry_id, schedule = %d.schedule, "revisit overdue: pushed");
    }
    tx.commit().await?;
    Ok(queued)
}
