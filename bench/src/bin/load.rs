//! Load: the real `xunjiu` binary on loopback, driven at a chosen concurrency, against the
//! floor — the same inserts and the same nearest-station query sent straight to PostgreSQL at
//! the same concurrency, in the same run. Prints throughput, p50/p90/p99 and service/floor.
//! The server's resident memory is sampled every 50 ms throughout.
//!
//! `cargo build --release --bin xunjiu && cargo run --release -p xunjiu-bench --bin load`

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use clap::Parser;
use futures::StreamExt;
use mobile_api::{
    ActionTaken, BatchResult, Channel, Location, LoginRequest, LoginResponse, NewReferral,
    NewSighting, Role, SightingBatch, StationList,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;
use xunjiu_bench::{BenchDatabase, PASSWORD, account};
use xunjiu_server::features::users;

#[derive(Debug, Parser)]
struct Args {
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Slices each closed-loop measurement is cut into, floor and service taking turns, so a
    /// checkpoint or autovacuum falls on both alike.
    #[arg(long, default_value_t = 4)]
    rounds: u32,
    /// Clients working at once (closed loop), for the service and the floor alike.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Open referrals in the taian queue for the paged reads.
    #[arg(long, default_value_t = 50_000)]
    queue_depth: i64,
    /// Consoles holding the queue's event stream at once.
    #[arg(long, default_value_t = 1000)]
    consoles: usize,
    /// Changes sent to the consoles (each one's arrival is timed at every console).
    #[arg(long, default_value_t = 20)]
    changes: usize,
    /// Route look-ups per second (open loop: requests leave on schedule whatever the answers).
    #[arg(long, default_value_t = 500)]
    route_rps: u64,
    /// Stations in the province-scale directory (the five real ones plus synthetic ones).
    #[arg(long, default_value_t = 200)]
    province_stations: usize,
    /// The server binary (build it with `cargo build --release --bin xunjiu`).
    #[arg(long, default_value = "target/release/xunjiu")]
    server: PathBuf,
    /// Keep the server's log (warnings and errors, one line per referral) in this file.
    #[arg(long)]
    server_log: Option<PathBuf>,
    /// Run only these measurements (comma-separated): single, batch, referral, route,
    /// queue, pages, streams, heatmap. All of them by default.
    #[arg(long, value_delimiter = ',', value_enum)]
    only: Vec<Measurement>,
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/xunjiu"
    )]
    database_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Measurement {
    Single,
    Batch,
    Referral,
    Route,
    Queue,
    Pages,
    Streams,
    Heatmap,
}

impl Args {
    fn runs(&self, m: Measurement) -> bool {
        self.only.is_empty() || self.only.contains(&m)
    }
}

/// What a floor client's work returns: it borrows that client's connection.
type BoxFuture<'c, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'c>>;

const BENCH_DB: &str = "xunjiu_bench_load";

/// Latencies of one measurement.
#[derive(Debug, Default)]
struct Sample {
    latencies: Vec<Duration>,
    items: u64,
    failures: u64,
    elapsed: Duration,
}

impl Sample {
    fn per_second(&self) -> f64 {
        self.items as f64 / self.elapsed.as_secs_f64()
    }

    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        sorted[((sorted.len() - 1) as f64 * q).round() as usize]
    }

    /// Slices of one measurement taken at different times, as if run back to back.
    fn concat(slices: Vec<Sample>) -> Sample {
        let elapsed = slices.iter().map(|s| s.elapsed).sum();
        Sample::merge(slices, elapsed)
    }

    fn merge(samples: Vec<Sample>, elapsed: Duration) -> Sample {
        let mut all = Sample {
            elapsed,
            ..Sample::default()
        };
        for s in samples {
            all.latencies.extend(s.latencies);
            all.items += s.items;
            all.failures += s.failures;
        }
        all
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// Run `work` from `concurrency` clients for `length`; each call returns items done or an error.
async fn closed_loop<F, Fut>(concurrency: usize, length: Duration, work: Arc<F>) -> Sample
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<u64>> + Send,
{
    let deadline = Instant::now() + length;
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|client| {
            let work = work.clone();
            tokio::spawn(async move {
                let mut sample = Sample::default();
                let mut n = 0;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match work(client, n).await {
                        Ok(items) => {
                            sample.latencies.push(t.elapsed());
                            sample.items += items;
                        }
                        Err(err) => {
                            if sample.failures == 0 {
                                eprintln!("client {client}: {err:#}");
                            }
                            sample.failures += 1;
                        }
                    }
                    n += 1;
                }
                sample
            })
        })
        .collect();
    let mut samples = Vec::new();
    for t in tasks {
        samples.push(t.await.unwrap_or_default());
    }
    Sample::merge(samples, start.elapsed())
}

/// Send `rps` requests a second for `seconds`, each on schedule whatever the answers so far
/// (open loop: a slow answer delays no later request, so none hides a stall). Latency counts
/// from the moment each request starts; the timer's own lag (tokio's 1 ms tick) is left out.
async fn open_loop<F, Fut>(rps: u64, seconds: u64, work: F) -> Sample
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let work = Arc::new(work);
    // A second unmeasured first: connections opened, caches warm, as on a server that has
    // been up for a while.
    open_loop_once(rps, 1, work.clone()).await;
    open_loop_once(rps, seconds, work).await
}

async fn open_loop_once<F, Fut>(rps: u64, seconds: u64, work: Arc<F>) -> Sample
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let start = Instant::now();
    let total = rps * seconds;
    let interval = Duration::from_secs_f64(1.0 / rps as f64);
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let work = work.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let ok = work(i).await.is_ok();
            (started.elapsed(), ok)
        }));
    }
    let mut sample = Sample::default();
    for t in tasks {
        if let Ok((latency, ok)) = t.await {
            sample.latencies.push(latency);
            if ok {
                sample.items += 1;
            } else {
                sample.failures += 1;
            }
        }
    }
    sample.elapsed = start.elapsed();
    sample
}

/// A point inside Tai'an, near one of the places people are found.
fn point(rng: &mut impl Rng) -> (f64, f64) {
    const PLACES: [(f64, f64); 6] = [
        (36.1866, 117.1032),
        (36.2005, 117.0900),
        (35.9104, 117.7602),
        (36.1855, 116.7580),
        (35.7700, 116.7900),
        (35.9300, 116.4700),
    ];
    let (lat, lon) = PLACES[rng.random_range(0..PLACES.len())];
    (
        lat + rng.random_range(-0.02..0.02),
        lon + rng.random_range(-0.02..0.02),
    )
}

/// A plain report, as a phone sends it: nobody special, so no referral is raised.
fn sighting_body(rng: &mut impl Rng) -> NewSighting {
    let (lat, lon) = point(rng);
    NewSighting {
        id: Uuid::new_v4(),
        observed_at: Utc::now() - chrono::Duration::seconds(30),
        location: Location {
            lat,
            lon,
            accuracy_m: Some(15.0),
            crs: None,
        },
        people_count: rng.random_range(1..3),
        categories: Vec::new(),
        action_taken: ActionTaken::InformedOfStation,
        notes: Some("bench".to_owned()),
        items_given: Vec::new(),
        escorted_to: None,
    }
}

/// A 12345 call about one person.
fn referral_body(rng: &mut impl Rng) -> NewReferral {
    let (lat, lon) = point(rng);
    NewReferral {
        id: Uuid::new_v4(),
        channel: Channel::Citizen12345,
        external_ref: None,
        reported_at: Utc::now() - chrono::Duration::seconds(30),
        location: Location {
            lat,
            lon,
            accuracy_m: None,
            crs: None,
        },
        address_text: None,
        caller_phone: Some("13800138000".to_owned()),
        people_count: 1,
        categories: Vec::new(),
        description: Some("bench".to_owned()),
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(exe: &PathBuf, url: &str, log: Option<&PathBuf>) -> anyhow::Result<Server> {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(exe)
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("XUNJIU_LISTEN", "127.0.0.1:0")
        .env("XUNJIU_WRITES_PER_MINUTE", "100000000")
        .env("XUNJIU_WRITE_BURST", "100000000")
        .env("RUST_LOG", "warn,xunjiu=info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {} (build it first)", exe.display()))?;
    let stderr = child.stderr.take().context("server stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("listening on http://"))
        .context("the server did not start")?;
    let mut log = match log {
        Some(path) => Some(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => None,
    };
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Some(file) = log.as_mut() {
                use std::io::Write;
                let _ = writeln!(file, "{line}");
            }
        }
    });
    let base = line
        .split("listening on ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .context("no address")?
        .to_owned();
    Ok(Server { child, base })
}

/// The server's resident set size, sampled until stopped; returns the largest, in MiB.
fn watch_rss(pid: u32, stop: Arc<AtomicBool>, peak: Arc<AtomicU64>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                let kb = status
                    .lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
                peak.fetch_max(kb, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<String> {
    let reply: LoginResponse = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&LoginRequest {
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
        })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(reply.token)
}

/// A sightings row as the floor writes it: every column the service fills.
async fn raw_sighting_insert(
    conn: &mut PgConnection,
    reporter: Uuid,
    rows: usize,
) -> anyhow::Result<u64> {
    let mut rng = StdRng::from_rng(&mut rand::rng());
    let mut ids = Vec::with_capacity(rows);
    let mut lats = Vec::with_capacity(rows);
    let mut lons = Vec::with_capacity(rows);
    let mut cells = Vec::with_capacity(rows);
    let mut hashes = Vec::with_capacity(rows);
    for _ in 0..rows {
        let (lat, lon) = point(&mut rng);
        ids.push(Uuid::new_v4());
        lats.push(lat);
        lons.push(lon);
        cells.push(rng.random_range(600_000_000_000_000_000_i64..610_000_000_000_000_000));
        hashes.push(rng.random::<[u8; 32]>().to_vec());
    }
    let now = Utc::now();
    let done = sqlx::query(
        "insert into sightings (id, reported_by, observed_at, received_at, location, accuracy_m,
                                people_count, categories, action_taken, notes, station_code,
                                distance_m, area_code, hotspot_id, request_hash, items_given, h3_r9)
         select u.id, $1, $2, $2, st_setsrid(st_makepoint(u.lon, u.lat), 4326)::geography, 15,
                1, '{}', 'informed_of_station', 'bench', 'taian', 1234.5, '370902', null, u.hash,
                '[]', u.cell
         from unnest($3::uuid[], $4::float8[], $5::float8[], $6::bytea[], $7::int8[])
              as u(id, lon, lat, hash, cell)",
    )
    .bind(reporter)
    .bind(now)
    .bind(&ids)
    .bind(&lons)
    .bind(&lats)
    .bind(&hashes)
    .bind(&cells)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// A referral with its `created` and `routed` events, in one transaction, as the floor writes it.
async fn raw_referral_insert(conn: &mut PgConnection, creator: Uuid) -> anyhow::Result<u64> {
    let (lat, lon) = point(&mut rand::rng());
    let id = Uuid::new_v4();
    let now = Utc::now();
    let mut tx = conn.begin().await?;
    sqlx::query(
        "insert into referrals (id, channel, reported_at, received_at, created_by, location,
                                caller_phone, people_count, categories, description, priority,
                                status, station_code, accountable_station, distance_m, area_code,
                                accept_by, on_scene_by, request_hash, updated_at, h3_r9)
         values ($1, '12345', $2, $2, $3, st_setsrid(st_makepoint($4, $5), 4326)::geography,
                 '13800138000', 1, '{}', 'bench', 'normal', 'routed', 'taian', 'taian', 1234.5,
                 '370902', $2 + interval '10 minutes', $2 + interval '60 minutes', $6, $2, 1)",
    )
    .bind(id)
    .bind(now)
    .bind(creator)
    .bind(lon)
    .bind(lat)
    .bind(id.as_bytes().to_vec())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into referral_events (referral_id, kind, actor_id, actor_role, station_code, to_status, note, at)
         values ($1, 'created', $2, 'hotline', null, null, 'channel 12345', $3),
                ($1, 'routed', null, 'system', 'taian', 'routed', 'nearest station', $3)",
    )
    .bind(id)
    .bind(creator)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(1)
}

/// The nearest station by geodesic distance, as PostGIS answers it.
async fn raw_nearest(pool: &PgPool, lat: f64, lon: f64) -> anyhow::Result<()> {
    let _: String = sqlx::query_scalar(
        "select code from stations
         order by st_distance(location, st_setsrid(st_makepoint($1, $2), 4326)::geography), code
         limit 1",
    )
    .bind(lon)
    .bind(lat)
    .fetch_one(pool)
    .await?;
    Ok(())
}

struct Row {
    name: &'static str,
    unit: &'static str,
    service: Sample,
    floor: Option<Sample>,
    /// Share of the machine's CPU time the hypervisor gave to others during the measurement.
    stolen: f64,
}

/// The machine's CPU time so far, all of it and the part stolen (`/proc/stat`, first line).
#[derive(Debug, Clone, Copy)]
struct CpuMark {
    total: u64,
    steal: u64,
}

impl CpuMark {
    fn now() -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let fields: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        Self {
            total: fields.iter().take(8).sum(),
            steal: fields.get(7).copied().unwrap_or(0),
        }
    }

    /// Percent of CPU time stolen since this mark.
    fn stolen(&self) -> f64 {
        let now = Self::now();
        let total = now.total.saturating_sub(self.total).max(1);
        100.0 * now.steal.saturating_sub(self.steal) as f64 / total as f64
    }
}

fn print_table(rows: &[Row], args: &Args, rss_mib: f64) {
    println!();
    println!(
        "concurrency {}, {} s per measurement (writes: floor and service in {} turns), route look-ups at {} req/s, {} cores",
        args.concurrency,
        args.seconds,
        args.rounds,
        args.route_rps,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| measurement | service | p50 ms | p90 ms | p99 ms | failures | floor | floor p99 ms | service/floor | CPU stolen |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in rows {
        let (floor, floor_p99, ratio) = match &r.floor {
            Some(f) if r.unit == "req/s (open loop)" => (
                format!("{:.0} {}", f.per_second(), r.unit),
                ms(f.quantile(0.99)),
                format!(
                    "p99 {:.2}×",
                    r.service.quantile(0.99).as_secs_f64() / f.quantile(0.99).as_secs_f64()
                ),
            ),
            Some(f) => (
                format!("{:.0} {}", f.per_second(), r.unit),
                ms(f.quantile(0.99)),
                format!("{:.0} %", 100.0 * r.service.per_second() / f.per_second()),
            ),
            None => ("—".to_owned(), "—".to_owned(), "—".to_owned()),
        };
        println!(
            "| {} | {:.0} {} | {} | {} | {} | {} | {} | {} | {} | {:.0} % |",
            r.name,
            r.service.per_second(),
            r.unit,
            ms(r.service.quantile(0.5)),
            ms(r.service.quantile(0.9)),
            ms(r.service.quantile(0.99)),
            r.service.failures + r.floor.as_ref().map_or(0, |f| f.failures),
            floor,
            floor_p99,
            ratio,
            r.stolen
        );
    }
    println!("server peak resident memory over the whole run: {rss_mib:.1} MiB");
}

/// Everything the measurements share: the server's address, logged-in clients and the floor's
/// own database connections.
struct Bench {
    args: Args,
    client: reqwest::Client,
    base: Arc<String>,
    patrol_tokens: Arc<Vec<String>>,
    hotline: Arc<String>,
    duty: Arc<String>,
    supervisor: Arc<String>,
    pool: PgPool,
    /// One connection per floor client, held for the whole run: the raw rate pays no pool.
    floor: Arc<Vec<tokio::sync::Mutex<PgConnection>>>,
    floor_patrol: Uuid,
    hotline_id: Uuid,
    server_pid: u32,
}

impl Bench {
    /// The floor's `work` and the service's `request` in turns, `rounds` slices each, from
    /// `concurrency` clients at once. The floor runs on client `i`'s own connection; the
    /// service's answer must have status `expected`, is read to its end and handed to `count`
    /// for the items it carries. Returns (floor, service).
    async fn compare<W, R, C>(
        &self,
        work: W,
        expected: u16,
        request: R,
        count: C,
    ) -> (Sample, Sample)
    where
        W: for<'c> Fn(&'c mut PgConnection) -> BoxFuture<'c, anyhow::Result<u64>>
            + Send
            + Sync
            + 'static,
        R: Fn(&reqwest::Client, &str, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
        C: Fn(&[u8]) -> anyhow::Result<u64> + Send + Sync + 'static,
    {
        let (conns, work) = (self.floor.clone(), Arc::new(work));
        let floor = Arc::new(move |i: usize, _| {
            let (conns, work) = (conns.clone(), work.clone());
            async move { work(&mut *conns[i].lock().await).await }
        });
        let (client, base) = (self.client.clone(), self.base.clone());
        let (request, count) = (Arc::new(request), Arc::new(count));
        let service = Arc::new(move |i: usize, _| {
            let (client, base) = (client.clone(), base.clone());
            let (request, count) = (request.clone(), count.clone());
            async move {
                let res = request(&client, &base, i).send().await?;
                let status = res.status();
                let body = res.bytes().await?;
                anyhow::ensure!(status == expected, "status {status}");
                count(&body)
            }
        });
        let (mut floors, mut services) = (Vec::new(), Vec::new());
        let c = self.args.concurrency;
        for _ in 0..self.args.rounds {
            floors.push(closed_loop(c, self.slice(), floor.clone()).await);
            services.push(closed_loop(c, self.slice(), service.clone()).await);
        }
        (Sample::concat(floors), Sample::concat(services))
    }

    /// A measurement without a floor: the service alone, for the whole time.
    async fn service_only<R>(&self, request: R) -> Sample
    where
        R: Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder + Send + Sync + 'static,
    {
        let (client, base, request) = (self.client.clone(), self.base.clone(), Arc::new(request));
        let length = Duration::from_secs(self.args.seconds);
        let work = Arc::new(move |_, _| {
            let (client, base, request) = (client.clone(), base.clone(), request.clone());
            async move {
                let res = request(&client, &base).send().await?;
                let status = res.status();
                res.bytes().await?;
                anyhow::ensure!(status == 200, "status {status}");
                Ok(1)
            }
        });
        closed_loop(self.args.concurrency, length, work).await
    }

    fn slice(&self) -> Duration {
        Duration::from_secs(self.args.seconds) / self.args.rounds.max(1)
    }
}

async fn single_sightings(b: &Bench) -> Row {
    let mark = CpuMark::now();
    eprintln!("single sightings: floor and service in turns");
    let (reporter, tokens) = (b.floor_patrol, b.patrol_tokens.clone());
    let (floor, service) = b
        .compare(
            move |conn| Box::pin(raw_sighting_insert(conn, reporter, 1)),
            201,
            move |cl, base, i| {
                cl.post(format!("{base}/api/v1/sightings"))
                    .bearer_auth(&tokens[i])
                    .json(&sighting_body(&mut rand::rng()))
            },
            |_| Ok(1),
        )
        .await;
    Row {
        name: "single sighting (POST /sightings)",
        unit: "rows/s",
        service,
        floor: Some(floor),
        stolen: mark.stolen(),
    }
}

async fn batch_sync(b: &Bench) -> Row {
    let mark = CpuMark::now();
    eprintln!("batch sync, 100 per batch: floor and service in turns");
    let (reporter, tokens) = (b.floor_patrol, b.patrol_tokens.clone());
    let (floor, service) = b
        .compare(
            move |conn| Box::pin(raw_sighting_insert(conn, reporter, 100)),
            200,
            move |cl, base, i| {
                let mut rng = rand::rng();
                let batch = SightingBatch {
                    sightings: (0..100).map(|_| sighting_body(&mut rng)).collect(),
                };
                cl.post(format!("{base}/api/v1/sightings/batch"))
                    .bearer_auth(&tokens[i])
                    .json(&batch)
            },
            |body| {
                let reply: BatchResult = serde_json::from_slice(body)?;
                anyhow::ensure!(reply.created == 100, "{} errors", reply.errors);
                Ok(100)
            },
        )
        .await;
    Row {
        name: "batch sync (100 per batch)",
        unit: "rows/s",
        service,
        floor: Some(floor),
        stolen: mark.stolen(),
    }
}

async fn referral_creation(b: &Bench) -> Row {
    let mark = CpuMark::now();
    eprintln!("referral creation: floor and service in turns");
    let (creator, token) = (b.hotline_id, b.hotline.clone());
    let (floor, service) = b
        .compare(
            move |conn| Box::pin(raw_referral_insert(conn, creator)),
            201,
            move |cl, base, _| {
                cl.post(format!("{base}/api/v1/referrals"))
                    .bearer_auth(&*token)
                    .json(&referral_body(&mut rand::rng()))
            },
            |_| Ok(1),
        )
        .await;
    Row {
        name: "referral creation (POST /referrals)",
        unit: "req/s",
        service,
        floor: Some(floor),
        stolen: mark.stolen(),
    }
}

/// Wait (up to a minute) until the work the last measurement left behind is done, the rollup
/// worker's inbox empty and no autovacuum running, then checkpoint: each measurement starts on
/// a quiet machine instead of paying for the one before it.
async fn settle(pool: &PgPool) -> anyhow::Result<()> {
    for _ in 0..600 {
        let (inbox, vacuums): (i64, i64) = sqlx::query_as(
            "select (select count(*) from heat_inbox),
                    (select count(*) from pg_stat_activity where backend_type = 'autovacuum worker')",
        )
        .fetch_one(pool)
        .await?;
        if inbox == 0 && vacuums == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sqlx::query("checkpoint").execute(pool).await?;
    Ok(())
}

/// Route look-ups with the five stations, then with the province-scale directory.
async fn route_lookups(b: &Bench) -> anyhow::Result<Vec<Row>> {
    let (rps, secs) = (b.args.route_rps, b.args.seconds);
    let mut rows = Vec::new();
    for stations in [5, b.args.province_stations] {
        if stations > 5 {
            xunjiu_bench::add_province_stations(&b.pool, stations).await?;
            // The server reloads its directory on the notification; wait until it has.
            for _ in 0..100 {
                let list: StationList = b
                    .client
                    .get(format!("{}/api/v1/stations", b.base))
                    .send()
                    .await?
                    .json()
                    .await?;
                if list.stations.len() >= stations {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        settle(&b.pool).await?;
        eprintln!("route look-up, {stations} stations: floor, then service, {rps} req/s");
        let mark = CpuMark::now();
        let p = b.pool.clone();
        let floor = open_loop(rps, secs, move |i| {
            let p = p.clone();
            async move {
                let (lat, lon) = point(&mut StdRng::seed_from_u64(i));
                raw_nearest(&p, lat, lon).await
            }
        })
        .await;
        let (cl, base) = (b.client.clone(), b.base.clone());
        let service = open_loop(rps, secs, move |i| {
            let (cl, base) = (cl.clone(), base.clone());
            async move {
                let (lat, lon) = point(&mut StdRng::seed_from_u64(i));
                let res = cl
                    .get(format!("{base}/api/v1/route?lat={lat}&lon={lon}"))
                    .send()
                    .await?;
                anyhow::ensure!(res.status() == 200, "status {}", res.status());
                res.bytes().await?;
                Ok(())
            }
        })
        .await;
        rows.push(Row {
            name: if stations > 5 {
                "route look-up, 200 stations"
            } else {
                "route look-up, 5 stations"
            },
            unit: "req/s (open loop)",
            service,
            floor: Some(floor),
            stolen: mark.stolen(),
        });
    }
    Ok(rows)
}

async fn queue_reads(b: &Bench) -> anyhow::Result<Row> {
    let mark = CpuMark::now();
    eprintln!("queue reads");
    let token = b.duty.clone();
    let service = b
        .service_only(move |cl, base| {
            cl.get(format!("{base}/api/v1/stations/taian/queue"))
                .bearer_auth(&*token)
        })
        .await;
    let queued: i64 = sqlx::query_scalar(
        "select count(*) from referrals where station_code = 'taian' and status = 'routed'",
    )
    .fetch_one(&b.pool)
    .await?;
    eprintln!("the taian queue holds {queued} referrals");
    Ok(Row {
        name: "queue read (taian, all open referrals)",
        unit: "req/s",
        service,
        floor: None,
        stolen: mark.stolen(),
    })
}

/// Open referrals in the taian queue, written straight into the table, up to `depth`.
async fn fill_queue(pool: &PgPool, creator: Uuid, depth: i64) -> anyhow::Result<i64> {
    let open: i64 = sqlx::query_scalar(
        "select count(*) from referrals where station_code = 'taian' and status = 'routed'",
    )
    .fetch_one(pool)
    .await?;
    let missing = (depth - open).max(0);
    // Arrivals spread over the last day, deadlines over the next, one in fifty urgent: the
    // queue's order has something to sort. Places spread over the station's district, as calls
    // are: all in one spot, every referral would be every other's possible duplicate.
    sqlx::query(
        "insert into referrals (id, channel, reported_at, received_at, created_by, location,
                                caller_phone, people_count, categories, description, priority,
                                status, station_code, accountable_station, distance_m, area_code,
                                accept_by, on_scene_by, request_hash, updated_at, h3_r9)
         select gen_random_uuid(), '12345', now() - g * interval '1 second', now() - g * interval '1 second',
                $1, st_setsrid(st_makepoint(117.0 + random() * 0.3, 36.05 + random() * 0.25), 4326)::geography,
                '13800138000', 1, '{}',
                'bench', case when g % 50 = 0 then 'urgent' else 'normal' end, 'routed', 'taian', 'taian',
                1234.5, '370902', now() + (g % 86400) * interval '1 second', now() + interval '1 day',
                decode(md5(g::text || random()::text), 'hex'), now(), 1
         from generate_series(1, $2) g",
    )
    .bind(creator)
    .bind(missing)
    .execute(pool)
    .await?;
    sqlx::query("analyze referrals").execute(pool).await?;
    Ok(open + missing)
}

/// Pages of 50 from a deep queue, each from a cursor picked at random along it; the floor is
/// the same page's rows read straight from PostgreSQL by the page query's own indexes.
async fn queue_pages(b: &Bench) -> anyhow::Result<Row> {
    let depth = fill_queue(&b.pool, b.hotline_id, b.args.queue_depth).await?;
    eprintln!("queue pages: the taian queue holds {depth} open referrals; walking it once");
    let mut cursors = vec![String::new()];
    loop {
        let last = cursors.last().cloned().unwrap_or_default();
        let page: serde_json::Value = b
            .client
            .get(format!(
                "{}/api/v1/stations/taian/queue?limit=50&cursor={last}",
                b.base
            ))
            .bearer_auth(&*b.duty)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        match page["next_cursor"].as_str() {
            Some(next) => cursors.push(next.to_owned()),
            None => break,
        }
    }
    anyhow::ensure!(
        cursors.len() as i64 >= depth / 50,
        "{} pages for {depth} referrals",
        cursors.len()
    );
    let mark = CpuMark::now();
    let (cursors, token) = (Arc::new(cursors), b.duty.clone());
    let (floor, service) = b
        .compare(
            |conn| {
                // A key somewhere along the queue, fixed before the statement so the index
                // can seek to it (a volatile expression in the comparison could not).
                let deadline = Utc::now() + chrono::Duration::seconds(rand::rng().random_range(0..86_400));
                Box::pin(async move {
                    let rows: Vec<(Uuid,)> = sqlx::query_as(
                        "select r.id from referrals r
                         where r.status not in ('resolved', 'closed') and r.case_id is null and r.station_code = 'taian'
                           and ((case when r.priority = 'urgent' then 0 else 1 end),
                                coalesce(case when r.status = 'routed' then r.accept_by
                                              when r.status in ('accepted', 'en_route') then r.on_scene_by end, 'infinity'::timestamptz),
                                r.received_at, r.id) > (1, $1, $2, '00000000-0000-0000-0000-000000000000'::uuid)
                         order by (case when r.priority = 'urgent' then 0 else 1 end),
                                  coalesce(case when r.status = 'routed' then r.accept_by
                                                when r.status in ('accepted', 'en_route') then r.on_scene_by end, 'infinity'::timestamptz),
                                  r.received_at, r.id
                         limit 50",
                    )
                    .bind(deadline)
                    .bind(deadline)
                    .fetch_all(&mut *conn)
                    .await?;
                    Ok(rows.len().min(1) as u64)
                })
            },
            200,
            move |cl, base, _| {
                let cursor = &cursors[rand::rng().random_range(0..cursors.len())];
                cl.get(format!(
                    "{base}/api/v1/stations/taian/queue?limit=50&cursor={cursor}"
                ))
                .bearer_auth(&*token)
            },
            |_| Ok(1),
        )
        .await;
    Ok(Row {
        name: "queue page of 50 (taian, 50,000 open, random cursor)",
        unit: "req/s",
        service,
        floor: Some(floor),
        stolen: mark.stolen(),
    })
}

/// The server's resident memory now, in MiB.
fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

/// Consoles holding the taian queue's event stream: one, then `consoles` at once; for each of
/// `changes` referrals filed, the time from the filing's start until each console has it.
async fn queue_streams(b: &Bench) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let before = rss_mib(b.server_pid);
    for consoles in [1, b.args.consoles] {
        eprintln!("queue streams: {consoles} consoles");
        let mark = CpuMark::now();
        let (tx, _) = tokio::sync::broadcast::channel::<(String, Instant)>(64);
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(consoles);
        let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<Duration>();
        let mut tasks = Vec::new();
        for _ in 0..consoles {
            // A client each: every console is a browser with its own connection.
            let client = reqwest::Client::new();
            let (url, token) = (
                format!("{}/api/v1/stations/taian/queue/events", b.base),
                b.duty.clone(),
            );
            let (mut filed, ready, seen) = (tx.subscribe(), ready_tx.clone(), seen_tx.clone());
            tasks.push(tokio::spawn(async move {
                let res = client.get(url).bearer_auth(&*token).send().await?;
                anyhow::ensure!(res.status() == 200, "status {}", res.status());
                let mut body = res.bytes_stream();
                let mut text = String::new();
                let mut told = false;
                let mut waiting: Vec<(String, Instant)> = Vec::new();
                loop {
                    tokio::select! {
                        chunk = body.next() => {
                            let Some(chunk) = chunk else { break };
                            text.push_str(&String::from_utf8_lossy(&chunk?));
                            if !told && text.contains("event: ready") {
                                told = true;
                                let _ = ready.send(()).await;
                            }
                        }
                        change = filed.recv() => match change {
                            Ok(change) => waiting.push(change),
                            Err(_) => break,
                        },
                    }
                    waiting.retain(|(id, started)| {
                        let arrived = text.contains(id.as_str());
                        if arrived {
                            let _ = seen.send(started.elapsed());
                        }
                        !arrived
                    });
                    if text.len() > 1 << 16 {
                        text.drain(..text.len() - 4096);
                    }
                }
                anyhow::Ok(())
            }));
        }
        drop((ready_tx, seen_tx));
        for _ in 0..consoles {
            tokio::time::timeout(Duration::from_secs(60), ready_rx.recv())
                .await
                .context("consoles connecting")?;
        }
        let held = rss_mib(b.server_pid);
        let mut latencies = Vec::new();
        let mut rng = rand::rng();
        for _ in 0..b.args.changes {
            let mut body = referral_body(&mut rng);
            body.location.lat = 36.1866;
            body.location.lon = 117.1032;
            let id = body.id.to_string();
            let started = Instant::now();
            let _ = tx.send((id.clone(), started));
            let res = b
                .client
                .post(format!("{}/api/v1/referrals", b.base))
                .bearer_auth(&*b.hotline)
                .json(&body)
                .send()
                .await?;
            anyhow::ensure!(res.status() == 201, "filing: {}", res.status());
            // Every console's arrival of this change, or 10 s.
            let deadline = Instant::now() + Duration::from_secs(10);
            for _ in 0..consoles {
                match tokio::time::timeout_at(deadline.into(), seen_rx.recv()).await {
                    Ok(Some(d)) => latencies.push(d),
                    _ => break,
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        while let Ok(d) = seen_rx.try_recv() {
            latencies.push(d);
        }
        let expected = consoles * b.args.changes;
        let missed = expected.saturating_sub(latencies.len()) as u64;
        drop(tx);
        for t in tasks {
            t.abort();
        }
        eprintln!(
            "{consoles} consoles: server memory {before:.0} MiB before, {held:.0} MiB holding them; {missed} arrivals missed"
        );
        rows.push(Row {
            name: if consoles == 1 {
                "a change reaching 1 console (baseline)"
            } else {
                "a change reaching every console (1,000 streams)"
            },
            unit: "arrivals/s",
            service: Sample {
                items: latencies.len() as u64,
                failures: missed,
                elapsed: Duration::from_secs(1),
                latencies,
            },
            floor: None,
            stolen: mark.stolen(),
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(rows)
}

async fn heatmap_reads(b: &Bench) -> Row {
    let mark = CpuMark::now();
    eprintln!("heat-map reads");
    let token = b.supervisor.clone();
    let service = b
        .service_only(move |cl, base| {
            cl.get(format!("{base}/api/v1/heatmap?cell_m=1000"))
                .bearer_auth(&*token)
        })
        .await;
    Row {
        name: "heat-map read (city, 1 km cells)",
        unit: "req/s",
        service,
        floor: None,
        stolen: mark.stolen(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bench =
        BenchDatabase::create(&args.database_url, BENCH_DB, args.concurrency as u32).await?;
    let (url, pool) = (bench.url.clone(), bench.pool.clone());
    let mut patrols = Vec::new();
    for i in 0..args.concurrency {
        let name = format!("bench-patrol-{i}");
        users::add(&pool, account(&name, Role::Patrol, None)).await?;
        patrols.push(name);
    }
    let hotline_id = users::add(&pool, account("bench-hotline", Role::Hotline, None)).await?;
    let floor_patrol = users::add(&pool, account("bench-floor", Role::Patrol, None)).await?;
    users::add(&pool, account("bench-duty", Role::Duty, Some("taian"))).await?;
    users::add(&pool, account("bench-supervisor", Role::Supervisor, None)).await?;
    let mut floor = Vec::new();
    for _ in 0..args.concurrency {
        floor.push(tokio::sync::Mutex::new(PgConnection::connect(&url).await?));
    }

    let server = start_server(&args.server, &url, args.server_log.as_ref())?;
    let stop = Arc::new(AtomicBool::new(false));
    let peak_kb = Arc::new(AtomicU64::new(0));
    watch_rss(server.child.id(), stop.clone(), peak_kb.clone());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency * 4)
        .build()?;
    let base = server.base.clone();
    let mut patrol_tokens = Vec::new();
    for p in &patrols {
        patrol_tokens.push(login(&client, &base, p).await?);
    }
    let b = Bench {
        hotline: Arc::new(login(&client, &base, "bench-hotline").await?),
        duty: Arc::new(login(&client, &base, "bench-duty").await?),
        supervisor: Arc::new(login(&client, &base, "bench-supervisor").await?),
        patrol_tokens: Arc::new(patrol_tokens),
        base: Arc::new(base),
        client,
        pool: pool.clone(),
        floor: Arc::new(floor),
        floor_patrol,
        hotline_id,
        server_pid: server.child.id(),
        args,
    };

    let mut rows = Vec::new();
    settle(&pool).await?;
    if b.args.runs(Measurement::Single) {
        rows.push(single_sightings(&b).await);
    }
    if b.args.runs(Measurement::Batch) {
        settle(&pool).await?;
        rows.push(batch_sync(&b).await);
    }
    if b.args.runs(Measurement::Referral) {
        settle(&pool).await?;
        rows.push(referral_creation(&b).await);
    }
    if b.args.runs(Measurement::Route) {
        rows.extend(route_lookups(&b).await?);
    }
    if b.args.runs(Measurement::Queue) {
        settle(&pool).await?;
        rows.push(queue_reads(&b).await?);
    }
    if b.args.runs(Measurement::Pages) {
        settle(&pool).await?;
        rows.push(queue_pages(&b).await?);
    }
    if b.args.runs(Measurement::Streams) {
        settle(&pool).await?;
        rows.extend(queue_streams(&b).await?);
    }
    if b.args.runs(Measurement::Heatmap) {
        settle(&pool).await?;
        rows.push(heatmap_reads(&b).await);
    }

    stop.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sightings: i64 = sqlx::query_scalar("select count(*) from sightings")
        .fetch_one(&pool)
        .await?;
    eprintln!("{sightings} sightings stored in the run");
    print_table(
        &rows,
        &b.args,
        peak_kb.load(Ordering::Relaxed) as f64 / 1024.0,
    );
    drop(server);
    drop(b);
    drop(pool);
    bench.drop_database().await?;
    Ok(())
}
