//! Heat-maps of where people are found: H3 hexagons with exact counts, as GeoJSON.

pub mod backfill;
pub mod cells;
pub mod db;
pub mod features;
pub mod picture;
pub mod rollup;
pub mod tiles;

use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use h3o::Resolution;
use serde::Deserialize;
use serde_json::json;

use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::ApiQuery;
use crate::plumbing::state::AppState;
use crate::rules::geojson::GeoJsonText;
use crate::rules::listing::{self, BBox};
use crate::rules::local_day;
use crate::rules::scope::{self, Scope};
use crate::rules::season;
pub use cells::r9;
pub use db::Layer;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/heatmap", get(heatmap))
        .route("/api/v1/heatmap.png", get(picture::heatmap_png))
        .route("/tiles/{layer}/{z}/{x}/{y_mvt}", get(tiles::heatmap_tile))
}

/// Parameters shared by the heat-map, its tiles and its picture.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MapQuery {
    /// A campaign id (`winter-2026`); or give `from`/`to`. Default: the campaign now running,
    /// else the last 30 days.
    pub campaign: Option<String>,
    /// RFC 3339, inclusive.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub to: Option<String>,
    /// `sightings` (default) or `referrals`.
    pub layer: Option<String>,
    /// Approximate cell width in metres, 250 to 5000 (default 1000); the nearest H3 resolution
    /// (6 to 9) is used and named in the answer.
    #[param(value_type = Option<f64>)]
    pub cell_m: Option<String>,
    /// `minLon,minLat,maxLon,maxLat`: only records inside it.
    pub bbox: Option<String>,
}

/// A checked query.
#[derive(Debug, Clone)]
pub struct MapSpec {
    pub layer: Layer,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub campaign: Option<String>,
    pub resolution: Resolution,
    pub bbox: Option<BBox>,
    /// Only these cells (sorted), as a tile asks: the rollups are read for them alone, and raw
    /// rows only around them, so a tile costs the same whatever the size of the city.
    pub cells: Option<Vec<i64>>,
    /// The records counted: a duty officer's station, a county supervisor's county, or the city.
    pub scope: Scope,
    /// For roles that do not act on individual reports: no cell with fewer than
    /// [`COARSE_MIN_REPORTS`] reports, no special-target counts, windows of whole local days
    /// (one at least), boxes of whole cells.
    pub coarse: bool,
    /// A coarse box holding too many cells to list: the cells that reach into it, counted whole,
    /// are kept after counting.
    pub whole_cells_near: Option<BBox>,
}

/// Past this many cells to walk (a box over a province at 250 m), a boxed map reads raw rows
/// instead.
const MOST_INNER_CELLS: usize = 500_000;

/// Fewer reports than this in a cell would point at a person, for coarse maps.
pub const COARSE_MIN_REPORTS: i64 = 3;
/// The shortest window a coarse map covers.
pub const COARSE_MIN_WINDOW: Duration = Duration::hours(24);

/// One cell with data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub cell: i64,
    pub reports: i64,
    pub people: i64,
    pub special: i64,
}

impl MapSpec {
    pub fn parse(q: &MapQuery, now: DateTime<Utc>) -> Result<Self> {
        let layer = match q.layer.as_deref().filter(|s| !s.is_empty()) {
            None | Some("sightings") => Layer::Sightings,
            Some("referrals") => Layer::Referrals,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_layer",
                    "layer is sightings or referrals",
                ));
            }
        };
        let cell_m = match q.cell_m.as_deref().filter(|s| !s.is_empty()) {
            None => 1000.0,
            Some(t) => t
                .parse::<f64>()
                .ok()
                .filter(|m| (250.0..=5000.0).contains(m))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_cell_size",
                        "cell_m must be between 250 and 5000",
                    )
                })?,
        };
        let (from, to, campaign) = match q.campaign.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => {
                let c = season::parse(id).ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_campaign",
                        "campaign is like winter-2026 or summer-2026",
                    )
                })?;
                (c.starts_at, c.ends_at, Some(c.id))
            }
            None => match listing::time_window(q.from.as_deref(), q.to.as_deref())? {
                (None, None) => match season::at(now) {
                    Some(c) => (c.starts_at, c.ends_at, Some(c.id)),
                    None => (now - Duration::days(30), now, None),
                },
                (from, to) => (
                    from.unwrap_or(now - Duration::days(30)),
                    to.unwrap_or(now),
                    None,
                ),
            },
        };
        if from > to {
            return Err(ApiError::bad_request("invalid_time", "from is after to"));
        }
        Ok(Self {
            layer,
            from,
            to,
            campaign,
            resolution: cells::resolution_for(cell_m),
            bbox: listing::bbox(q.bbox.as_deref())?,
            cells: None,
            scope: Scope::City,
            coarse: true,
            whole_cells_near: None,
        })
    }

    /// Parse the query for `user`: exact maps of their scope for duty officers and supervisors,
    /// coarse city maps for everyone else (422 `window_too_short` under a day).
    pub fn for_reader(q: &MapQuery, now: DateTime<Utc>, user: &CurrentUser) -> Result<Self> {
        let mut spec = Self::parse(q, now)?;
        if scope::sees_exact_maps(user) {
            spec.coarse = false;
            spec.scope = match spec.layer {
                Layer::Sightings => Scope::sightings(user),
                Layer::Referrals => Scope::referrals(user),
            };
        } else if spec.to - spec.from < COARSE_MIN_WINDOW {
            return Err(ApiError::unprocessable(
                "window_too_short",
                "maps for this role cover at least 24 hours",
            ));
        } else {
            spec.widen_to_whole_days_and_cells();
        }
        Ok(spec)
    }

    /// A coarse map's window and box grown so that no edge falls between two reports: sliding
    /// an end by seconds or a box edge across a cell cannot single one out.
    fn widen_to_whole_days_and_cells(&mut self) {
        self.from = local_day::local_midnight(local_day::local_date(self.from));
        let last = local_day::local_date(self.to);
        if local_day::local_midnight(last) != self.to {
            self.to = local_day::local_midnight(last + Duration::days(1));
        }
        if let Some(b) = self.bbox.take() {
            let bounds = (b.min_lon, b.min_lat, b.max_lon, b.max_lat);
            self.cells = cells::covering(self.resolution, bounds, MOST_INNER_CELLS);
            if self.cells.is_none() {
                self.whole_cells_near = Some(b);
            }
        }
    }
}

/// Cells with data, exact: each record counts in the one cell its point falls in.
pub async fn aggregate(state: &AppState, spec: &MapSpec) -> Result<Vec<Cell>> {
    let wanted = spec.cells.as_deref();
    let mut sums: HashMap<i64, Cell> = HashMap::new();
    let mut add = |cell: i64, reports: i64, people: i64, special: i64| {
        if wanted.is_some_and(|w| w.binary_search(&cell).is_err()) {
            return;
        }
        let e = sums.entry(cell).or_insert(Cell {
            cell,
            reports: 0,
            people: 0,
            special: 0,
        });
        e.reports += reports;
        e.people += people;
        e.special += special;
    };
    // One snapshot for every query: the rollup worker moves shares from the inbox to the
    // rollups meanwhile, and each must be counted in exactly one of them.
    let mut tx = state.reads().begin().await?;
    sqlx::query("set transaction isolation level repeatable read, read only")
        .execute(&mut *tx)
        .await?;
    // The rollups hold every resolution in one table: a generic plan, chosen once a prepared
    // statement has run five times, cannot see which resolution is asked for and scanned far
    // more rows (the 1 km city map took 294 ms against 218 ms planned each time). And no JIT:
    // the planner cannot tell how few cells a run of ids holds, guesses millions of rows, and
    // compiled for 150 ms a tile query that reads 500 rows in 1 ms.
    sqlx::query(
        "select set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)",
    )
    .execute(&mut *tx)
    .await?;
    // On a city map with a box, the cells wholly inside it come from the rollups and the
    // records of the rest from raw rows in strips along the box's sides.
    let inner = match (spec.bbox, &spec.scope, wanted) {
        (Some(b), Scope::City, None) => cells::inside(spec.resolution, b, MOST_INNER_CELLS),
        _ => None,
    };
    let from_rollups = wanted.or(inner.as_deref());
    let mut raw_ranges = Vec::new();
    // The rollups are city-wide: a map of one station or county counts its raw rows.
    let whole = match spec.scope {
        Scope::City if spec.bbox.is_none() || inner.is_some() => whole_days(spec.from, spec.to),
        _ => None,
    };
    match whole {
        // Whole local months from the monthly rollup, the other whole days from the daily
        // one, the ragged ends from raw rows.
        Some((first, end)) => {
            let res = i16::from(u8::from(spec.resolution));
            let spans = match whole_months(first, end) {
                Some((m0, m1)) => vec![((m0, m1), true), ((first, m0), false), ((m1, end), false)],
                None => vec![((first, end), false)],
            };
            let runs = from_rollups.map(cells::ranges);
            let taken = |cell: i64| from_rollups.is_none_or(|c| c.binary_search(&cell).is_ok());
            for (span, monthly) in spans.into_iter().filter(|((a, b), _)| a < b) {
                for (cell, reports, people, special) in
                    db::rollup(&mut *tx, spec.layer, res, span, monthly, runs.as_deref()).await?
                {
                    if taken(cell) {
                        add(cell, reports, people, special);
                    }
                }
            }
            for (r9, people, special) in db::inbox(&mut *tx, spec.layer, (first, end)).await? {
                if let Some(cell) = cells::parent(r9, spec.resolution).filter(|c| taken(*c)) {
                    add(cell, 1, i64::from(people), i64::from(special));
                }
            }
            let (start, stop) = (
                local_day::local_midnight(first),
                local_day::local_midnight(end),
            );
            if let (Some(b), Some(inner)) = (spec.bbox, &inner) {
                let strips = cells::edge_strips(spec.resolution, b);
                for (r9, people, special) in
                    db::raw(&mut *tx, spec.layer, start, stop, &strips, &spec.scope).await?
                {
                    // The strips lie inside the box; the inner cells are counted already.
                    let cell = cells::parent(r9, spec.resolution);
                    if let Some(cell) = cell.filter(|c| inner.binary_search(c).is_err()) {
                        add(cell, 1, i64::from(people), i64::from(special));
                    }
                }
            }
            raw_ranges.push((spec.from, start));
            raw_ranges.push((stop, spec.to));
        }
        None => raw_ranges.push((spec.from, spec.to)),
    }
    let raw_ranges: Vec<_> = raw_ranges.into_iter().filter(|(f, t)| f < t).collect();
    // Raw rows of the wanted cells lie inside the cells' outlines (drawn only when read: a
    // campaign's tile has no ragged ends).
    let boxes: Vec<BBox> = if raw_ranges.is_empty() {
        Vec::new()
    } else {
        spec.bbox
            .or_else(|| wanted.map(cells::envelope))
            .into_iter()
            .collect()
    };
    for (from, to) in raw_ranges {
        for (r9, people, special) in
            db::raw(&mut *tx, spec.layer, from, to, &boxes, &spec.scope).await?
        {
            if let Some(cell) = cells::parent(r9, spec.resolution) {
                add(cell, 1, i64::from(people), i64::from(special));
            }
        }
    }
    let least = if spec.coarse { COARSE_MIN_REPORTS } else { 1 };
    let near = |c: &Cell| {
        spec.whole_cells_near
            .is_none_or(|b| cells::reaches_into(c.cell, spec.resolution, b))
    };
    let mut cells: Vec<Cell> = sums
        .into_values()
        .filter(|c| c.reports >= least && near(c))
        .map(|c| Cell {
            special: if spec.coarse { 0 } else { c.special },
            ..c
        })
        .collect();
    cells.sort_by_key(|c| c.cell);
    Ok(cells)
}

/// The months wholly inside the days `[first, end)`, as first days `[m0, m1)`.
fn whole_months(first: NaiveDate, end: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let m0 = if first.day() == 1 {
        first
    } else {
        rollup::month_of(first).checked_add_months(chrono::Months::new(1))?
    };
    let m1 = rollup::month_of(end);
    (m0 < m1).then_some((m0, m1))
}

/// The local days wholly inside `[from, to)`, as `[first, end)`.
fn whole_days(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<(NaiveDate, NaiveDate)> {
    let mut first = local_day::local_date(from);
    if local_day::local_midnight(first) < from {
        first = first.succ_opt()?;
    }
    let end = local_day::local_date(to);
    (first < end).then_some((first, end))
}

/// Hexagonal cells with the number of reports (`count`), people and special targets in each;
/// only cells with data. The sum of `count` equals the number of matching records. Duty
/// officers see their station's records and county supervisors their county's; other roles
/// get city maps of at least 24 hours without cells under 3 reports or `special_count`.
#[utoipa::path(get, path = "/api/v1/heatmap", tag = "maps", security(("bearer" = [])), params(MapQuery),
    responses((status = 200, description = "RFC 7946 FeatureCollection of H3 hexagons", content_type = "application/geo+json", body = mobile_api::HeatmapCollection),
              (status = 400, description = "invalid_layer, invalid_cell_size, invalid_campaign, invalid_time, invalid_bbox", body = mobile_api::ErrorBody),
              (status = 422, description = "window_too_short: under 24 hours for a role with coarse maps", body = mobile_api::ErrorBody)))]
pub async fn heatmap(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<MapQuery>,
) -> Result<GeoJsonText> {
    let spec = MapSpec::for_reader(&query, state.clock.now(), &user)?;
    let cells = aggregate(&state, &spec).await?;
    let total: i64 = cells.iter().map(|c| c.reports).sum();
    let head = json!({
        "type": "FeatureCollection",
        "layer": spec.layer.name(),
        "count_of": "reports",
        "resolution": u8::from(spec.resolution),
        "cell_width_m": cells::width_m(spec.resolution).round(),
        "campaign": spec.campaign,
        "from": spec.from,
        "to": spec.to,
        "total": total,
        "coarse": spec.coarse,
    })
    .to_string();
    let features = features::write(cells, spec.coarse).await?;
    let mut body = String::with_capacity(head.len() + features.len() + 16);
    body.push_str(head.trim_end_matches('}'));
    body.push_str(",\"features\":[");
    body.push_str(&features);
    body.push_str("]}");
    Ok(GeoJsonText(body))
}
