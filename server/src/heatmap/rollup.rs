//! Keeping `heat_cells` in step with inserts, in the inserting transaction.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::PgConnection;

use super::cells::{self, RESOLUTIONS};

/// One new report's share of the map.
#[derive(Debug, Clone, Copy)]
pub struct Contribution {
    pub day: NaiveDate,
    pub r9: i64,
    pub people: i32,
    pub special: bool,
}

/// Categories that make a report count as special on the map.
pub fn is_special(categories: &[String]) -> bool {
    categories
        .iter()
        .any(|c| matches!(c.as_str(), "minor" | "elderly" | "mental_disorder"))
}

/// Add reports to every resolution of the rollup.
pub async fn add(conn: &mut PgConnection, layer: &str, items: &[Contribution]) -> sqlx::Result<()> {
    // Summed per key first, then written in key order: two transactions touching the same
    // cells lock them in the same order and cannot deadlock.
    let mut sums: BTreeMap<(i16, NaiveDate, i64), (i32, i32, i32)> = BTreeMap::new();
    for c in items {
        for resolution in RESOLUTIONS {
            let Some(cell) = cells::parent(c.r9, resolution) else {
                continue;
            };
            let e = sums
                .entry((i16::from(u8::from(resolution)), c.day, cell))
                .or_default();
            e.0 += 1;
            e.1 += c.people;
            e.2 += i32::from(c.special);
        }
    }
    if sums.is_empty() {
        return Ok(());
    }
    let keys: Vec<_> = sums.keys().copied().collect();
    let values: Vec<_> = sums.values().copied().collect();
    sqlx::query(
        "insert into heat_cells (layer, resolution, day, cell, reports, people, special)
         select $1, u.r, u.d, u.c, u.n, u.p, u.s
         from unnest($2::int2[], $3::date[], $4::int8[], $5::int4[], $6::int4[], $7::int4[]) with ordinality
              as u(r, d, c, n, p, s, o)
         order by u.o
         on conflict (layer, resolution, day, cell) do update set
             reports = heat_cells.reports + excluded.reports,
             people = heat_cells.people + excluded.people,
             special = heat_cells.special + excluded.special",
    )
    .bind(layer)
    .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.2).collect::<Vec<_>>())
    .bind(values.iter().map(|v| v.0).collect::<Vec<_>>())
    .bind(values.iter().map(|v| v.1).collect::<Vec<_>>())
    .bind(values.iter().map(|v| v.2).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
