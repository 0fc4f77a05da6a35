//! H3 cells: which cell a point falls in, the resolutions offered, and cell outlines.

use h3o::{CellIndex, LatLng, Resolution};

use crate::listing::BBox;
use crate::routing::GeoPoint;

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
/// cell whose centre lies within a cell's width of it, sorted. Found by walking out from the cell
/// at the box's centre; `None` when that walk would pass `most` cells (a tile zoomed far out,
/// which is cheaper to read whole).
pub fn covering(
    resolution: Resolution,
    (w, s, e, n): (f64, f64, f64, f64),
    most: usize,
) -> Option<Vec<i64>> {
    let width = width_m(resolution);
    let margin_lat = width / 111_320.0;
    let margin_lon = margin_lat / s.abs().max(n.abs()).to_radians().cos().max(0.01);
    let centre = LatLng::new((s + n) / 2.0, (w + e) / 2.0).ok()?;
    let corner = LatLng::new(s - margin_lat, w - margin_lon).ok()?;
    // Neighbouring centres are about a width apart; a cell of the far corner lies within this
    // many steps, with room for cells smaller than the average.
    let steps = (centre.distance_m(corner) / (0.8 * width)).ceil() + 2.0;
    let k = u32::try_from(steps as i64).ok()?;
    // A disk of k rings holds 3k(k+1)+1 cells.
    if 3 * u64::from(k) * (u64::from(k) + 1) + 1 > most as u64 {
        return None;
    }
    let inside = |c: &CellIndex| {
        let p = LatLng::from(*c);
        (s - margin_lat..=n + margin_lat).contains(&p.lat())
            && (w - margin_lon..=e + margin_lon).contains(&p.lng())
    };
    let mut cells: Vec<i64> = centre
        .to_cell(resolution)
        .grid_disk::<Vec<_>>(k)
        .into_iter()
        .filter(inside)
        .filter_map(|c| i64::try_from(u64::from(c)).ok())
        .collect();
    cells.sort_unstable();
    Some(cells)
}

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
        assert_eq!(
            covering(Resolution::Six, (100.0, 20.0, 130.0, 45.0), 50_000),
            None
        );
    }
}
