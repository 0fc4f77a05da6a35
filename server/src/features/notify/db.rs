//! Every statement of the alert channels and their outbox, checked against the schema at compile
//! time. A channel reaches an audience when it serves one of its stations, its county or the
//! city: [`insert`] and [`reaching`] both spell that condition out, since a checked statement
//! is one literal; change them together.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::message::ReferralFacts;
use crate::rules::audience::Audience;

/// A delivery as `GET /api/v1/referrals/{id}/notifications` lists it.
#[derive(Debug)]
pub struct Delivery {
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub event: String,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

/// One try at a delivery.
#[derive(Debug)]
pub struct Attempt {
    pub outbox_id: i64,
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub code: String,
    pub detail: Option<String>,
}

pub async fn deliveries(db: &PgPool, referral_id: Uuid) -> sqlx::Result<Vec<Delivery>> {
    sqlx::query_as!(
        Delivery,
        "select o.id, c.name as channel, c.kind, o.event, o.created_at, o.delivered_at, o.failed_at
         from notify_outbox o join notify_channels c on c.id = o.channel_id
         where o.referral_id = $1 order by o.id",
        referral_id
    )
    .fetch_all(db)
    .await
}

pub async fn attempts(db: &PgPool, outbox_ids: &[i64]) -> sqlx::Result<Vec<Attempt>> {
    sqlx::query_as!(
        Attempt,
        "select outbox_id, at, ok, code, detail from notify_attempts
         where outbox_id = any($1) order by id",
        outbox_ids
    )
    .fetch_all(db)
    .await
}

/// Queue `message` for every channel that reaches `audience`; how many were queued.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut PgConnection,
    audience: &Audience,
    referral_id: Option<Uuid>,
    event: &str,
    message: &serde_json::Value,
    urgent: bool,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "insert into notify_outbox (channel_id, referral_id, event, message, urgent, next_attempt_at, created_at)
         select c.id, $4, $5, $6, $7, $8, $8 from notify_channels c
         where c.removed_at is null
           and (c.station_code = any($1) or ($2::text is not null and c.county_code = $2) or ($3 and c.city))",
        &audience.duty_stations,
        audience.county_supervisors_of.as_deref(),
        audience.city_supervisors,
        referral_id,
        event,
        message,
        urgent,
        now,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Whether any channel reaches `audience` (nothing else is read when none does).
pub async fn reaching(conn: &mut PgConnection, audience: &Audience) -> sqlx::Result<bool> {
    let any = sqlx::query_scalar!(
        r#"select exists (
             select 1 from notify_channels c
             where c.removed_at is null
               and (c.station_code = any($1) or ($2::text is not null and c.county_code = $2) or ($3 and c.city))
           ) as "any!""#,
        &audience.duty_stations,
        audience.county_supervisors_of.as_deref(),
        audience.city_supervisors,
    )
    .fetch_one(conn)
    .await?;
    Ok(any)
}

/// What a message may say of one referral.
pub async fn facts(
    conn: &mut PgConnection,
    referral_id: Uuid,
) -> sqlx::Result<Option<ReferralFacts>> {
    sqlx::query_as!(
        ReferralFacts,
        "select r.id, r.station_code, s.name as station_name, r.priority, r.accept_by
         from referrals r join stations s on s.code = r.station_code
         where r.id = $1",
        referral_id
    )
    .fetch_optional(conn)
    .await
}

/// The facts of those of `referral_ids` whose station has a channel.
pub async fn facts_with_channel(
    conn: &mut PgConnection,
    referral_ids: &[Uuid],
) -> sqlx::Result<Vec<ReferralFacts>> {
    sqlx::query_as!(
        ReferralFacts,
        "select r.id, r.station_code, s.name as station_name, r.priority, r.accept_by
         from referrals r join stations s on s.code = r.station_code
         where r.id = any($1)
           and exists (select 1 from notify_channels c
                       where c.removed_at is null and c.station_code = r.station_code)",
        referral_ids
    )
    .fetch_all(conn)
    .await
}

/// A queued message with the channel that carries it (webhook and secret still sealed).
#[derive(Debug)]
pub struct Due {
    pub id: i64,
    pub attempts: i32,
    pub event: String,
    pub message: serde_json::Value,
    pub urgent: bool,
    pub referral_id: Option<Uuid>,
    pub channel_id: Uuid,
    pub kind: String,
    pub webhook: Option<String>,
    pub secret: Option<String>,
    pub phones: Vec<String>,
}

/// Up to 50 messages due at `now`, locked (`skip locked`: two senders never send one twice).
pub async fn claim_due(conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as!(
        Due,
        "select o.id, o.attempts, o.event, o.message, o.urgent, o.referral_id, c.id as channel_id,
                c.kind, c.webhook, c.secret, c.phones
         from notify_outbox o join notify_channels c on c.id = o.channel_id
         where o.delivered_at is null and o.failed_at is null and o.next_attempt_at <= $1
         order by o.id limit 50
         for update of o skip locked",
        now
    )
    .fetch_all(conn)
    .await
}

/// What one attempt came to, as [`record_attempt`] keeps it.
pub struct Outcome<'a> {
    pub ok: bool,
    pub code: &'a str,
    pub detail: Option<&'a str>,
    pub attempts: i32,
    pub give_up: bool,
    pub next_attempt_at: DateTime<Utc>,
}

/// Keep an attempt and move its message on (delivered, given up, or due again).
pub async fn record_attempt(
    conn: &mut PgConnection,
    outbox_id: i64,
    o: &Outcome<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into notify_attempts (outbox_id, at, ok, code, detail) values ($1, $2, $3, $4, $5)",
        outbox_id,
        now,
        o.ok,
        o.code,
        o.detail,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update notify_outbox set attempts = $2,
             delivered_at = case when $3 then $5::timestamptz end,
             failed_at = case when $4 then $5::timestamptz end,
             last_error = case when $3 then null else $6 end,
             next_attempt_at = $7
         where id = $1",
        outbox_id,
        o.attempts,
        o.ok,
        o.give_up,
        now,
        o.code,
        o.next_attempt_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// No channel has delivered the referral's routing alert, and each has tried at least once.
pub async fn every_channel_failed(
    conn: &mut PgConnection,
    referral_id: Uuid,
) -> sqlx::Result<bool> {
    let failed = sqlx::query_scalar!(
        r#"select coalesce(count(*) > 0 and bool_and(delivered_at is null and attempts > 0), false) as "failed!"
           from notify_outbox where referral_id = $1 and event = 'referral_routed'"#,
        referral_id
    )
    .fetch_one(conn)
    .await?;
    Ok(failed)
}

/// A channel to store, its webhook and secret already sealed.
pub struct NewChannel<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: &'a str,
    pub station: Option<&'a str>,
    pub county: Option<&'a str>,
    pub city: bool,
    pub webhook: Option<String>,
    pub secret: Option<String>,
    pub phones: &'a [String],
}

/// Store a channel; false when one in use has its name.
pub async fn insert_channel(
    db: &PgPool,
    c: &NewChannel<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "insert into notify_channels (id, name, kind, station_code, county_code, city, webhook, secret, phones, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (name) where removed_at is null do nothing",
        c.id,
        c.name,
        c.kind,
        c.station,
        c.county,
        c.city,
        c.webhook,
        c.secret,
        c.phones,
        now,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A channel as listed (its webhook still sealed).
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: String,
    pub kind: String,
    pub station_code: Option<String>,
    pub county_code: Option<String>,
    pub city: bool,
    pub webhook: Option<String>,
    pub signed: bool,
    pub phones: Vec<String>,
}

pub async fn channels_in_use(db: &PgPool) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as!(
        Listed,
        r#"select name, kind, station_code, county_code, city, webhook,
                  secret is not null as "signed!", phones
           from notify_channels where removed_at is null order by name"#
    )
    .fetch_all(db)
    .await
}

/// A channel's stored webhook and secret.
pub struct Secrets {
    pub id: Uuid,
    pub webhook: Option<String>,
    pub secret: Option<String>,
}

/// Every channel's webhook and secret, removed ones included (for sealing what predates it).
pub async fn all_secrets(db: &PgPool) -> sqlx::Result<Vec<Secrets>> {
    sqlx::query_as!(Secrets, "select id, webhook, secret from notify_channels")
        .fetch_all(db)
        .await
}

pub async fn set_secrets(db: &PgPool, s: &Secrets) -> sqlx::Result<()> {
    sqlx::query!(
        "update notify_channels set webhook = $2, secret = $3 where id = $1",
        s.id,
        s.webhook,
        s.secret
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Stop using a channel; false when none in use has this name.
pub async fn remove(db: &PgPool, name: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update notify_channels set removed_at = $2 where name = $1 and removed_at is null",
        name,
        now
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A stored channel, with what sending needs (webhook and secret sealed).
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: Uuid,
    pub kind: String,
    pub webhook: Option<String>,
    pub secret: Option<String>,
    pub phones: Vec<String>,
}

pub async fn find(db: &PgPool, name: &str) -> sqlx::Result<Option<Stored>> {
    sqlx::query_as!(
        Stored,
        "select id, kind, webhook, secret, phones from notify_channels
         where name = $1 and removed_at is null",
        name
    )
    .fetch_optional(db)
    .await
}
