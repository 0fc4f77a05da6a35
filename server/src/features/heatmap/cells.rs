//! H3 cells: which cell a point falls in, the resolutions offered, and cell outlines.

use h3o::{CellIndex, LatLng, Resolution};

use crate::rules::geo::GeoPoint;
use crate::rules::listing::BBox;

/// The resolutions kept in the rollup, coarse to fine.
pub const RESOLUTIONS: [Resolution; 4] = [
    Resolution::Six,
    Resolution::Seven,
    Resolution::Eight,
    Resolution::Nine,
];

/// The resolution-9 cell of a point, as stored (H3 indexes fit in 63 bits).
pub fn r9(point: GeoPoint) -> Option<i64> {
    let cell = LatLng::new(point.lat(), point.lon())
        .ok()?
        .to_cell(Resolution::Nine);
    i64::try_from(u64::from(cell)).ok()
}

/// The stored cell's ancestor at `resolution`.
pub fn parent(r9: i64, resolution: Resolution) -> Option<i64> {
    let cell = CellIndex::try_from(u64::try_from(r9).ok()?).ok()?;
    i64::try_from(u64::from(cell.parent(resolution)?)).ok()
}

/// Flat-to-flat width of an average hexagon at `resolution`, in metres.
pub fn width_m(resolution: Resolution) -> f64 {
    resolution.edge_length_m() * 3f64.sqrt()
}

/// The resolution whose cells are closest in width to `cell_m`.
pub fn resolution_for(cell_m: f64) -> Resolution {
    RESOLUTIONS
        .into_iter()
        .min_by(|a, b| {
            (width_m(*a) / cell_m)
                .ln()
                .abs()
                .total_cmp(&(width_m(*b) / cell_m).ln().abs())
        })
        .unwrap_or(Resolution::Eight)
}

/// The cells at `resolution` that may reach into the box `(west, south, east, north)`: every
/// cell whose centre lies within a cell's width of it, sorted. `None` when that is over `most`
/// cells (a tile zoomed far out, which is cheaper to read whole).
pub fn covering(
    resolution: Resolution,
    bbox: (f64, f64, f64, f64),
    most: usize,
) -> Option<Vec<i64>> {
    centred(resolution, bbox, width_m(resolution), most)
}

/// The cells at `resolution` wholly inside the box, sorted (some near its edge may be left
/// out, none outside is taken in); `None` when there are none or over `most`.
pub fn inside(resolution: Resolution, bbox: BBox, most: usize) -> Option<Vec<i64>> {
    let bbox = (bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat);
    let margin = -INSIDE_EDGES * resolution.edge_length_m();
    // A city is tens of thousands of cells: walked two resolutions up (49 times fewer), the
    // cells deep inside are taken whole with their descendants and only those near the edge
    // are looked at one by one (33 ms to 4 ms for a city at 1 km).
    let up = u8::from(resolution).saturating_sub(2);
    let coarse = Resolution::try_from(up).ok().filter(|c| *c != resolution);
    let Some(coarse) = coarse else {
        return centred(resolution, bbox, margin, most).filter(|c| !c.is_empty());
    };
    let (dlat, dlon) = degrees(-margin, (bbox.1, bbox.3));
    let (w, s, e, n) = (bbox.0 + dlon, bbox.1 + dlat, bbox.2 - dlon, bbox.3 - dlat);
    if w > e || s > n {
        return None;
    }
    // How far a descendant's centre may lie from its ancestor's, with room to spare.
    let reach = 1.5 * coarse.edge_length_m();
    let (rlat, rlon) = degrees(reach, (s, n));
    let within = |p: LatLng, (w, s, e, n): (f64, f64, f64, f64)| {
        (s..=n).contains(&p.lat()) && (w..=e).contains(&p.lng())
    };
    let mut cells = Vec::new();
    for id in centred(coarse, (w, s, e, n), reach, most / 49)? {
        let Some(parent) = u64::try_from(id)
            .ok()
            .and_then(|c| CellIndex::try_from(c).ok())
        else {
            continue;
        };
        let deep = within(
            LatLng::from(parent),
            (w + rlon, s + rlat, e - rlon, n - rlat),
        );
        cells.extend(
            parent
                .children(resolution)
                .filter(|c| deep || within(LatLng::from(*c), (w, s, e, n)))
                .filter_map(|c| i64::try_from(u64::from(c)).ok()),
        );
    }
    cells.sort_unstable();
    cells.dedup();
    (!cells.is_empty()).then_some(cells)
}

/// A cell's points lie within about an edge's length of its centre (cells far from the
/// average are smaller or larger by a few percent in China); with this many edges of room
/// nothing is missed.
const INSIDE_EDGES: f64 = 1.5;

/// Strips along the inside of the box's four sides, wide enough to hold every point of every
/// cell that [`inside`] leaves out.
pub fn edge_strips(resolution: Resolution, b: BBox) -> [BBox; 4] {
    let (d_lat, d_lon) = degrees(
        2.0 * INSIDE_EDGES * resolution.edge_length_m(),
        (b.min_lat, b.max_lat),
    );
    let strip = |min_lon, min_lat, max_lon, max_lat| BBox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    };
    [
        strip(
            b.min_lon,
            (b.max_lat - d_lat).max(b.min_lat),
            b.max_lon,
            b.max_lat,
        ),
        strip(
            b.min_lon,
            b.min_lat,
            b.max_lon,
            (b.min_lat + d_lat).min(b.max_lat),
        ),
        strip(
            b.min_lon,
            b.min_lat,
            (b.min_lon + d_lon).min(b.max_lon),
            b.max_lat,
        ),
        strip(
            (b.max_lon - d_lon).max(b.min_lon),
            b.min_lat,
            b.max_lon,
            b.max_lat,
        ),
    ]
}

/// `metres` as degrees of latitude and of longitude between these latitudes.
fn degrees(metres: f64, (s, n): (f64, f64)) -> (f64, f64) {
    let lat = metres / 111_320.0;
    (lat, lat / s.abs().max(n.abs()).to_radians().cos().max(0.01))
}

/// The cells whose centre lies in the box grown by `margin_m` (shrunk, if negative), found by
/// walking out from the cell at the box's centre.
fn centre_within(cell: CellIndex, (w, s, e, n): (f64, f64, f64, f64)) -> bool {
    let p = LatLng::from(cell);
    (s..=n).contains(&p.lat()) && (w..=e).contains(&p.lng())
}

/// Whether `cell` is one [`covering`] would give for the box: the same test, for maps whose box
/// holds too many cells to list.
pub fn reaches_into(cell: i64, resolution: Resolution, bbox: BBox) -> bool {
    let (margin_lat, margin_lon) = degrees(width_m(resolution), (bbox.min_lat, bbox.max_lat));
    let grown = (
        bbox.min_lon - margin_lon,
        bbox.min_lat - margin_lat,
        bbox.max_lon + margin_lon,
        bbox.max_lat + margin_lat,
    );
    u64::try_from(cell)
        .ok()
        .and_then(|c| CellIndex::try_from(c).ok())
        .is_some_and(|c| centre_within(c, grown))
}

fn centred(
    resolution: Resolution,
    (w, s, e, n): (f64, f64, f64, f64),
    margin_m: f64,
    most: usize,
) -> Option<Vec<i64>> {
    let (margin_lat, margin_lon) = degrees(margin_m, (s, n));
    let (w, s, e, n) = (
        w - margin_lon,
        s - margin_lat,
        e + margin_lon,
        n + margin_lat,
    );
    if w > e || s > n {
        return Some(Vec::new());
    }
    let centre = LatLng::new((s + n) / 2.0, (w + e) / 2.0).ok()?;
    let corner = LatLng::new(s, w).ok()?;
    // A step between neighbours covers a width (less towards a corner of the hexagon, and the
    // width h3o gives is the average of the whole globe: Tai'an's cells are 13 % smaller); a
    // cell of the far corner lies within this many steps.
    let width = width_m(resolution);
    let steps = (centre.distance_m(corner) / (0.6 * width)).ceil() + 2.0;
    let k = u32::try_from(steps as i64).ok()?;
    // A disk of k rings holds 3k(k+1)+1 cells.
    if 3 * u64::from(k) * (u64::from(k) + 1) + 1 > most as u64 {
        return None;
    }
    let mut cells: Vec<i64> = centre
        .to_cell(resolution)
        .grid_disk::<Vec<_>>(k)
        .into_iter()
        .filter(|c| centre_within(*c, (w, s, e, n)))
        .filter_map(|c| i64::try_from(u64::from(c)).ok())
        .collect();
    cells.sort_unstable();
    Some(cells)
}

/// Runs of cell ids that hold `cells` (sorted) and not many others: the ids of all the
/// descendants of one ancestor at the cells' resolution, which H3 numbers one after another,
/// from ancestors coarse enough that there are at most [`MOST_RUNS`]. A rollup read by runs is
/// a few range scans instead of a probe per cell.
pub fn ranges(cells: &[i64]) -> Vec<(i64, i64)> {
    let cells: Vec<CellIndex> = cells
        .iter()
        .filter_map(|c| CellIndex::try_from(u64::try_from(*c).ok()?).ok())
        .collect();
    let Some(res) = cells.first().map(|c| c.resolution()) else {
        return Vec::new();
    };
    let mut up = u8::from(res);
    loop {
        let level = Resolution::try_from(up).unwrap_or(Resolution::Zero);
        let mut ancestors: Vec<CellIndex> = cells.iter().filter_map(|c| c.parent(level)).collect();
        ancestors.sort_unstable();
        ancestors.dedup();
        if ancestors.len() <= MOST_RUNS || up == 0 {
            let id = |c: CellIndex| i64::try_from(u64::from(c)).ok();
            return ancestors
                .into_iter()
                .filter_map(|a| {
                    let first = a.center_child(res)?;
                    let last = a.child_at(a.children_count(res) - 1, res)?;
                    Some((id(first)?, id(last)?))
                })
                .collect();
        }
        up -= 1;
    }
}

/// Runs a rollup read is cut into at most.
pub const MOST_RUNS: usize = 48;

/// The smallest box holding the outlines of `cells`.
pub fn envelope(cells: &[i64]) -> BBox {
    let mut b = BBox {
        min_lon: 180.0,
        min_lat: 90.0,
        max_lon: -180.0,
        max_lat: -90.0,
    };
    for [lon, lat] in cells.iter().flat_map(|c| ring(*c)) {
        b.min_lon = b.min_lon.min(lon);
        b.min_lat = b.min_lat.min(lat);
        b.max_lon = b.max_lon.max(lon);
        b.max_lat = b.max_lat.max(lat);
    }
    b
}

/// The cell's outline as a closed GeoJSON ring, `[lon, lat]` pairs.
pub fn ring(cell: i64) -> Vec<[f64; 2]> {
    let Some(cell) = u64::try_from(cell)
        .ok()
        .and_then(|c| CellIndex::try_from(c).ok())
    else {
        return Vec::new();
    };
    let mut ring: Vec<[f64; 2]> = cell.boundary().iter().map(|v| [v.lng(), v.lat()]).collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    ring
}

/// The cell's id as H3 tools print it.
pub fn hex(cell: i64) -> String {
    format!("{cell:x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaching_into_a_box_is_what_covering_lists() {
        let b = BBox {
            min_lon: 117.70,
            min_lat: 35.88,
            max_lon: 117.80,
            max_lat: 35.95,
        };
        let res = Resolution::Eight;
        let listed = covering(res, (b.min_lon, b.min_lat, b.max_lon, b.max_lat), 100_000).unwrap();
        let around = covering(res, (117.6, 35.8, 117.9, 36.05), 100_000).unwrap();
        for cell in around {
            assert_eq!(
                reaches_into(cell, res, b),
                listed.binary_search(&cell).is_ok(),
                "{cell}"
            );
        }
    }

    #[test]
    fn cell_sizes_map_to_the_nearest_resolution() {
        assert_eq!(resolution_for(250.0), Resolution::Nine);
        assert_eq!(resolution_for(1000.0), Resolution::Eight);
        assert_eq!(resolution_for(2500.0), Resolution::Seven);
        assert_eq!(resolution_for(5000.0), Resolution::Six);
    }

    #[test]
    fn a_point_has_one_cell_whose_parents_nest() {
        let p = GeoPoint::new(36.19, 117.12).unwrap();
        let c = r9(p).unwrap();
        assert_eq!(parent(c, Resolution::Nine), Some(c));
        let r7 = parent(c, Resolution::Seven).unwrap();
        assert_eq!(
            parent(parent(c, Resolution::Eight).unwrap(), Resolution::Seven),
            Some(r7)
        );
        assert_eq!(ring(c).len(), 7);
    }

    #[test]
    fn cells_inside_a_box_are_inside_and_the_strips_hold_the_rest() {
        let b = BBox {
            min_lon: 117.0,
            min_lat: 36.1,
            max_lon: 117.2,
            max_lat: 36.3,
        };
        for res in RESOLUTIONS {
            let inner = inside(res, b, 1_000_000).unwrap_or_default();
            let strips = edge_strips(res, b);
            let within = |b: &BBox, lon: f64, lat: f64| {
                (b.min_lon..=b.max_lon).contains(&lon) && (b.min_lat..=b.max_lat).contains(&lat)
            };
            for cell in &inner {
                assert!(ring(*cell).iter().all(|[lon, lat]| within(&b, *lon, *lat)));
            }
            for i in 0..=60 {
                for j in 0..=60 {
                    let lat = b.min_lat + (b.max_lat - b.min_lat) * f64::from(i) / 60.0;
                    let lon = b.min_lon + (b.max_lon - b.min_lon) * f64::from(j) / 60.0;
                    let cell =
                        i64::try_from(u64::from(LatLng::new(lat, lon).unwrap().to_cell(res)))
                            .unwrap();
                    assert!(
                        inner.binary_search(&cell).is_ok()
                            || strips.iter().any(|s| within(s, lon, lat)),
                        "{lat},{lon} at {res:?} is in no inner cell and no strip"
                    );
                }
            }
        }
        assert!(inside(Resolution::Eight, b, 1_000_000).unwrap().len() > 300);
        let small = BBox {
            max_lon: 117.02,
            max_lat: 36.12,
            ..b
        };
        assert!(
            inside(Resolution::Six, small, 1_000_000).is_none(),
            "no 6 km cell fits in 2 km"
        );
    }

    #[test]
    fn the_cover_of_a_box_holds_every_cell_that_reaches_into_it() {
        // A zoom-14 tile over Tai'an, and a box of a few kilometres at 1 km cells.
        for (res, bbox) in [
            (Resolution::Nine, (117.070, 36.175, 117.092, 36.193)),
            (Resolution::Eight, (117.0, 36.1, 117.2, 36.3)),
        ] {
            let cover = covering(res, bbox, 100_000).unwrap();
            let (w, s, e, n) = bbox;
            // Points on a fine grid over the box: the cell of each is in the cover.
            for i in 0..=40 {
                for j in 0..=40 {
                    let lat = s + (n - s) * f64::from(i) / 40.0;
                    let lon = w + (e - w) * f64::from(j) / 40.0;
                    let cell = LatLng::new(lat, lon).unwrap().to_cell(res);
                    let cell = i64::try_from(u64::from(cell)).unwrap();
                    assert!(cover.binary_search(&cell).is_ok(), "{lat},{lon} at {res:?}");
                }
            }
            // And it is not the whole disk: cells far from the box are left out.
            let far = LatLng::new(n + 1.0, e + 1.0).unwrap().to_cell(res);
            assert!(!cover.contains(&i64::try_from(u64::from(far)).unwrap()));
        }
        // Zoomed far out, the walk is refused rather than made.
        let runs =
            ranges(&covering(Resolution::Nine, (117.070, 36.175, 117.092, 36.193), 1000).unwrap());
        assert!((1..=MOST_RUNS).contains(&runs.len()), "{} runs", runs.len());
        assert_eq!(
            covering(Resolution::Six, (100.0, 20.0, 130.0, 45.0), 50_000),
            None
        );
    }
}
