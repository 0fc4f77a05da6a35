//! Sighting queries.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::rules::geo::GeoPoint;
use crate::rules::listing::BBox;
use crate::rules::scope::{self, Scope};

/// One sighting to insert, already routed.
#[derive(Debug, Clone)]
pub struct NewRow {
    pub id: Uuid,
    pub observed_at: DateTime<Utc>,
    pub point: GeoPoint,
    pub accuracy_m: Option<f64>,
    pub people_count: i32,
    pub categories: Vec<String>,
    pub action_taken: String,
    pub notes: String,
    pub station_code: String,
    pub distance_m: f64,
    pub area_code: Option<String>,
    pub hotspot_id: Option<Uuid>,
    pub request_hash: Vec<u8>,
    pub items_given: serde_json::Value,
    pub h3_r9: Option<i64>,
}

/// One plain report to store, already routed.
#[derive(Debug, Clone)]
pub struct Insert {
    pub reporter: Uuid,
    pub received_at: DateTime<Utc>,
    pub row: NewRow,
}

/// Insert the rows whose id is new (a statement ending in `on conflict (id) do nothing`).
const INSERT: &str = "insert into sightings (id, reported_by, observed_at, received_at, location, accuracy_m, people_count,
                                categories, action_taken, notes, station_code, distance_m, area_code,
                                hotspot_id, request_hash, items_given, h3_r9)
         select u.id, u.reported_by, u.observed_at, u.received_at, st_setsrid(st_makepoint(u.lon, u.lat), 4326)::geography,
                u.accuracy_m, u.people_count, string_to_array(u.categories, ','), u.action_taken, u.notes,
                u.station_code, u.distance_m, u.area_code, u.hotspot_id, u.request_hash, u.items_given, u.h3_r9
         from unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::timestamptz[], $5::float8[], $6::float8[],
                     $7::float8[], $8::int4[], $9::text[], $10::text[], $11::text[], $12::text[], $13::float8[],
                     $14::text[], $15::uuid[], $16::bytea[], $17::jsonb[], $18::int8[])
              as u(reported_by, received_at, id, observed_at, lon, lat, accuracy_m, people_count, categories,
                   action_taken, notes, station_code, distance_m, area_code, hotspot_id, request_hash,
                   items_given, h3_r9)
         on conflict (id) do nothing";

/// Bind the rows, each with its reporter and time of receipt, to [`INSERT`]'s parameters.
fn bind_rows<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    rows: &[(Uuid, DateTime<Utc>, &NewRow)],
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    let reporters: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let received: Vec<DateTime<Utc>> = rows.iter().map(|r| r.1).collect();
    let rows: Vec<&NewRow> = rows.iter().map(|r| r.2).collect();
    query
        .bind(reporters)
        .bind(received)
        .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.observed_at).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.point.lon()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.point.lat()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.accuracy_m).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.people_count).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.categories.join(","))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.action_taken.clone())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.notes.clone()).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.station_code.clone())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.distance_m).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.area_code.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.hotspot_id).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.request_hash.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.items_given.clone())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.h3_r9).collect::<Vec<_>>())
}

/// Insert the rows whose id is new; returns the ids inserted.
pub async fn insert_new(
    conn: &mut PgConnection,
    reporter: Uuid,
    received_at: DateTime<Utc>,
    rows: &[NewRow],
) -> sqlx::Result<Vec<Uuid>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let query = sqlx::query_as::<_, (Uuid,)>(sqlx::AssertSqlSafe(format!("{INSERT} returning id")));
    let rows: Vec<_> = rows.iter().map(|r| (reporter, received_at, r)).collect();
    Ok(bind_rows(query, &rows)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}

/// [`INSERT`] for one row, with a parameter per column instead of arrays. PostgreSQL estimates
/// the rows of `unnest($n)` only when it sees the array, so the array form is planned afresh at
/// every execution; this one keeps its generic plan, which saves most of the statement's cost.
const INSERT_ONE: &str = "insert into sightings (id, reported_by, observed_at, received_at, location, accuracy_m, people_count,
                                categories, action_taken, notes, station_code, distance_m, area_code,
                                hotspot_id, request_hash, items_given, h3_r9)
         values ($3, $1, $4, $2, st_setsrid(st_makepoint($5, $6), 4326)::geography, $7, $8, $9, $10, $11,
                 $12, $13, $14, $15, $16, $17, $18)
         on conflict (id) do nothing";

/// Insert one row, if its id is new, and read it back as [`fetch`] would, in one statement;
/// `None` when the id was already stored. For a report that raises no referral.
pub async fn insert_and_fetch(
    db: impl PgExecutor<'_>,
    reporter: Uuid,
    received_at: DateTime<Utc>,
    row: &NewRow,
) -> sqlx::Result<Option<Row>> {
    static SQL: LazyLock<String> = LazyLock::new(|| and_fetch(INSERT_ONE));
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(reporter)
        .bind(received_at)
        .bind(row.id)
        .bind(row.observed_at)
        .bind(row.point.lon())
        .bind(row.point.lat())
        .bind(row.accuracy_m)
        .bind(row.people_count)
        .bind(&row.categories)
        .bind(&row.action_taken)
        .bind(&row.notes)
        .bind(&row.station_code)
        .bind(row.distance_m)
        .bind(&row.area_code)
        .bind(row.hotspot_id)
        .bind(&row.request_hash)
        .bind(&row.items_given)
        .bind(row.h3_r9)
        .fetch_optional(db)
        .await
}

/// Insert each row whose id is new and read back those inserted, as [`fetch`] would, in one
/// statement. One row takes [`insert_and_fetch`]'s cheaper plan.
pub async fn insert_and_fetch_many(
    db: impl PgExecutor<'_>,
    inserts: &[&Insert],
) -> sqlx::Result<Vec<Row>> {
    if let [one] = inserts {
        let row = insert_and_fetch(db, one.reporter, one.received_at, &one.row).await?;
        return Ok(row.into_iter().collect());
    }
    static SQL: LazyLock<String> = LazyLock::new(|| and_fetch(INSERT));
    let query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(SQL.as_str()));
    let rows: Vec<_> = inserts
        .iter()
        .map(|i| (i.reporter, i.received_at, &i.row))
        .collect();
    bind_rows(query, &rows).fetch_all(db).await
}

/// `insert` followed by the rows it inserted, read as [`fetch`] reads them; built once per
/// statement, not per request.
fn and_fetch(insert: &str) -> String {
    format!(
        "with inserted as ({insert} returning *) {}",
        select_from("inserted")
    )
}

/// Reporter and request hash of stored sightings, to tell replays from conflicts.
pub async fn fingerprints(
    db: impl PgExecutor<'_>,
    ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, Uuid, Vec<u8>)>> {
    sqlx::query_as("select id, reported_by, request_hash from sightings where id = any($1)")
        .bind(ids)
        .fetch_all(db)
        .await
}

/// A sighting as stored, with what it links to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub observed_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub people_count: i32,
    pub categories: Vec<String>,
    pub action_taken: String,
    pub notes: String,
    pub reported_by: Uuid,
    pub reporter: String,
    pub station_code: String,
    pub distance_m: f64,
    pub area_code: Option<String>,
    pub area_name: Option<String>,
    pub area_station: Option<String>,
    pub hotspot_id: Option<Uuid>,
    pub hotspot_name: Option<String>,
    pub hotspot_kind: Option<String>,
    pub hotspot_distance_m: Option<f64>,
    pub referral_id: Option<Uuid>,
    pub referral_priority: Option<String>,
    pub referral_status: Option<String>,
    pub items_given: serde_json::Value,
    pub redacted_at: Option<DateTime<Utc>>,
}

/// The columns of a [`Row`], from sightings aliased `s`.
const COLUMNS: &str = "s.id, s.observed_at, s.received_at,
        st_y(s.location::geometry) as lat, st_x(s.location::geometry) as lon, s.accuracy_m,
        s.people_count, s.categories, s.action_taken, s.notes, s.reported_by, u.username as reporter,
        s.station_code, s.distance_m, s.area_code, a.name as area_name, a.station_code as area_station,
        s.hotspot_id, h.name as hotspot_name, h.kind as hotspot_kind,
        st_distance(h.location, s.location) as hotspot_distance_m,
        r.id as referral_id, r.priority as referral_priority, r.status as referral_status, s.items_given,
        s.redacted_at";

/// What a [`Row`] is joined with.
const JOINS: &str = "join users u on u.id = s.reported_by
    left join areas a on a.code = s.area_code
    left join hotspots h on h.id = s.hotspot_id
    left join referrals r on r.sighting_id = s.id";

/// `select` of [`Row`]s from `source` (the table, or a CTE of its rows) aliased `s`.
fn select_from(source: &str) -> String {
    format!("select {COLUMNS} from {source} s {JOINS}")
}

static SELECT: LazyLock<String> = LazyLock::new(|| select_from("sightings"));

pub async fn fetch(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} where s.id = any($1)",
        *SELECT
    )))
    .bind(ids)
    .fetch_all(db)
    .await
}

/// What a list may be narrowed to; `None` means no restriction.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub station: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub bbox: Option<BBox>,
    pub limit: i64,
    pub offset: i64,
}

/// The sightings of `scope` that match the filter, newest first.
pub async fn list(db: impl PgExecutor<'_>, f: &Filter, scope: &Scope) -> sqlx::Result<Vec<Row>> {
    let b = f.bbox;
    let sql = format!(
        "{}
         where ($1::text is null or s.station_code = $1)
           and ($2::timestamptz is null or s.observed_at >= $2)
           and ($3::timestamptz is null or s.observed_at < $3)
           and ($4::float8 is null or st_intersects(s.location::geometry, st_makeenvelope($4, $5, $6, $7, 4326)))
           and {}
         order by s.observed_at desc, s.id
         limit $8 offset $9",
        *SELECT,
        scope.sighting_condition(10)
    );
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&f.station)
        .bind(f.from)
        .bind(f.to)
        .bind(b.map(|b| b.min_lon))
        .bind(b.map(|b| b.min_lat))
        .bind(b.map(|b| b.max_lon))
        .bind(b.map(|b| b.max_lat))
        .bind(f.limit)
        .bind(f.offset);
    scope::bind(query, scope).fetch_all(db).await
}

/// Whether the sighting `id` is in `scope`.
pub async fn visible(db: impl PgExecutor<'_>, id: Uuid, scope: &Scope) -> sqlx::Result<bool> {
    let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(
        "select exists (select 1 from sightings s where s.id = ",
    );
    qb.push_bind(id).push(" and ");
    scope.push_sighting_condition(&mut qb);
    qb.push(")");
    qb.build_query_scalar().fetch_one(db).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_back_reads_the_inserted_rows_not_the_table() {
        let sql = and_fetch(INSERT_ONE);
        assert!(sql.starts_with("with inserted as (insert into sightings"));
        assert!(sql.contains(" from inserted s join users u"), "{sql}");
        assert!(!sql.contains("from sightings s"), "{sql}");
        assert!(SELECT.contains(" from sightings s join users u"));
    }
}
