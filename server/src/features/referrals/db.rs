//! Referral queries. Inserts take many rows at once (`unnest`), so a batch of sightings that
//! raises many referrals costs a few statements, not one per row.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use mobile_api::{Priority, ReferralKind};

use crate::features::routing::Placement;
use crate::plumbing::config::Settings;
use crate::rules::events::{self, Event};
use crate::rules::geo::GeoPoint;
use crate::rules::scope::{self, Scope};
use crate::rules::wire;

/// What a referral says, from whichever way it came in (a hotline, a patrol's sighting, an
/// Open311 partner), before it is routed.
#[derive(Debug, Clone)]
pub struct Report {
    pub id: Uuid,
    pub channel: String,
    /// `report` or `handover`.
    pub kind: String,
    pub external_ref: Option<String>,
    pub reported_at: DateTime<Utc>,
    pub point: GeoPoint,
    pub address_text: String,
    pub caller_phone: Option<String>,
    pub people_count: i32,
    pub categories: Vec<String>,
    pub description: String,
    /// The sighting that raised it.
    pub sighting_id: Option<Uuid>,
    pub request_hash: Vec<u8>,
    /// For a request that came through Open311.
    pub open311_service_code: Option<String>,
}

/// One referral to insert, routed: the one way such a row is made is [`NewRow::routed`].
#[derive(Debug, Clone)]
pub struct NewRow {
    pub report: Report,
    pub priority: String,
    /// The station that took the call, when it is not the one the referral is routed to (a
    /// station's own call about a place nearer another station): it answers for the referral
    /// until the nearer one accepts, exactly as after a transfer.
    pub first_contact: Option<String>,
    pub station_code: String,
    pub distance_m: f64,
    pub area_code: Option<String>,
    pub accept_by: DateTime<Utc>,
    pub on_scene_by: DateTime<Utc>,
}

impl NewRow {
    /// Taken by `station` (its own phone, its door): that station answers for the referral from
    /// the first event, whichever station it is routed to.
    pub fn first_contact_at(mut self, station: &str) -> Self {
        self.first_contact = (station != self.station_code).then(|| station.to_owned());
        self
    }

    /// `report` routed at `now` to the station `placed` names, with the deadlines `settings`
    /// give a referral of this `priority`. The routed station answers for it unless
    /// [`Self::first_contact_at`] says otherwise.
    pub fn routed(
        report: Report,
        priority: Priority,
        placed: Placement,
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Self {
        // A person handed over at the station is signed for within its own deadline.
        let accept_within = if report.kind == wire::name(&ReferralKind::Handover) {
            settings.handover_within()
        } else {
            settings.accept_within(priority)
        };
        Self {
            report,
            priority: wire::name(&priority),
            first_contact: None,
            station_code: placed.station_code,
            distance_m: placed.distance_m,
            area_code: placed.area_code,
            accept_by: now + accept_within,
            on_scene_by: now + settings.scene_within(priority),
        }
    }
}

/// Who created the rows (an account, or an Open311 partner), and when they arrived.
#[derive(Debug, Clone, Copy)]
pub struct Creator<'a> {
    pub user_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub role: &'a str,
    pub received_at: DateTime<Utc>,
}

/// The referrals of `unnest($3 …)` whose id is new (`$1` received at, `$2` the creating account,
/// `$23` the partner).
const ROW_INSERT: &str = "insert into referrals (id, channel, external_ref, reported_at, received_at, created_by, location,
                                address_text, caller_phone, people_count, categories, description, priority,
                                status, station_code, accountable_station, distance_m, area_code, accept_by,
                                sighting_id, request_hash, updated_at, on_scene_by, h3_r9,
                                partner_id, open311_service_code, pending_transfer, pre_transfer_status, kind)
         select u.id, u.channel, u.external_ref, u.reported_at, $1, $2,
                st_setsrid(st_makepoint(u.lon, u.lat), 4326)::geography,
                u.address_text, u.caller_phone, u.people_count, string_to_array(u.categories, ','),
                u.description, u.priority, 'routed', u.station_code, coalesce(u.first_contact, u.station_code),
                u.distance_m, u.area_code, u.accept_by, u.sighting_id, u.request_hash, $1, u.on_scene_by, u.h3_r9,
                $23, u.open311, u.first_contact is not null, case when u.first_contact is not null then 'routed' end,
                u.kind
         from unnest($3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $7::float8[], $8::float8[],
                     $9::text[], $10::text[], $11::int4[], $12::text[], $13::text[], $14::text[], $15::text[],
                     $16::float8[], $17::text[], $18::timestamptz[], $19::uuid[], $20::bytea[], $21::timestamptz[], $22::int8[], $24::text[],
                     $25::text[], $26::text[])
              as u(id, channel, external_ref, reported_at, lon, lat, address_text, caller_phone, people_count,
                   categories, description, priority, station_code, distance_m, area_code, accept_by,
                   sighting_id, request_hash, on_scene_by, h3_r9, open311, first_contact, kind)
         on conflict (id) do nothing";

/// [`insert_new`] in one statement: the rows, their two events and their pushes (`$27` the
/// creator's role). `created` precedes `routed` in event order because the events are numbered
/// as the sort hands them out. The routed event names the first-contact station (the
/// accountability report counts the referral there); a station's own call about a place nearer
/// another station names that one as the target, as a transfer does.
static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "with new as (
             {insert}
             returning id, channel, station_code, accountable_station, pending_transfer, distance_m,
                       priority, people_count, area_code, categories
         ), events as (
             insert into referral_events (referral_id, kind, actor_id, actor_role, station_code,
                                          to_status, note, at, target_station)
             select n.id, e.kind,
                    case when e.step = 1 then $2::uuid end,
                    case when e.step = 1 then $27::text else 'system' end,
                    case when e.step = 2 then n.accountable_station end,
                    case when e.step = 2 then 'routed' end,
                    case when e.step = 1 then 'channel ' || n.channel
                         when n.pending_transfer
                         then 'taken by ' || n.accountable_station || '; nearest station ' || n.station_code || ', '
                              || round(n.distance_m)::bigint || ' m, to accept'
                         else 'nearest station, ' || round(n.distance_m)::bigint || ' m' end,
                    $1,
                    case when e.step = 2 and n.pending_transfer then n.station_code end
             from new n cross join (values (1, 'created'), (2, 'routed')) as e(step, kind)
             order by n.id, e.step
         ), pushed as (
             {push}
         )
         select n.id, exists (select 1 from notify_channels c
                              where c.removed_at is null and c.station_code = n.station_code)
         from new n order by n.id",
        insert = ROW_INSERT,
        push = crate::features::push::routed_insert("new"),
    )
});

/// Insert the rows whose id is new, with their `created` and `routed` events; returns the ids
/// inserted. Rows whose id exists already are left alone (the caller tells replays from conflicts).
pub async fn insert_new(
    conn: &mut PgConnection,
    creator: Creator<'_>,
    rows: &[NewRow],
) -> sqlx::Result<Vec<Uuid>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let inserted: Vec<(Uuid, bool)> = sqlx::query_as(sqlx::AssertSqlSafe(INSERT.as_str()))
        .bind(creator.received_at)
        .bind(creator.user_id)
        .bind(column(rows, |r| r.report.id))
        .bind(column(rows, |r| r.report.channel.clone()))
        .bind(column(rows, |r| r.report.external_ref.clone()))
        .bind(column(rows, |r| r.report.reported_at))
        .bind(column(rows, |r| r.report.point.lon()))
        .bind(column(rows, |r| r.report.point.lat()))
        .bind(column(rows, |r| r.report.address_text.clone()))
        .bind(column(rows, |r| r.report.caller_phone.clone()))
        .bind(column(rows, |r| r.report.people_count))
        .bind(column(rows, |r| r.report.categories.join(",")))
        .bind(column(rows, |r| r.report.description.clone()))
        .bind(column(rows, |r| r.priority.clone()))
        .bind(column(rows, |r| r.station_code.clone()))
        .bind(column(rows, |r| r.distance_m))
        .bind(column(rows, |r| r.area_code.clone()))
        .bind(column(rows, |r| r.accept_by))
        .bind(column(rows, |r| r.report.sighting_id))
        .bind(column(rows, |r| r.report.request_hash.clone()))
        .bind(column(rows, |r| r.on_scene_by))
        .bind(column(rows, |r| {
            crate::features::heatmap::r9(r.report.point)
        }))
        .bind(creator.partner_id)
        .bind(column(rows, |r| r.report.open311_service_code.clone()))
        .bind(column(rows, |r| r.first_contact.clone()))
        .bind(column(rows, |r| r.report.kind.clone()))
        .bind(creator.role)
        .fetch_all(&mut *conn)
        .await?;
    // Within the transaction, for the stations with DingTalk, WeCom or SMS channels.
    let other_channels: Vec<Uuid> = inserted.iter().filter(|r| r.1).map(|r| r.0).collect();
    if !other_channels.is_empty() {
        let routed = Event::Routed {
            referral_ids: &other_channels,
        };
        events::emit(&mut *conn, &routed, creator.received_at).await?;
    }
    Ok(inserted.into_iter().map(|r| r.0).collect())
}

/// One column of `rows`, as an array parameter for `unnest`.
fn column<T>(rows: &[NewRow], f: impl Fn(&NewRow) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

/// Who created an existing referral and what they sent, to tell a replay from a conflict.
pub async fn fingerprint(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<(Option<Uuid>, Vec<u8>)>> {
    sqlx::query_as("select created_by, request_hash from referrals where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// A referral as stored, with its area; the personal fields only when the reader may see them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    /// The person the referral is about, once linked.
    pub person_id: Option<Uuid>,
    pub id: Uuid,
    pub channel: String,
    pub kind: String,
    pub external_ref: Option<String>,
    pub reported_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub lat: f64,
    pub lon: f64,
    pub address_text: Option<String>,
    pub caller_phone: Option<String>,
    pub people_count: i32,
    pub categories: Vec<String>,
    pub description: Option<String>,
    pub priority: String,
    pub status: String,
    pub station_code: String,
    pub accountable_station: String,
    pub distance_m: f64,
    pub area_code: Option<String>,
    pub area_name: Option<String>,
    pub area_station: Option<String>,
    pub accept_by: DateTime<Utc>,
    pub on_scene_by: DateTime<Utc>,
    pub sighting_id: Option<Uuid>,
    pub pending_transfer: bool,
    pub pre_transfer_status: Option<String>,
    pub outcome: Option<String>,
    pub accept_escalation: i16,
    pub scene_escalation: i16,
    pub redacted_at: Option<DateTime<Utc>>,
    pub case_id: Option<Uuid>,
}

/// The personal fields, or nothing in their place: a reader who may not see them never loads them.
const PERSONAL: &str = "r.address_text, r.caller_phone, r.description";
const NO_PERSONAL: &str =
    "null::text as address_text, null::text as caller_phone, null::text as description";

/// `select … from referrals r …`, with or without the personal fields and the person link.
fn select(personal: bool, person: bool) -> String {
    let personal = if personal { PERSONAL } else { NO_PERSONAL };
    let person = if person {
        "r.person_id"
    } else {
        "null::uuid as person_id"
    };
    format!(
        "select r.id, r.channel, r.kind, r.external_ref, r.reported_at, r.received_at, r.created_by,
            st_y(r.location::geometry) as lat, st_x(r.location::geometry) as lon, {personal},
            r.people_count, r.categories, r.priority, r.status,
            r.station_code, r.accountable_station, r.distance_m, r.area_code, a.name as area_name,
            a.station_code as area_station, r.accept_by, r.on_scene_by, r.sighting_id, r.pending_transfer,
            r.pre_transfer_status, r.outcome, r.accept_escalation, r.scene_escalation, r.redacted_at,
            r.case_id, {person}
        from referrals r left join areas a on a.code = r.area_code"
    )
}

/// Who reads, and what of a referral: the rows of `scope`, with the personal fields if `personal`.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    pub scope: &'a Scope,
    pub personal: bool,
    /// Whether the reader sees which person a referral is linked to.
    pub person: bool,
}

/// One referral, if it is in the reader's scope.
pub async fn get(
    db: impl PgExecutor<'_>,
    id: Uuid,
    reader: Reader<'_>,
) -> sqlx::Result<Option<Row>> {
    let sql = format!(
        "{} where r.id = $1 and {}",
        select(reader.personal, reader.person),
        reader.scope.referral_condition(2)
    );
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id);
    scope::bind(query, reader.scope).fetch_optional(db).await
}

/// What a list may be narrowed to; `None` means no restriction.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Referrals routed to or accountable to this station.
    pub station: Option<String>,
    pub status: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(
    db: impl PgExecutor<'_>,
    f: &Filter,
    reader: Reader<'_>,
) -> sqlx::Result<Vec<Row>> {
    let sql = format!(
        "{}
         where ($1::text is null or r.station_code = $1 or r.accountable_station = $1)
           and ($2::text is null or r.status = $2)
           and ($3::timestamptz is null or r.reported_at >= $3)
           and ($4::timestamptz is null or r.reported_at < $4)
           and {}
         order by r.reported_at desc, r.id
         limit $5 offset $6",
        select(reader.personal, reader.person),
        reader.scope.referral_condition(7)
    );
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&f.station)
        .bind(&f.status)
        .bind(f.from)
        .bind(f.to)
        .bind(f.limit)
        .bind(f.offset);
    scope::bind(query, reader.scope).fetch_all(db).await
}

/// One event of the timeline, with the actor's username.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub kind: String,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub station_code: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
}

/// A referral as [`get`] reads it, with its timeline (notes where `reader.personal`, else only
/// `reader_id`'s own) and its possible duplicates, in one round trip: the row repeated beside
/// each event and each duplicate.
pub async fn get_whole(
    conn: &mut PgConnection,
    id: Uuid,
    reader: Reader<'_>,
    reader_id: Uuid,
    duplicates: (f64, u32),
) -> sqlx::Result<Option<(Row, Vec<EventRow>, Vec<DuplicateRow>)>> {
    use sqlx::Row as _;
    // The other parameters follow the scope's, which has one or none.
    let n = 2 + usize::from(reader.scope.arg().is_some());
    let sql = format!(
        "select g.*, t.* from ({select} where r.id = $1 and {scope}) g
         left join lateral (
             select e.id as event_id, e.kind as event_kind, e.at as event_at,
                    u.username as event_actor, e.actor_role as event_actor_role,
                    e.station_code as event_station, e.from_status as event_from,
                    e.to_status as event_to,
                    case when ${all_notes} or e.actor_id = ${reader_id} then e.note end as event_note,
                    null::uuid as dup_id, null::float8 as dup_distance_m, null::text as dup_channel,
                    null::int8 as dup_apart_s, null::text as dup_station
             from referral_events e left join users u on u.id = e.actor_id
             where e.referral_id = g.id
             union all
             select null, null, null, null, null, null, null, null, null,
                    d.id, d.distance_m, d.channel, d.apart_s, d.station_code
             from referrals r {duplicates}
             where r.id = g.id
         ) t on true
         order by t.event_id nulls last, t.dup_distance_m, t.dup_id",
        select = select(reader.personal, reader.person),
        scope = reader.scope.referral_condition(2),
        all_notes = n,
        reader_id = n + 1,
        duplicates = duplicates_of_r(n + 2, n + 3, n + 4),
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
    if let Some(arg) = reader.scope.arg() {
        query = query.bind(arg);
    }
    let rows = query
        .bind(reader.personal)
        .bind(reader_id)
        .bind(duplicates.0)
        .bind(i32::try_from(duplicates.1).unwrap_or(i32::MAX))
        .bind(DUPLICATES_SHOWN)
        .fetch_all(&mut *conn)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let row = <Row as sqlx::FromRow<'_, _>>::from_row(first)?;
    let (mut events, mut found) = (Vec::new(), Vec::new());
    for r in &rows {
        if let Some(kind) = r.try_get::<Option<String>, _>("event_kind")? {
            events.push(EventRow {
                kind,
                at: r.try_get("event_at")?,
                actor: r.try_get("event_actor")?,
                actor_role: r.try_get("event_actor_role")?,
                station_code: r.try_get("event_station")?,
                from_status: r.try_get("event_from")?,
                to_status: r.try_get("event_to")?,
                note: r.try_get("event_note")?,
            });
        } else if let Some(dup) = r.try_get::<Option<Uuid>, _>("dup_id")? {
            found.push(DuplicateRow {
                of: row.id,
                id: dup,
                distance_m: r.try_get("dup_distance_m")?,
                channel: r.try_get("dup_channel")?,
                apart_s: r.try_get("dup_apart_s")?,
                station_code: r.try_get("dup_station")?,
            });
        }
    }
    Ok(Some((row, events, found)))
}

/// Read a referral and hold its row lock until the transaction ends, so that two officers
/// acting at once are served one after the other.
/// Only a referral in `scope` is found.
pub async fn lock(conn: &mut PgConnection, id: Uuid, scope: &Scope) -> sqlx::Result<Option<Row>> {
    let sql = format!(
        "{} where r.id = $1 and {} for update of r",
        select(false, false),
        scope.referral_condition(2)
    );
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id);
    scope::bind(query, scope).fetch_optional(conn).await
}

/// The state a permitted step leaves behind.
#[derive(Debug, Clone)]
pub struct Step {
    pub status: String,
    pub station_code: String,
    pub accountable_station: String,
    pub pending_transfer: bool,
    pub pre_transfer_status: Option<String>,
    pub outcome: Option<String>,
    /// A new acceptance deadline (after a transfer, or a refusal back to `routed`).
    pub new_accept_by: Option<DateTime<Utc>>,
}

pub async fn update_step(
    conn: &mut PgConnection,
    id: Uuid,
    step: &Step,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update referrals set
             status = $2, station_code = $3, accountable_station = $4, pending_transfer = $5,
             pre_transfer_status = $6, outcome = coalesce($7, outcome),
             accepted_at = case when $2 = 'accepted' then coalesce(accepted_at, $8) else accepted_at end,
             on_scene_at = case when $2 = 'on_scene' then $8 else on_scene_at end,
             resolved_at = case when $2 = 'resolved' then $8 else resolved_at end,
             closed_at = case when $2 = 'closed' then $8 else closed_at end,
             accept_by = coalesce($9, accept_by),
             accept_escalation = case when $9 is null then accept_escalation else 0 end,
             updated_at = $8
         where id = $1",
    )
    .bind(id)
    .bind(&step.status)
    .bind(&step.station_code)
    .bind(&step.accountable_station)
    .bind(step.pending_transfer)
    .bind(&step.pre_transfer_status)
    .bind(&step.outcome)
    .bind(now)
    .bind(step.new_accept_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// One entry for the append-only timeline.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub referral_id: Uuid,
    pub kind: &'a str,
    pub actor_id: Option<Uuid>,
    pub actor_role: &'a str,
    pub station_code: Option<&'a str>,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub note: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub location: Option<GeoPoint>,
    /// For a transfer: the receiving station.
    pub target_station: Option<&'a str>,
    /// For a resolution.
    pub outcome: Option<&'a str>,
}

pub async fn append_event(conn: &mut PgConnection, e: &NewEvent<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into referral_events (referral_id, kind, actor_id, actor_role, station_code, from_status,
                                      to_status, note, at, location, target_station, outcome)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                 case when $10::float8 is null then null
                      else st_setsrid(st_makepoint($10, $11), 4326)::geography end, $12, $13)",
    )
    .bind(e.referral_id)
    .bind(e.kind)
    .bind(e.actor_id)
    .bind(e.actor_role)
    .bind(e.station_code)
    .bind(e.from_status)
    .bind(e.to_status)
    .bind(e.note)
    .bind(e.at)
    .bind(e.location.map(GeoPoint::lon))
    .bind(e.location.map(GeoPoint::lat))
    .bind(e.target_station)
    .bind(e.outcome)
    .execute(conn)
    .await?;
    Ok(())
}

/// A place in a queue's order (urgent first, then the soonest deadline, then arrival): the
/// queue continues after it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QueueKey {
    /// 0 urgent, 1 normal.
    pub rank: i32,
    /// The deadline now running; none sorts last.
    pub deadline: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub id: Uuid,
}

/// The order as SQL: rank, deadline (none as infinity), arrival, id, all ascending, so a row
/// comparison continues after a [`QueueKey`].
const QUEUE_ORDER: &str = "(case when r.priority = 'urgent' then 0 else 1 end),
     coalesce(case when r.status = 'routed' then r.accept_by
                   when r.status in ('accepted', 'en_route') then r.on_scene_by end, 'infinity'::timestamptz),
     r.received_at, r.id";

/// Open referrals a station holds or answers for, of those the reader may see: urgent first,
/// then the soonest deadline; at most `limit`, after `after` when given.
pub async fn queue(
    db: impl PgExecutor<'_>,
    station: &str,
    reader: Reader<'_>,
    after: Option<&QueueKey>,
    limit: i64,
) -> sqlx::Result<Vec<Row>> {
    // Held here, or answered for here while another station holds it: two disjoint halves, each
    // read in queue order from an index of its own (migration 26) and merged, so a page costs
    // the same however long the queue is. Without a cursor there is no comparison at all, so a
    // reused plan never carries one that cannot use the index.
    let after_key = if after.is_some() {
        format!("and ({QUEUE_ORDER}) > ($2, coalesce($3, 'infinity'::timestamptz), $4, $5)")
    } else {
        "and $2::int is null and $3::timestamptz is null and $4::timestamptz is null and $5::uuid is null".to_owned()
    };
    let in_scope = reader.scope.referral_condition(7);
    let half = |whose: &str| {
        format!(
            "(select r.id, r.priority, r.status, r.accept_by, r.on_scene_by, r.received_at
              from referrals r
              where r.status not in ('resolved', 'closed') and r.case_id is null and {whose}
                {after_key} and {in_scope}
              order by {QUEUE_ORDER} limit $6)"
        )
    };
    let sql = format!(
        "with page as (
             select r.id from ({} union all {}) r order by {QUEUE_ORDER} limit $6
         )
         {} join page on page.id = r.id
         order by {QUEUE_ORDER}",
        half("r.station_code = $1"),
        half("r.accountable_station = $1 and r.accountable_station <> r.station_code"),
        select(reader.personal, reader.person),
    );
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(station)
        .bind(after.map(|k| k.rank))
        .bind(after.and_then(|k| k.deadline))
        .bind(after.map(|k| k.received_at))
        .bind(after.map(|k| k.id))
        .bind(limit);
    scope::bind(query, reader.scope).fetch_all(db).await
}

/// Whether `station` answers for `county` or stands in it (whose supervisors follow its queue).
pub async fn station_serves_county(
    db: impl PgExecutor<'_>,
    station: &str,
    county: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar("select station_serves_county($1, $2)")
        .bind(station)
        .bind(county)
        .fetch_one(db)
        .await
}

/// A possible duplicate of one of the referrals asked about.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DuplicateRow {
    pub of: Uuid,
    pub id: Uuid,
    pub distance_m: f64,
    pub channel: String,
    pub apart_s: i64,
    pub station_code: String,
}

/// At most this many possible duplicates are named per referral, the nearest.
const DUPLICATES_SHOWN: i64 = 5;

/// Open referrals within `radius_m` and `hours` of each of `ids`, not in the same case: the
/// nearest few of each (a nearest-first walk of the location index that stops when it has
/// them, so a busy queue in a dense district stays cheap).
pub async fn possible_duplicates(
    db: impl PgExecutor<'_>,
    ids: &[Uuid],
    radius_m: f64,
    hours: u32,
) -> sqlx::Result<Vec<DuplicateRow>> {
    // One referral (read back as it is filed or opened) is asked for by a plain `=`: planned
    // for an array, the statement was planned afresh each time (the planner prices a generic
    // plan for ten ids), which cost more than running it.
    let (sql, one) = match ids {
        [id] => (&DUPLICATES[0], Some(*id)),
        _ => (&DUPLICATES[1], None),
    };
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
    let query = match one {
        Some(id) => query.bind(id),
        None => query.bind(ids),
    };
    query
        .bind(radius_m)
        .bind(i32::try_from(hours).unwrap_or(i32::MAX))
        .bind(DUPLICATES_SHOWN)
        .fetch_all(db)
        .await
}

/// The possible duplicates of the referral `r`, as a lateral subquery `d`; `{radius}`, `{hours}`
/// and `{limit}` name its parameters.
fn duplicates_of_r(radius: usize, hours: usize, limit: usize) -> String {
    format!(
        "cross join lateral (
             select d.id, st_distance(r.location, d.location) as distance_m, d.channel,
                    abs(extract(epoch from d.reported_at - r.reported_at))::int8 as apart_s,
                    d.station_code
             from referrals d
             where d.id <> r.id
               and st_dwithin(d.location, r.location, ${radius})
               -- Written so that no index on reported_at applies: the location index's
               -- nearest-first walk is the plan (1,000 queue entries among 29,000 open
               -- referrals: 55-70 ms, against 1.5 s when the time index was ANDed in).
               and abs(extract(epoch from d.reported_at - r.reported_at)) <= ${hours} * 3600
               and d.status not in ('resolved', 'closed')
               and coalesce(d.case_id, d.id) <> coalesce(r.case_id, r.id)
             order by d.location <-> r.location
             limit ${limit}
         ) d"
    )
}

/// The possible duplicates of `r.id = $1` (one referral) and of `r.id = any($1)`.
static DUPLICATES: LazyLock<[String; 2]> = LazyLock::new(|| {
    ["r.id = $1", "r.id = any($1)"].map(|which| {
        format!(
            "select r.id as of, d.id, d.distance_m, d.channel, d.apart_s, d.station_code
             from referrals r {lateral}
             where {which}
             order by r.id, d.distance_m, d.id",
            lateral = duplicates_of_r(2, 3, 4),
        )
    })
});

/// Make `member` part of `primary`'s case.
pub async fn set_case(
    conn: &mut PgConnection,
    member: Uuid,
    primary: Option<Uuid>,
    now: DateTime<Utc>,
    new_accept_by: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update referrals set case_id = $2, updated_at = $3,
             accept_by = coalesce($4, accept_by),
             accept_escalation = case when $4 is null then accept_escalation else 0 end
         where id = $1",
    )
    .bind(member)
    .bind(primary)
    .bind(now)
    .bind(new_accept_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The members of `primary`'s case not yet at `status` (nor closed), locked.
pub async fn lock_members(
    conn: &mut PgConnection,
    primary: Uuid,
    status: &str,
) -> sqlx::Result<Vec<Row>> {
    let sql = format!(
        "{} where r.case_id = $1 and r.status not in ('closed', $2) order by r.id for update of r",
        select(false, false)
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(primary)
        .bind(status)
        .fetch_all(conn)
        .await
}

/// The ids of a case's members.
pub async fn members(db: impl PgExecutor<'_>, primary: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("select id from referrals where case_id = $1 order by id")
        .bind(primary)
        .fetch_all(db)
        .await
}
