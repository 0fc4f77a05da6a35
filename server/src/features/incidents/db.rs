//! Incident queries. Every read carries the reader's scope in its `where`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::rules::geo::GeoPoint;
use crate::rules::scope::Scope;

/// An incident as stored, with names for its people and county.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub station_code: String,
    pub county_code: Option<String>,
    pub county_name: Option<String>,
    pub referral_id: Option<Uuid>,
    pub description: Option<String>,
    pub reported_by: Uuid,
    pub reporter: String,
    pub reported_at: DateTime<Utc>,
    pub acknowledger: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledge_note: Option<String>,
    pub repushed_at: Option<DateTime<Utc>>,
    pub request_hash: Vec<u8>,
}

/// An incident's county: where it happened, or its station's when outside every county.
pub const COUNTY_OF_INCIDENT: &str = "county_of(i.area_code, i.station_code)";

const SELECT: &str = "select i.id, i.kind, i.occurred_at, st_y(i.location::geometry) as lat,
        st_x(i.location::geometry) as lon, i.accuracy_m, i.station_code,
        county_of(i.area_code, i.station_code) as county_code, a.name as county_name,
        i.referral_id, i.description, i.reported_by, u.username as reporter, i.reported_at,
        k.username as acknowledger, i.acknowledged_at, i.acknowledge_note, i.repushed_at, i.request_hash
    from incidents i
    join users u on u.id = i.reported_by
    left join users k on k.id = i.acknowledged_by
    left join areas a on a.code = county_of(i.area_code, i.station_code)";

/// The incidents a reader may see: their scope, and always what they filed themselves.
pub struct Reader<'a> {
    pub scope: &'a Scope,
    pub user: Uuid,
}

impl Reader<'_> {
    /// The condition on `i`, its parameters numbered from `n`.
    fn condition(&self, n: usize) -> String {
        let scoped = match self.scope {
            Scope::City => "true".to_owned(),
            Scope::County(_) => format!("{COUNTY_OF_INCIDENT} = ${n}"),
            Scope::Station(_) => format!("i.station_code = ${n}"),
            Scope::Own(_) => format!("i.reported_by = ${n}::uuid"),
            Scope::Channel(_) => format!("${n}::text is null"),
            Scope::Nothing => "false".to_owned(),
        };
        let own = if self.scope.arg().is_some() { n + 1 } else { n };
        format!("(({scoped}) or i.reported_by = ${own})")
    }
}

pub async fn get(
    db: impl PgExecutor<'_>,
    id: Uuid,
    reader: &Reader<'_>,
) -> sqlx::Result<Option<Row>> {
    let sql = format!("{SELECT} where i.id = $1 and {}", reader.condition(2));
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id);
    if let Some(arg) = reader.scope.arg() {
        query = query.bind(arg);
    }
    query.bind(reader.user).fetch_optional(db).await
}

/// Filters of the list.
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub unacknowledged: bool,
    pub limit: i64,
}

/// Newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    reader: &Reader<'_>,
    f: &Filter,
) -> sqlx::Result<Vec<Row>> {
    let sql = format!(
        "{SELECT} where ($1::timestamptz is null or i.occurred_at >= $1)
            and ($2::timestamptz is null or i.occurred_at < $2)
            and (not $3 or i.acknowledged_at is null)
            and {}
         order by i.occurred_at desc, i.id limit $4",
        reader.condition(5)
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(f.from)
        .bind(f.to)
        .bind(f.unacknowledged)
        .bind(f.limit);
    if let Some(arg) = reader.scope.arg() {
        query = query.bind(arg);
    }
    query.bind(reader.user).fetch_all(db).await
}

/// One incident to insert.
pub struct NewRow<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub point: GeoPoint,
    pub accuracy_m: Option<f64>,
    pub area_code: Option<&'a str>,
    pub station_code: &'a str,
    pub referral_id: Option<Uuid>,
    pub description: &'a str,
    pub reported_by: Uuid,
    pub reported_at: DateTime<Utc>,
    pub request_hash: &'a [u8],
}

/// Insert unless the id exists; true when inserted.
pub async fn insert(conn: &mut PgConnection, n: &NewRow<'_>) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "insert into incidents (id, kind, occurred_at, location, accuracy_m, area_code, station_code,
                                referral_id, description, reported_by, reported_at, request_hash)
         values ($1, $2, $3, st_setsrid(st_makepoint($4, $5), 4326)::geography, $6, $7, $8, $9, $10, $11, $12, $13)
         on conflict (id) do nothing",
    )
    .bind(n.id)
    .bind(n.kind)
    .bind(n.occurred_at)
    .bind(n.point.lon())
    .bind(n.point.lat())
    .bind(n.accuracy_m)
    .bind(n.area_code)
    .bind(n.station_code)
    .bind(n.referral_id)
    .bind(n.description)
    .bind(n.reported_by)
    .bind(n.reported_at)
    .bind(n.request_hash)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Who stored the incident under `id`, and the hash of what they sent.
pub async fn fingerprint(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<(Uuid, Vec<u8>)>> {
    sqlx::query_as("select reported_by, request_hash from incidents where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Mark acknowledged unless it already is; true when this call did it.
pub async fn acknowledge(
    db: impl PgExecutor<'_>,
    id: Uuid,
    by: Uuid,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update incidents set acknowledged_by = $2, acknowledge_note = $3, acknowledged_at = $4
         where id = $1 and acknowledged_at is null",
    )
    .bind(id)
    .bind(by)
    .bind(note)
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `(county, kind, incidents)` that occurred in `[from, to)`.
pub async fn counts_by_kind(
    db: impl PgExecutor<'_>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    county: Option<&str>,
) -> sqlx::Result<Vec<(Option<String>, String, i64)>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COUNTY_OF_INCIDENT} as county, i.kind, count(*) from incidents i
         where i.occurred_at >= $1 and i.occurred_at < $2
           and ($3::text is null or {COUNTY_OF_INCIDENT} = $3)
         group by 1, 2"
    )))
    .bind(from)
    .bind(to)
    .bind(county)
    .fetch_all(db)
    .await
}

/// An incident no supervisor has acknowledged.
#[derive(Debug)]
pub struct Unacknowledged {
    pub id: Uuid,
    pub kind: String,
    pub station_code: String,
    pub county: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// Up to 200 reported before `cutoff` and not yet pushed again, locked (`skip locked`).
pub async fn unacknowledged_before(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
) -> sqlx::Result<Vec<Unacknowledged>> {
    sqlx::query_as!(
        Unacknowledged,
        "select id, kind, station_code, county_of(area_code, station_code) as county, occurred_at
         from incidents
         where acknowledged_at is null and repushed_at is null and reported_at <= $1
         order by reported_at, id limit 200
         for update skip locked",
        cutoff
    )
    .fetch_all(conn)
    .await
}

pub async fn mark_repushed(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update incidents set repushed_at = $2 where id = $1",
        id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}
