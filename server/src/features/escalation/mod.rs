//! Deadlines that bite. A referral not accepted in time, or not reached in time, is escalated:
//! level 1 tells the station's duty officers and the county's supervisors, level 2 (one more
//! period later) the city's. Works from database state only, under row locks with SKIP LOCKED,
//! so a restart loses nothing and two workers never escalate the same step twice.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use mobile_api::Priority;
use uuid::Uuid;

mod db;

use db::Due;

use crate::features::push::{self, Audience};
use crate::features::referrals::{self, NewEvent};
use crate::plumbing::state::AppState;
use crate::rules::wire;

/// Which deadline was missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Accept,
    Scene,
    /// An urgent referral that no alert channel (robot, SMS) could reach.
    Unreached,
}

/// The level a missed deadline has reached by `now`: 1 once past it, 2 one more period later.
fn level_due(deadline: DateTime<Utc>, period: Duration, now: DateTime<Utc>) -> i16 {
    if now >= deadline + period {
        2
    } else if now >= deadline {
        1
    } else {
        0
    }
}

/// One pass: escalate everything overdue as of the state's clock. Returns the events written.
pub async fn run_once(state: &AppState) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let due = db::overdue(&mut tx, now)
        .await
        .context("finding overdue referrals")?;

    let mut written = 0;
    for r in &due {
        let priority: Priority = wire::parse(&r.priority)?;
        let (stage, deadline, period, current) = if r.status == "routed" {
            (
                Stage::Accept,
                r.accept_by,
                state.settings.accept_within(priority),
                r.accept_escalation,
            )
        } else {
            (
                Stage::Scene,
                r.on_scene_by,
                state.settings.scene_within(priority),
                r.scene_escalation,
            )
        };
        let target = level_due(deadline, period, now);
        for level in (current + 1)..=target {
            escalate(&mut tx, r, stage, level, now).await?;
            written += 1;
        }
        if target > current {
            db::set_level(&mut tx, r.id, stage == Stage::Accept, target).await?;
        }
    }
    tx.commit().await?;
    Ok(written)
}

async fn escalate(
    tx: &mut sqlx::PgConnection,
    r: &Due,
    stage: Stage,
    level: i16,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let what = match stage {
        Stage::Accept => "not accepted in time",
        Stage::Scene => "not reached in time",
        Stage::Unreached => "every alert channel of the station failed",
    };
    let told = if level == 1 {
        "station duty officers and county supervisors told"
    } else {
        "city supervisors told"
    };
    let note = format!("level {level}: {what}; {told}");
    referrals::append_event(
        tx,
        &NewEvent {
            referral_id: r.id,
            kind: "escalated",
            actor_id: None,
            actor_role: "system",
            station_code: Some(&r.station_code),
            from_status: None,
            to_status: None,
            note: Some(&note),
            at: now,
            location: None,
            target_station: None,
            outcome: None,
        },
    )
    .await?;
    let audience = if level == 1 {
        Audience {
            duty_stations: vec![r.station_code.clone(), r.accountable_station.clone()],
            county_supervisors_of: r.area_code.clone(),
            ..Audience::default()
        }
    } else {
        Audience {
            city_supervisors: true,
            ..Audience::default()
        }
    };
    let title = format!("超时升级 Escalation (level {level})");
    let payload = push::payload(
        "escalated",
        r.id,
        &r.station_code,
        &r.priority,
        &title,
        &note,
    );
    push::enqueue(tx, &audience, r.id, &payload, now).await?;
    tracing::warn!(referral_id = %r.id, station = %r.station_code, level, stage = ?stage, "referral escalated");
    Ok(())
}

/// Escalate an urgent referral at once when no alert channel reached its station (level 1, as
/// for a missed acceptance, which then does not repeat it); nothing if it was accepted,
/// linked or escalated meanwhile.
pub async fn escalate_unreached(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let due = db::lock_unreached(&mut *tx, id).await?;
    let Some(r) = due else { return Ok(false) };
    escalate(tx, &r, Stage::Unreached, 1, now).await?;
    db::set_level(&mut *tx, id, true, 1).await?;
    Ok(true)
}

/// A pass that failed is logged and tried again on the next round.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_escalates_once_past_and_again_one_period_later() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let ten = Duration::minutes(10);

        assert_eq!(level_due(t, ten, t - Duration::seconds(1)), 0);
        assert_eq!(level_due(t, ten, t), 1);
        assert_eq!(level_due(t, ten, t + ten - Duration::seconds(1)), 1);
        assert_eq!(level_due(t, ten, t + ten), 2);
    }
}
