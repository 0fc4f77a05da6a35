//! H3 cells: which cell a point falls in, the resolutions offered, and cell outlines.

use h3o::{CellIndex, LatLng, Resolution};

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
}
