//! Keeping personal data no longer than needed (PIPL art. 19, 47): a worker in `serve` redacts
//! the personal fields of referrals ended, sightings and incidents made, and people last seen
//! more than `XUNJIU_RETENTION_DAYS` ago (with their register, ledger, revisit and tracing
//! notes), blanks decided proposals' notes, drops positions kept in their original datum and
//! the bodies of alert-channel messages after 30 days, and deletes sessions, login failures and
//! push rows that have served their purpose; `xunjiu erase` redacts a record, or a person and
//! every report linked to them, at once on request. Counts, times, places, categories and
//! outcomes stay, so reports, Annex 1 and heat-maps do not change.

pub mod db;

use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::plumbing::state::AppState;

/// How often the worker looks for what is due.
const INTERVAL: StdDuration = StdDuration::from_secs(600);
/// Rows redacted per statement, so one pass never holds many locks for long.
const BATCH: i64 = 500;
/// Expired or revoked sessions, and old login failures, are kept this long (for incident work).
const SESSIONS_KEPT_DAYS: i64 = 30;
/// Delivered or abandoned push notifications are kept this long.
const PUSH_KEPT_DAYS: i64 = 7;
/// Bodies of messages sent to DingTalk, WeCom and SMS are kept this long.
const CHANNEL_MESSAGES_KEPT_DAYS: i64 = 30;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub referrals: u64,
    pub sightings: u64,
    pub incidents: u64,
    pub people: u64,
    pub proposal_notes: u64,
    pub position_originals: u64,
    pub channel_messages: u64,
    pub sessions: u64,
    pub login_failures: u64,
    pub push_rows: u64,
}

/// One pass as of the state's clock: redact everything due, then clean up.
pub async fn run_once(state: &AppState) -> anyhow::Result<Pass> {
    let now = state.clock.now();
    let cutoff = now - Duration::days(i64::from(state.settings.retention_days));
    let reason = format!(
        "retention: personal fields kept {} days",
        state.settings.retention_days
    );
    let mut pass = Pass::default();
    for due in [db::Due::Referrals, db::Due::Sightings] {
        loop {
            let n = db::redact_due(&state.db, due, cutoff, now, &reason, BATCH)
                .await
                .with_context(|| format!("redacting {due:?}"))?;
            match due {
                db::Due::Referrals => pass.referrals += n,
                db::Due::Sightings => pass.sightings += n,
            }
            if n < BATCH as u64 {
                break;
            }
        }
    }
    pass.incidents = db::redact_incidents(&state.db, cutoff, now).await?;
    loop {
        let mut tx = state.db.begin().await?;
        let due = db::people_due(&mut tx, cutoff, BATCH).await?;
        let n = db::redact_people(&mut tx, &due, now, &reason)
            .await
            .context("redacting people")?;
        tx.commit().await?;
        pass.people += n;
        if n < BATCH as u64 {
            break;
        }
    }
    pass.proposal_notes = db::redact_proposal_notes(&state.db, cutoff).await?;
    pass.position_originals = db::delete_position_originals(&state.db, cutoff).await?;
    pass.channel_messages =
        db::redact_channel_messages(&state.db, now - Duration::days(CHANNEL_MESSAGES_KEPT_DAYS))
            .await?;
    let kept = now - Duration::days(SESSIONS_KEPT_DAYS);
    pass.sessions = db::delete_old_sessions(&state.db, kept).await?;
    pass.login_failures = db::delete_old_login_failures(&state.db, kept).await?;
    pass.push_rows =
        db::delete_finished_pushes(&state.db, now - Duration::days(PUSH_KEPT_DAYS)).await?;
    Ok(pass)
}

/// Run [`run_once`] every ten minutes for as long as the server runs.
pub async fn run(state: AppState) {
    loop {
        match run_once(&state).await {
            Ok(p) if p != Pass::default() => tracing::info!(
                referrals = p.referrals,
                sightings = p.sightings,
                incidents = p.incidents,
                people = p.people,
                proposal_notes = p.proposal_notes,
                position_originals = p.position_originals,
                channel_messages = p.channel_messages,
                sessions = p.sessions,
                login_failures = p.login_failures,
                push_rows = p.push_rows,
                "retention pass"
            ),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = format!("{err:#}"), "retention pass failed"),
        }
        tokio::time::sleep(INTERVAL).await;
    }
}

/// A record to erase at once.
#[derive(Debug, Clone, Copy)]
pub enum Record {
    Referral(Uuid),
    Sighting(Uuid),
    /// A person's record, register and ledger entries, revisits and tracing steps, and every
    /// report linked to them.
    Person(Uuid),
}

/// Redact one record now, with the reason on record (`xunjiu erase`). A sighting's referral,
/// whose description is the sighting's notes, is redacted with it. Returns how many records
/// were redacted; an unknown id is an error.
pub async fn erase(
    pool: &sqlx::PgPool,
    record: Record,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let reason = reason.trim();
    anyhow::ensure!(!reason.is_empty(), "give a --reason");
    let mut tx = pool.begin().await?;
    let reason = format!("erased on request: {reason}");
    let mut people = 0;
    let (referrals, sightings) = match record {
        Record::Person(id) => {
            anyhow::ensure!(db::person_exists(&mut *tx, id).await?, "no person {id}");
            people = db::redact_people(&mut tx, &[id], now, &reason).await?;
            db::reports_of_person(&mut tx, id).await?
        }
        Record::Referral(id) => {
            anyhow::ensure!(db::referral_exists(&mut *tx, id).await?, "no referral {id}");
            (vec![id], vec![])
        }
        Record::Sighting(id) => {
            anyhow::ensure!(db::sighting_exists(&mut *tx, id).await?, "no sighting {id}");
            (db::referrals_of_sighting(&mut *tx, id).await?, vec![id])
        }
    };
    let mut n = people + db::redact_referrals(&mut tx, &referrals, now, &reason).await?;
    n += db::redact_sightings(&mut tx, &sightings, now, &reason).await?;
    tx.commit().await?;
    Ok(n)
}
