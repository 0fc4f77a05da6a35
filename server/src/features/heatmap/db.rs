//! Heat-map reads: whole local days from the rollup, everything else from raw rows.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

use crate::rules::listing::BBox;
use crate::rules::scope::{self, Scope};

/// Which records a map counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Sightings,
    Referrals,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Sightings => "sightings",
            Layer::Referrals => "referrals",
        }
    }

    /// Table, its alias, and the time that places a record in a period.
    fn source(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Layer::Sightings => ("sightings", "s", "observed_at"),
            Layer::Referrals => ("referrals", "r", "reported_at"),
        }
    }
}

/// Per-cell sums: `(cell, reports, people, special)`.
pub type Sums = Vec<(i64, i64, i64, i64)>;

/// Sums over `[first, end)` from the daily rollup, or with `monthly` from the monthly one
/// (then both ends are first days of months); with `ranges`, of the cells inside them alone
/// (each `(first, last)` a run of cell ids, see [`super::cells::ranges`]).
pub async fn rollup(
    db: impl PgExecutor<'_>,
    layer: Layer,
    resolution: i16,
    days: (NaiveDate, NaiveDate),
    monthly: bool,
    ranges: Option<&[(i64, i64)]>,
) -> sqlx::Result<Sums> {
    let (table, period) = if monthly {
        ("heat_cells_month", "month")
    } else {
        ("heat_cells", "day")
    };
    let Some(ranges) = ranges else {
        return sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select cell, sum(reports)::int8, sum(people)::int8, sum(special)::int8 from {table}
             where layer = $1 and resolution = $2 and {period} >= $3 and {period} < $4
             group by cell"
        )))
        .bind(layer.name())
        .bind(resolution)
        .bind(days.0)
        .bind(days.1)
        .fetch_all(db)
        .await;
    };
    // Each period named, so that for each run the key (layer, resolution, period, cell) is
    // searched for the run's first cell and read to its last: a range scan per period and run.
    let mut periods = Vec::new();
    let mut at = days.0;
    while at < days.1 {
        periods.push(at);
        at = if monthly {
            at.checked_add_months(chrono::Months::new(1))
        } else {
            at.succ_opt()
        }
        .unwrap_or(days.1);
    }
    let (firsts, lasts): (Vec<i64>, Vec<i64>) = ranges.iter().copied().unzip();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select h.cell, sum(h.reports)::int8, sum(h.people)::int8, sum(h.special)::int8
         from unnest($4::int8[], $5::int8[]) r(lo, hi)
         join {table} h on h.layer = $1 and h.resolution = $2 and h.{period} = any($3)
                       and h.cell between r.lo and r.hi
         group by h.cell"
    )))
    .bind(layer.name())
    .bind(resolution)
    .bind(periods)
    .bind(firsts)
    .bind(lasts)
    .fetch_all(db)
    .await
}

/// Raw records of `scope` in `[from, to)` and, unless `boxes` is empty, inside one of them:
/// `(r9 cell, people, special)` each.
pub async fn raw(
    db: impl PgExecutor<'_>,
    layer: Layer,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    boxes: &[BBox],
    scope: &Scope,
) -> sqlx::Result<Vec<(i64, i32, bool)>> {
    let (table, alias, time) = layer.source();
    let in_scope = match layer {
        Layer::Sightings => scope.sighting_condition(7),
        Layer::Referrals => scope.referral_condition(7),
    };
    // One `&&` per box, joined by `or`: each can use the geometry index on its own (a bitmap
    // of several index scans), which a test against an array of boxes could not.
    let place = if boxes.is_empty() {
        "true".to_owned()
    } else {
        (1..=boxes.len())
            .map(|i| {
                format!("{alias}.location::geometry && st_makeenvelope($3[{i}], $4[{i}], $5[{i}], $6[{i}], 4326)")
            })
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let side = |f: fn(&BBox) -> f64| boxes.iter().map(f).collect::<Vec<f64>>();
    // `table`, `alias` and `time` come from the match above, never from input.
    let query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {alias}.h3_r9, {alias}.people_count,
                is_special({alias}.categories) from {table} {alias}
         where {alias}.{time} >= $1 and {alias}.{time} < $2 and {alias}.h3_r9 is not null
           and ({place})
           and {in_scope}"
    )))
    .bind(from)
    .bind(to)
    .bind(side(|b| b.min_lon))
    .bind(side(|b| b.min_lat))
    .bind(side(|b| b.max_lon))
    .bind(side(|b| b.max_lat));
    scope::bind(query, scope).fetch_all(db).await
}

/// Shares still in `heat_inbox` for local days `[first, end)`: `(r9 cell, people, special)`.
pub async fn inbox(
    db: impl PgExecutor<'_>,
    layer: Layer,
    days: (NaiveDate, NaiveDate),
) -> sqlx::Result<Vec<(i64, i32, bool)>> {
    sqlx::query_as(
        "select r9, people, special from heat_inbox where layer = $1 and day >= $2 and day < $3",
    )
    .bind(layer.name())
    .bind(days.0)
    .bind(days.1)
    .fetch_all(db)
    .await
}

/// The county outlines, simplified for a picture, as GeoJSON geometries.
pub async fn outlines(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<serde_json::Value>> {
    sqlx::query_scalar(
        "select st_asgeojson(st_simplify(boundary, 0.0005), 5)::json from areas order by code",
    )
    .fetch_all(db)
    .await
}

/// `(lon, lat)` of every active hotspot.
pub async fn active_hotspots(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(f64, f64)>> {
    sqlx::query_as(
        "select st_x(location::geometry), st_y(location::geometry) from hotspots where active",
    )
    .fetch_all(db)
    .await
}
