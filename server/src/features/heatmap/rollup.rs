//! The daily and monthly rollups (`heat_cells`, `heat_cells_month`), kept by a worker of
//! `serve`: every insert drops its share into `heat_inbox` by trigger, with the row, and the
//! worker folds the inbox into the rollups in batches, off the writers' path. The backfill of
//! records older than heat-maps adds to them the same way.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
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

/// The first day of `day`'s month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Add reports to every resolution of the daily and the monthly rollup.
pub async fn add(conn: &mut PgConnection, layer: &str, items: &[Contribution]) -> sqlx::Result<()> {
    add_to(conn, "heat_cells", "day", layer, items, |d| d).await?;
    add_to(conn, "heat_cells_month", "month", layer, items, month_of).await
}

async fn add_to(
    conn: &mut PgConnection,
    table: &str,
    period: &str,
    layer: &str,
    items: &[Contribution],
    bucket: fn(NaiveDate) -> NaiveDate,
) -> sqlx::Result<()> {
    // Summed per key first, then written in key order: two transactions touching the same
    // cells lock them in the same order and cannot deadlock.
    let mut sums: BTreeMap<(i16, NaiveDate, i64), (i32, i32, i32)> = BTreeMap::new();
    for c in items {
        for resolution in RESOLUTIONS {
            let Some(cell) = cells::parent(c.r9, resolution) else {
                continue;
            };
            let e = sums
                .entry((i16::from(u8::from(resolution)), bucket(c.day), cell))
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
    // `table` and `period` are one of two fixed pairs, never input.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "insert into {table} (layer, resolution, {period}, cell, reports, people, special)
         select $1, u.r, u.d, u.c, u.n, u.p, u.s
         from unnest($2::int2[], $3::date[], $4::int8[], $5::int4[], $6::int4[], $7::int4[]) with ordinality
              as u(r, d, c, n, p, s, o)
         order by u.o
         on conflict (layer, resolution, {period}, cell) do update set
             reports = {table}.reports + excluded.reports,
             people = {table}.people + excluded.people,
             special = {table}.special + excluded.special"
    )))
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

/// Rows folded per transaction.
const DRAIN_BATCH: i64 = 5000;

/// Fold what waits in `heat_inbox` into the rollups, batch by batch, until it is empty; returns
/// how many shares were folded. Rows leave the inbox in the transaction that adds them to the
/// rollups, so a reader's snapshot counts each one exactly once.
pub async fn drain(db: &sqlx::PgPool) -> sqlx::Result<u64> {
    let mut folded = 0;
    loop {
        let mut tx = db.begin().await?;
        let rows: Vec<(String, NaiveDate, i64, i32, bool)> = sqlx::query_as(
            "delete from heat_inbox where id in (
                 select id from heat_inbox order by id limit $1 for update skip locked)
             returning layer, day, r9, people, special",
        )
        .bind(DRAIN_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let n = rows.len() as u64;
        for layer in ["sightings", "referrals"] {
            let items: Vec<Contribution> = rows
                .iter()
                .filter(|r| r.0 == layer)
                .map(|r| Contribution {
                    day: r.1,
                    r9: r.2,
                    people: r.3,
                    special: r.4,
                })
                .collect();
            add(&mut tx, layer, &items).await?;
        }
        tx.commit().await?;
        folded += n;
        if n < DRAIN_BATCH as u64 {
            return Ok(folded);
        }
    }
}

/// The rollup worker of `xunjiu serve`: drains the inbox every second.
pub async fn run(db: sqlx::PgPool) {
    loop {
        if let Err(err) = drain(&db).await {
            tracing::warn!(error = %err, "heat-map rollup pass failed; retrying");
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
