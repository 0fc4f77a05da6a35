//! Redaction and clean-up statements. Redaction blanks the personal fields and timeline notes
//! and appends a `redacted` event, in one transaction per batch.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

/// Timeline notes the server writes itself (channel, distance, escalation level): nothing
/// personal, kept so the timeline still reads.
const SYSTEM_NOTE_KINDS: &str = "('created', 'routed', 'escalated', 'redacted')";

/// The records a retention pass redacts, in the order it takes them: referrals first, since a
/// sighting waits for its referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Referrals ended (closed, or resolved and left) before the cutoff.
    Referrals,
    /// Sightings received before the cutoff whose referral, if any, is redacted already.
    Sightings,
}

impl Due {
    /// Up to `$2` due ids, locked; rows a duty step holds are skipped for the next pass.
    fn select(self) -> &'static str {
        match self {
            Due::Referrals => {
                "select id from referrals
                 where redacted_at is null and resolved_at is not null and coalesce(closed_at, resolved_at) < $1
                 order by coalesce(closed_at, resolved_at) limit $2 for update skip locked"
            }
            Due::Sightings => {
                "select s.id from sightings s
                 where s.redacted_at is null and s.received_at < $1
                   and not exists (select 1 from referrals r where r.sighting_id = s.id and r.redacted_at is null)
                 order by s.received_at limit $2 for update of s skip locked"
            }
        }
    }
}

/// Redact up to `batch` records of a kind that are due by `cutoff`, in one transaction;
/// returns how many.
pub async fn redact_due(
    pool: &PgPool,
    due: Due,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
    reason: &str,
    batch: i64,
) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    let ids: Vec<Uuid> = sqlx::query_scalar(due.select())
        .bind(cutoff)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
    let n = match due {
        Due::Referrals => redact_referrals(&mut tx, &ids, now, reason).await?,
        Due::Sightings => redact_sightings(&mut tx, &ids, now, reason).await?,
    };
    tx.commit().await?;
    Ok(n)
}

/// Blank the personal fields and notes of these referrals and record why.
pub async fn redact_referrals(
    conn: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
    reason: &str,
) -> sqlx::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let n = sqlx::query(
        "update referrals set caller_phone = null, description = '', address_text = '',
                redacted_at = coalesce(redacted_at, $2), updated_at = $2
         where id = any($1)",
    )
    .bind(ids)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // The one change the event log allows (see the trigger): a note set to null.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "update referral_events set note = null
         where referral_id = any($1) and note is not null and kind not in {SYSTEM_NOTE_KINDS}"
    )))
    .bind(ids)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into referral_events (referral_id, kind, actor_role, note, at)
         select id, 'redacted', 'system', $3, $2 from unnest($1::uuid[]) id order by id",
    )
    .bind(ids)
    .bind(now)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(n)
}

/// Blank the notes of these sightings and record why.
pub async fn redact_sightings(
    conn: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
    reason: &str,
) -> sqlx::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let n = sqlx::query(
        "update sightings set notes = '', redacted_at = coalesce(redacted_at, $2) where id = any($1)",
    )
    .bind(ids)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query(
        "insert into sighting_events (sighting_id, kind, note, at)
         select id, 'redacted', $3, $2 from unnest($1::uuid[]) id order by id",
    )
    .bind(ids)
    .bind(now)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(n)
}

pub async fn referral_exists(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from referrals where id = $1)")
        .bind(id)
        .fetch_one(db)
        .await
}

pub async fn sighting_exists(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from sightings where id = $1)")
        .bind(id)
        .fetch_one(db)
        .await
}

pub async fn referrals_of_sighting(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("select id from referrals where sighting_id = $1")
        .bind(id)
        .fetch_all(db)
        .await
}

/// What the clean-up deletes: rows that have served their purpose by `before`.
const CLEAN_UP: [&str; 3] = [
    // Sessions expired or revoked.
    "delete from sessions where expires_at < $1 or revoked_at < $1",
    // Login attempt streaks idle since.
    "delete from login_streaks where last_failed_at < $1",
    // Push notifications delivered, or given up on.
    "delete from push_outbox where delivered_at < $1 or failed_at < $1",
];

async fn delete_before(
    db: &PgPool,
    statement: &'static str,
    before: DateTime<Utc>,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(statement)
        .bind(before)
        .execute(db)
        .await?
        .rows_affected())
}

/// Sessions expired or revoked before `before`.
pub async fn delete_old_sessions(db: &PgPool, before: DateTime<Utc>) -> sqlx::Result<u64> {
    delete_before(db, CLEAN_UP[0], before).await
}

/// Login attempt streaks idle since before `before`.
pub async fn delete_old_login_failures(db: &PgPool, before: DateTime<Utc>) -> sqlx::Result<u64> {
    delete_before(db, CLEAN_UP[1], before).await
}

/// Push rows delivered, or given up on, before `before`.
pub async fn delete_finished_pushes(db: &PgPool, before: DateTime<Utc>) -> sqlx::Result<u64> {
    delete_before(db, CLEAN_UP[2], before).await
}

/// Blank the description and acknowledgement note of incidents reported before `cutoff`; the
/// kind, place, times and who acknowledged stay for the reports.
pub async fn redact_incidents(
    db: &PgPool,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "update incidents set description = null, acknowledge_note = null, redacted_at = $2
         where redacted_at is null and reported_at < $1",
    )
    .bind(cutoff)
    .bind(now)
    .execute(db)
    .await?
    .rows_affected())
}

/// Up to `batch` people due for redaction by `cutoff`, locked: no open register or ledger
/// entry, and nothing of theirs (an entry, a report, a revisit, a tracing step, a correction)
/// since the cutoff.
pub async fn people_due(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    batch: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "select p.id from people p
         where p.redacted_at is null and p.updated_at < $1 and p.created_at < $1
           and not exists (select 1 from register_entries e where e.person_id = p.id
                           and (e.ended_at is null or e.ended_at >= $1 or e.registered_at >= $1))
           and not exists (select 1 from returns x where x.person_id = p.id
                           and (x.ended_at is null or x.ended_at >= $1 or x.created_at >= $1))
           and not exists (select 1 from sightings s where s.person_id = p.id and s.received_at >= $1)
           and not exists (select 1 from referrals r where r.person_id = p.id
                           and (r.resolved_at is null or coalesce(r.closed_at, r.resolved_at) >= $1))
           and not exists (select 1 from revisits v where v.person_id = p.id and v.at >= $1)
           and not exists (select 1 from tracing_steps k where k.person_id = p.id and k.at >= $1)
         order by p.updated_at limit $2 for update of p skip locked",
    )
    .bind(cutoff)
    .bind(batch)
    .fetch_all(conn)
    .await
}

/// Blank every personal field of these people and of their register and ledger entries,
/// revisits and tracing steps, and record why; counts and dates stay.
pub async fn redact_people(
    conn: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
    reason: &str,
) -> sqlx::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let n = sqlx::query(
        "update people set name = null, alias = null, id_number = null, home_address = null,
                description = null, redacted_at = coalesce(redacted_at, $2), updated_at = $2
         where id = any($1)",
    )
    .bind(ids)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    for statement in [
        "update register_entries set reason = '', village = null, end_reason = null where person_id = any($1)",
        "update returns set handed_over_to = null, family_situation = null, end_reason = null where person_id = any($1)",
        "update revisits set note = null where person_id = any($1)",
        "update tracing_steps set note = null where person_id = any($1)",
    ] {
        sqlx::query(statement).bind(ids).execute(&mut *conn).await?;
    }
    sqlx::query(
        "insert into person_events (person_id, kind, at, detail)
         select id, 'redacted', $2, jsonb_build_object('reason', $3::text) from unnest($1::uuid[]) id order by id",
    )
    .bind(ids)
    .bind(now)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(n)
}

/// The reports linked to a person: `(referrals, sightings)`.
pub async fn reports_of_person(
    conn: &mut PgConnection,
    person: Uuid,
) -> sqlx::Result<(Vec<Uuid>, Vec<Uuid>)> {
    let referrals = sqlx::query_scalar(
        "select id from referrals where person_id = $1
         union select r.id from referrals r join sightings s on s.id = r.sighting_id where s.person_id = $1",
    )
    .bind(person)
    .fetch_all(&mut *conn)
    .await?;
    let sightings = sqlx::query_scalar("select id from sightings where person_id = $1")
        .bind(person)
        .fetch_all(&mut *conn)
        .await?;
    Ok((referrals, sightings))
}

pub async fn person_exists(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from people where id = $1)")
        .bind(id)
        .fetch_one(db)
        .await
}

/// Notes of hotspot proposals decided before `cutoff`: blanked.
pub async fn redact_proposal_notes(db: &PgPool, cutoff: DateTime<Utc>) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("update hotspot_proposals set note = '' where note <> '' and decided_at < $1")
            .bind(cutoff)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// Positions as sent in another datum (GCJ-02, BD-09) for reports, check-ins and incidents
/// recorded before `cutoff`: deleted (the WGS84 point on the record stays).
pub async fn delete_position_originals(db: &PgPool, cutoff: DateTime<Utc>) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "delete from position_originals
         where record_kind in ('sighting', 'referral', 'checkin', 'incident') and recorded_at < $1",
    )
    .bind(cutoff)
    .execute(db)
    .await?
    .rows_affected())
}

/// Bodies of messages sent to alert channels before `before`: emptied; the outbox row and its
/// attempts keep their status, codes and times, the attempts' details go.
pub async fn redact_channel_messages(db: &PgPool, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "update notify_outbox set message = '{}'::jsonb, last_error = null
         where message <> '{}'::jsonb and created_at < $1
           and (delivered_at is not null or failed_at is not null)",
    )
    .bind(before)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(
        "update notify_attempts a set detail = null from notify_outbox o
         where o.id = a.outbox_id and a.detail is not null and o.created_at < $1",
    )
    .bind(before)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(n)
}
