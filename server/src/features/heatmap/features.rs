//! A map's cells written as GeoJSON features, straight into the body rather than built as a
//! tree of JSON values first. A city map at 1 km is some 15,000 hexagons: their outlines are
//! computed and written on every core, off the async workers.

use std::fmt::Write as _;

use super::{Cell, cells};

/// Below this many cells one thread writes them all: starting threads costs more than it saves.
const CELLS_PER_THREAD: usize = 2_000;

/// The features of `cells`, comma-separated (the inside of a `features` array).
pub async fn write(cells: Vec<Cell>, coarse: bool) -> anyhow::Result<String> {
    if cells.len() < CELLS_PER_THREAD {
        return Ok(chunk(&cells, coarse));
    }
    Ok(tokio::task::spawn_blocking(move || in_parallel(&cells, coarse)).await?)
}

fn in_parallel(cells: &[Cell], coarse: bool) -> String {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = cores.min(cells.len().div_ceil(CELLS_PER_THREAD)).max(1);
    let per = cells.len().div_ceil(threads);
    let parts: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = cells
            .chunks(per)
            .map(|part| s.spawn(move || chunk(part, coarse)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    parts.join(",")
}

fn chunk(cells: &[Cell], coarse: bool) -> String {
    // Coordinates go through ryu: the standard library's float formatting was a third of the
    // 1 km city map's CPU time.
    let mut num = ryu::Buffer::new();
    let mut body = String::with_capacity(cells.len() * 430);
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(
            "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[",
        );
        for (j, [lon, lat]) in cells::ring(c.cell).iter().enumerate() {
            body.push_str(if j > 0 { ",[" } else { "[" });
            body.push_str(num.format(*lon));
            body.push(',');
            body.push_str(num.format(*lat));
            body.push(']');
        }
        let _ = write!(
            body,
            "]]}},\"properties\":{{\"cell\":\"{}\",\"count\":{},\"people\":{}",
            cells::hex(c.cell),
            c.reports,
            c.people,
        );
        if !coarse {
            let _ = write!(body, ",\"special_count\":{}", c.special);
        }
        body.push_str("}}");
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some_cells(n: usize) -> Vec<Cell> {
        let b = crate::rules::listing::BBox {
            min_lon: 116.3,
            min_lat: 35.6,
            max_lon: 118.0,
            max_lat: 36.5,
        };
        let found = cells::inside(h3o::Resolution::Eight, b, 1_000_000).unwrap_or_default();
        found
            .into_iter()
            .take(n)
            .enumerate()
            .map(|(i, cell)| Cell {
                cell,
                reports: i as i64 + 1,
                people: 2,
                special: 0,
            })
            .collect()
    }

    #[test]
    fn parts_written_in_parallel_make_the_same_array_as_one_thread() {
        let cells = some_cells(5 * CELLS_PER_THREAD + 17);
        assert_eq!(cells.len(), 5 * CELLS_PER_THREAD + 17);
        let one = chunk(&cells, false);
        let many = in_parallel(&cells, false);
        assert_eq!(one, many);
        let parsed: serde_json::Value =
            serde_json::from_str(&format!("[{many}]")).expect("valid JSON");
        let features = parsed.as_array().expect("an array");
        assert_eq!(features.len(), cells.len());
        assert_eq!(features[17]["properties"]["count"], 18);
        assert_eq!(
            features[0]["geometry"]["coordinates"][0]
                .as_array()
                .map(Vec::len),
            Some(7)
        );
    }
}
