//! Cells for records stored before heat-maps existed: computed at start-up, in batches, with
//! their rollup, so an upgraded database's maps count everything.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::cells;
use super::db::Layer;
use super::rollup::{self, Contribution};
use crate::rules::geo::GeoPoint;
use crate::rules::local_day;

/// A record without a cell: id, lat, lon, time, people, categories.
type Pending = (Uuid, f64, f64, DateTime<Utc>, i32, Vec<String>);

/// Fill every missing cell; returns how many records were filled.
pub async fn run(db: &sqlx::PgPool) -> anyhow::Result<u64> {
    let mut filled = 0;
    for layer in [Layer::Sightings, Layer::Referrals] {
        let (table, time) = match layer {
            Layer::Sightings => ("sightings", "observed_at"),
            Layer::Referrals => ("referrals", "reported_at"),
        };
        loop {
            let mut tx = db.begin().await?;
            // `table` and `time` come from the match above.
            let rows: Vec<Pending> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "select id, st_y(location::geometry), st_x(location::geometry), {time}, people_count, categories
                 from {table} where h3_r9 is null limit 2000 for update skip locked"
            )))
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            let mut ids = Vec::new();
            let mut r9s = Vec::new();
            let mut contributions = Vec::new();
            for (id, lat, lon, at, people, categories) in &rows {
                let Some(r9) = GeoPoint::new(*lat, *lon).ok().and_then(cells::r9) else {
                    continue;
                };
                ids.push(*id);
                r9s.push(r9);
                contributions.push(Contribution {
                    day: local_day::local_date(*at),
                    r9,
                    people: *people,
                    special: crate::rules::intake::is_special(categories),
                });
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "update {table} t set h3_r9 = u.c from unnest($1::uuid[], $2::int8[]) as u(id, c) where t.id = u.id"
            )))
            .bind(&ids)
            .bind(&r9s)
            .execute(&mut *tx)
            .await?;
            rollup::add(&mut tx, layer.name(), &contributions).await?;
            tx.commit().await?;
            filled += ids.len() as u64;
            if ids.len() < rows.len() {
                break;
            }
        }
    }
    Ok(filled)
}
