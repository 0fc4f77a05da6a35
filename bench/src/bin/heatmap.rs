//! Heat-map at scale: load N synthetic sightings (default 1,000,000) into a fresh database,
//! time the service's city-wide heat-map over HTTP, and in the same run the naive query
//! (`ST_HexagonGrid` joined to the raw points), with and without a usable index. Prints ratios.
//!
//! `cargo run --release -p xunjiu-bench --bin heatmap -- --rows 1000000`
//!
//! With `--province`, the sightings are spread over sixteen copies of Tai'an laid side by side
//! (a province's area, about Shandong's) with 200 stations, and the figures are those a province
//! deployment needs: one city's 1 km map (a box around it), zoom-14 tiles, and the 5 km map of
//! the whole province.
//!
//! `cargo run --release -p xunjiu-bench --bin heatmap -- --province --rows 10000000 --keep`

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{TimeZone, Utc};
use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use xunjiu_bench::{BenchDatabase, PASSWORD, account};
use xunjiu_server::features::heatmap::cells::{self, RESOLUTIONS};
use xunjiu_server::features::heatmap::rollup;
use xunjiu_server::features::users;
use xunjiu_server::plumbing::clock::ManualClock;
use xunjiu_server::plumbing::config::Settings;
use xunjiu_server::rules::geo::GeoPoint;
use xunjiu_server::rules::season;
use xunjiu_server::{AppState, app};

#[derive(Debug, Parser)]
struct Args {
    /// Sightings to load.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Timed requests per measurement (the median is reported).
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Seconds the naive query may run before it is reported as timed out.
    #[arg(long, default_value_t = 300)]
    naive_timeout_s: u64,
    /// Leave the loaded database behind for a later `--reuse` (the naive run's index is dropped).
    #[arg(long)]
    keep: bool,
    /// Time against the database an earlier `--keep` run left, if it holds `--rows` sightings,
    /// instead of loading afresh.
    #[arg(long)]
    reuse: bool,
    /// Sixteen cities' worth of area and 200 stations; the province's figures.
    #[arg(long)]
    province: bool,
    /// Server URL whose maintenance database creates the bench database.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/xunjiu"
    )]
    database_url: String,
}

const BENCH_DB: &str = "xunjiu_bench_heatmap";
const PROVINCE_DB: &str = "xunjiu_bench_province";

/// Tai'an's extent, where the sightings of city 0 fall; the others are copies of it shifted by
/// [`city_offset`].
const TAIAN: (f64, f64, f64, f64) = (116.05, 35.55, 118.15, 36.55);

/// How far city `c` of 16 lies from Tai'an, in degrees of longitude and latitude: a 4 × 4 grid
/// from 113.95 to 122.35 E and 34.55 to 38.55 N (Shandong is 114.8–122.7 E, 34.4–38.4 N), with
/// city 0 Tai'an itself.
fn city_offset(c: usize) -> (f64, f64) {
    const STEPS: [f64; 4] = [0.0, -1.0, 1.0, 2.0];
    (STEPS[c % 4] * 2.1, STEPS[(c / 4) % 4])
}

impl Args {
    fn database(&self) -> &'static str {
        if self.province { PROVINCE_DB } else { BENCH_DB }
    }

    fn cities(&self) -> usize {
        if self.province { 16 } else { 1 }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bench = match reused(&args).await? {
        Some(bench) => {
            println!("reusing the {} sightings in {}", args.rows, args.database());
            bench
        }
        None => {
            let bench = BenchDatabase::create(&args.database_url, args.database(), 8).await?;
            if args.province {
                xunjiu_bench::add_province_stations(&bench.pool, 200).await?;
            }
            let reporter = users::add(
                &bench.pool,
                account("bench-patrol", mobile_api::Role::Patrol, None),
            )
            .await?;
            users::add(
                &bench.pool,
                account("bench-supervisor", mobile_api::Role::Supervisor, None),
            )
            .await?;
            let t = Instant::now();
            load(&bench.pool, reporter, args.rows, args.cities()).await?;
            println!(
                "loaded {} sightings and their rollup in {:.1} s",
                args.rows,
                t.elapsed().as_secs_f64()
            );
            bench
        }
    };
    let pool = bench.pool.clone();

    // The service, in-process on a real socket, its clock inside the campaign.
    let clock = ManualClock::at(
        Utc.with_ymd_and_hms(2027, 1, 15, 4, 0, 0)
            .single()
            .context("clock")?,
    );
    let state = AppState::load(pool.clone(), Settings::default(), Arc::new(clock)).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "bench-supervisor", "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().context("login")?.to_owned();

    if args.province {
        let report = province(&args, &pool, &client, &format!("http://{addr}"), &token).await?;
        println!("{report}");
        if !args.keep {
            drop(pool);
            bench.drop_database().await?;
        }
        return Ok(());
    }
    let mut report = String::new();
    writeln!(report, "| measurement | median | runs |")?;
    writeln!(report, "| --- | --- | --- |")?;
    let mut service_1000 = Duration::ZERO;
    for cell_m in [5000, 1000, 250] {
        let url = format!("http://{addr}/api/v1/heatmap?campaign=winter-2026&cell_m={cell_m}");
        let mut times = Vec::new();
        let mut cells = 0;
        for _ in 0..args.runs {
            let t = Instant::now();
            let bytes = client
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            times.push(t.elapsed());
            // Checked outside the timing: parsing 5 MB of GeoJSON is the client's cost, not the
            // service's.
            let body: serde_json::Value = serde_json::from_slice(&bytes)?;
            anyhow::ensure!(
                body["total"].as_u64() == Some(args.rows as u64),
                "the map must count every sighting"
            );
            cells = body["features"].as_array().map_or(0, Vec::len);
        }
        let median = median(&mut times);
        if cell_m == 1000 {
            service_1000 = median;
        }
        writeln!(
            report,
            "| service, city-wide, cell_m={cell_m} ({cells} cells, HTTP + JSON) | {:.1} ms | {} |",
            ms(median),
            args.runs
        )?;
    }

    let (from, to) = (
        season::parse("winter-2026").context("campaign")?.starts_at,
        season::parse("winter-2026").context("campaign")?.ends_at,
    );
    let naive = "select count(*), coalesce(sum(n), 0)::int8 from (
            select count(*) as n
            from st_hexagongrid(1000, st_transform(st_makeenvelope(116.0, 35.5, 118.2, 36.6, 4326), 3857)) g
            join sightings s on st_intersects(g.geom, st_transform(s.location::geometry, 3857))
            where s.observed_at >= $1 and s.observed_at < $2
            group by g.i, g.j) x";
    let unindexed = time_naive(&pool, naive, from, to, args.naive_timeout_s).await?;
    let t = Instant::now();
    sqlx::query("create index sightings_mercator_gist on sightings using gist (st_transform(location::geometry, 3857))")
        .execute(&pool)
        .await?;
    sqlx::query("analyze sightings").execute(&pool).await?;
    let index_s = t.elapsed().as_secs_f64();
    let indexed = time_naive(&pool, naive, from, to, args.naive_timeout_s).await?;
    for (name, result) in [
        ("naive, no usable index", unindexed),
        ("naive, with a GiST index on the projected points", indexed),
    ] {
        match result {
            Some(d) => writeln!(
                report,
                "| {name} (ST_HexagonGrid 1000 m join) | {:.1} ms | 1 |\n| ratio naive / service (cell_m=1000) | {:.0}× | |",
                ms(d),
                d.as_secs_f64() / service_1000.as_secs_f64()
            )?,
            None => writeln!(
                report,
                "| {name} (ST_HexagonGrid 1000 m join) | > {} s (timed out) | 1 |\n| ratio naive / service (cell_m=1000) | > {:.0}× | |",
                args.naive_timeout_s,
                args.naive_timeout_s as f64 / service_1000.as_secs_f64()
            )?,
        }
    }
    writeln!(
        report,
        "\n(index build for the fair naive run: {index_s:.1} s)"
    )?;
    println!("{report}");
    if args.keep {
        sqlx::query("drop index sightings_mercator_gist")
            .execute(&pool)
            .await?;
        println!("kept {} for --reuse", args.database());
    } else {
        drop(pool);
        bench.drop_database().await?;
    }
    Ok(())
}

/// The database a `--keep` run left, when `--reuse` asks for it and it holds `--rows` sightings.
async fn reused(args: &Args) -> anyhow::Result<Option<BenchDatabase>> {
    if !args.reuse {
        return Ok(None);
    }
    let Some(bench) = BenchDatabase::reopen(&args.database_url, args.database(), 8).await? else {
        return Ok(None);
    };
    let rows: i64 = sqlx::query_scalar("select count(*) from sightings")
        .fetch_one(&bench.pool)
        .await?;
    // A run stopped half-way leaves the naive run's index, which the unindexed timing must not have.
    sqlx::query("drop index if exists sightings_mercator_gist")
        .execute(&bench.pool)
        .await?;
    Ok((rows == args.rows as i64).then_some(bench))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn time_naive(
    pool: &PgPool,
    sql: impl Into<String>,
    from: chrono::DateTime<Utc>,
    to: chrono::DateTime<Utc>,
    timeout_s: u64,
) -> anyhow::Result<Option<Duration>> {
    let mut conn = pool.acquire().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "set statement_timeout = '{timeout_s}s'"
    )))
    .execute(&mut *conn)
    .await?;
    let t = Instant::now();
    let result: Result<(i64, i64), _> = sqlx::query_as(sqlx::AssertSqlSafe(sql.into()))
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await;
    let elapsed = t.elapsed();
    sqlx::query("reset statement_timeout")
        .execute(&mut *conn)
        .await?;
    match result {
        Ok((_, counted)) => {
            println!(
                "naive query counted {counted} sightings in {:.1} s",
                elapsed.as_secs_f64()
            );
            Ok(Some(elapsed))
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("57014") => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Random points inside Tai'an's counties (or copies of them, one of `cities` each), random times in the winter campaign, loaded with
/// COPY, and the rollup computed the way the server computes it.
async fn load(
    pool: &PgPool,
    reporter: uuid::Uuid,
    rows: usize,
    cities: usize,
) -> anyhow::Result<()> {
    let directory = xunjiu_server::features::routing::db::load(pool).await?;
    let campaign = season::parse("winter-2026").context("campaign")?;
    let span = (campaign.ends_at - campaign.starts_at).num_seconds();
    let mut rng = StdRng::seed_from_u64(20_200_515);
    let mut rollup: HashMap<(u8, chrono::NaiveDate, i64), (i64, i64, i64)> = HashMap::new();
    let mut conn = pool.acquire().await?;
    let mut done = 0;
    while done < rows {
        let mut buf = String::new();
        let batch = (rows - done).min(50_000);
        let mut made = 0;
        while made < batch {
            let (lat, lon) = (
                rng.random_range(35.55..36.55),
                rng.random_range(116.05..118.15),
            );
            let Ok(point) = GeoPoint::new(lat, lon) else {
                continue;
            };
            let Ok(routed) = directory.route(point) else {
                continue;
            };
            let Some(area) = routed.area else { continue };
            // Another city is Tai'an shifted; its records keep the routing of the original point.
            let (dx, dy) = city_offset(rng.random_range(0..cities));
            let (lat, lon) = (lat + dy, lon + dx);
            let Ok(point) = GeoPoint::new(lat, lon) else {
                continue;
            };
            let Some(r9) = cells::r9(point) else { continue };
            let at = campaign.starts_at + chrono::Duration::seconds(rng.random_range(0..span));
            let people: i64 = rng.random_range(1..4);
            let special = rng.random_bool(0.2);
            writeln!(
                buf,
                "{}\t{reporter}\t{}\t{}\tSRID=4326;POINT({lon} {lat})\t{people}\t{}\tnone\t{}\t{}\t{}\t\\\\x00\t{r9}\t[]",
                uuid::Uuid::new_v4(),
                at.to_rfc3339(),
                at.to_rfc3339(),
                if special { "{elderly}" } else { "{}" },
                routed.station.station.code,
                routed.distance_m,
                area.area.code,
            )?;
            let day = xunjiu_server::rules::local_day::local_date(at);
            for res in RESOLUTIONS {
                if let Some(cell) = cells::parent(r9, res) {
                    let e = rollup.entry((u8::from(res), day, cell)).or_default();
                    *e = (e.0 + 1, e.1 + people, e.2 + i64::from(special));
                }
            }
            made += 1;
        }
        let mut copy = conn
            .copy_in_raw(
                "copy sightings (id, reported_by, observed_at, received_at, location, people_count, categories,
                                 action_taken, station_code, distance_m, area_code, request_hash, h3_r9, items_given)
                 from stdin",
            )
            .await?;
        copy.send(buf.as_bytes()).await?;
        copy.finish().await?;
        done += batch;
    }
    let mut months: HashMap<(u8, chrono::NaiveDate, i64), (i64, i64, i64)> = HashMap::new();
    for ((res, day, cell), (n, p, s)) in &rollup {
        let e = months
            .entry((*res, rollup::month_of(*day), *cell))
            .or_default();
        *e = (e.0 + n, e.1 + p, e.2 + s);
    }
    for (table, period, sums) in [
        ("heat_cells", "day", &rollup),
        ("heat_cells_month", "month", &months),
    ] {
        let mut buf = String::new();
        for ((res, day, cell), (n, p, s)) in sums {
            writeln!(buf, "sightings\t{res}\t{day}\t{cell}\t{n}\t{p}\t{s}")?;
        }
        // `table` and `period` are one of the two fixed pairs above.
        let statement = format!(
            "copy {table} (layer, resolution, {period}, cell, reports, people, special) from stdin"
        );
        let mut copy = conn.copy_in_raw(&statement).await?;
        copy.send(buf.as_bytes()).await?;
        copy.finish().await?;
    }
    // The trigger queued every copied row for the rollup worker; the rollups above already
    // hold them.
    sqlx::query("truncate heat_inbox")
        .execute(&mut *conn)
        .await?;
    // Autovacuum would get to a million new rows soon after they land (its insert threshold);
    // done here at once, so the timed reads see the visibility map a settled table has.
    sqlx::query("vacuum (analyze)").execute(&mut *conn).await?;
    // Flush what the load dirtied now, or the checkpointer writes it out during the timed runs.
    sqlx::query("checkpoint").execute(&mut *conn).await?;
    Ok(())
}

/// The province's figures: one city's 1 km map, zoom-14 tiles, the 5 km province map; and in
/// the same run the naive forms of the first two.
async fn province(
    args: &Args,
    pool: &PgPool,
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> anyhow::Result<String> {
    let (w, s, e, n) = TAIAN;
    let (from, to) = (
        season::parse("winter-2026").context("campaign")?.starts_at,
        season::parse("winter-2026").context("campaign")?.ends_at,
    );
    let in_city: i64 = sqlx::query_scalar(
        "select count(*) from sightings
         where location::geometry && st_makeenvelope($1, $2, $3, $4, 4326)
           and observed_at >= $5 and observed_at < $6",
    )
    .bind(w)
    .bind(s)
    .bind(e)
    .bind(n)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await?;
    let get = |path: String| async move {
        let t = Instant::now();
        let bytes = client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        anyhow::Ok((t.elapsed(), bytes))
    };
    let mut report = String::new();
    writeln!(report, "| measurement | median | slowest | runs |")?;
    writeln!(report, "| --- | --- | --- | --- |")?;
    let mut city_1km = Duration::ZERO;
    for (name, path, total) in [
        (
            "one city's map, 1 km cells (a box around Tai'an)",
            format!("/api/v1/heatmap?campaign=winter-2026&cell_m=1000&bbox={w},{s},{e},{n}"),
            in_city,
        ),
        (
            "the province's map, 5 km cells",
            "/api/v1/heatmap?campaign=winter-2026&cell_m=5000".to_owned(),
            args.rows as i64,
        ),
    ] {
        let (mut times, mut cells) = (Vec::new(), 0);
        for _ in 0..args.runs {
            let (took, bytes) = get(path.clone()).await?;
            times.push(took);
            let body: serde_json::Value = serde_json::from_slice(&bytes)?;
            anyhow::ensure!(
                body["total"].as_i64() == Some(total),
                "{name}: {} counted, {total} expected",
                body["total"]
            );
            cells = body["features"].as_array().map_or(0, Vec::len);
        }
        let median = median(&mut times);
        if city_1km.is_zero() {
            city_1km = median;
        }
        writeln!(
            report,
            "| {name} ({cells} cells, {total} sightings) | {:.1} ms | {:.1} ms | {} |",
            ms(median),
            ms(*times.last().context("runs")?),
            args.runs
        )?;
    }
    // Zoom-14 tiles over the centres of four cities, each asked `runs` times.
    let mut tiles = Vec::new();
    for c in [0, 5, 10, 15] {
        let (dx, dy) = city_offset(c);
        let (lon, lat) = (117.09 + dx, 36.19 + dy);
        let scale = f64::from(1u32 << 14);
        let x = ((lon + 180.0) / 360.0 * scale) as u32;
        let y =
            ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * scale) as u32;
        for (x, y) in [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)] {
            tiles.push((x, y));
        }
    }
    let mut times = Vec::new();
    let mut empty = 0;
    for _ in 0..args.runs {
        for (x, y) in &tiles {
            let (took, bytes) = get(format!(
                "/tiles/sightings/14/{x}/{y}.mvt?campaign=winter-2026"
            ))
            .await?;
            times.push(took);
            empty += usize::from(bytes.is_empty());
        }
    }
    let tile_median = median(&mut times);
    writeln!(
        report,
        "| a zoom-14 tile ({} tiles over four cities' centres, {empty} answers empty) | {:.1} ms | {:.1} ms | {} |",
        tiles.len(),
        ms(tile_median),
        ms(*times.last().context("runs")?),
        times.len()
    )?;

    // The naive forms, on a GiST index of the projected points built for them.
    let t = Instant::now();
    sqlx::query("create index if not exists sightings_mercator_gist on sightings using gist (st_transform(location::geometry, 3857))")
        .execute(pool)
        .await?;
    sqlx::query("analyze sightings").execute(pool).await?;
    let index_s = t.elapsed().as_secs_f64();
    let naive_city = format!(
        "select count(*), coalesce(sum(n), 0)::int8 from (
            select count(*) as n
            from st_hexagongrid(1000, st_transform(st_makeenvelope({w}, {s}, {e}, {n}, 4326), 3857)) g
            join sightings s on st_intersects(g.geom, st_transform(s.location::geometry, 3857))
            where s.observed_at >= $1 and s.observed_at < $2
              and s.location::geometry && st_makeenvelope({w}, {s}, {e}, {n}, 4326)
            group by g.i, g.j) x"
    );
    let naive = time_naive(pool, naive_city, from, to, args.naive_timeout_s).await?;
    let (x, y) = tiles[0];
    let naive_tile = format!(
        "select count(*), coalesce(sum(length(t)), 0)::int8 from (
            select st_asmvt(m, 'sightings', 4096, 'geom') as t from (
                select st_asmvtgeom(g.geom, st_tileenvelope(14, {x}, {y}), 4096, 64, true) as geom, count(*) as count
                from st_hexagongrid(300, st_tileenvelope(14, {x}, {y})) g
                join sightings s on st_intersects(g.geom, st_transform(s.location::geometry, 3857))
                where s.observed_at >= $1 and s.observed_at < $2
                group by g.geom) m) x"
    );
    let mut naive_tiles = Vec::new();
    for _ in 0..args.runs {
        if let Some(d) =
            time_naive(pool, naive_tile.clone(), from, to, args.naive_timeout_s).await?
        {
            naive_tiles.push(d);
        }
    }
    for (name, result, service) in [
        (
            "naive city map (ST_HexagonGrid 1000 m join)",
            naive,
            city_1km,
        ),
        (
            "naive zoom-14 tile (ST_HexagonGrid 300 m in the tile, joined, ST_AsMVT)",
            (!naive_tiles.is_empty()).then(|| median(&mut naive_tiles)),
            tile_median,
        ),
    ] {
        match result {
            Some(d) => writeln!(
                report,
                "| {name} | {:.1} ms | | |\n| ratio naive / service | {:.1}× | | |",
                ms(d),
                d.as_secs_f64() / service.as_secs_f64()
            )?,
            None => writeln!(
                report,
                "| {name} | > {} s (timed out) | | |",
                args.naive_timeout_s
            )?,
        }
    }
    writeln!(
        report,
        "\n(index build for the naive runs: {index_s:.1} s; {} stations in the directory)",
        sqlx::query_scalar::<_, i64>("select count(*) from stations")
            .fetch_one(pool)
            .await?
    )?;
    sqlx::query("drop index sightings_mercator_gist")
        .execute(pool)
        .await?;
    Ok(report)
}
