//! Benchmarks live in `src/bin/`; see docs/benchmarks.md. What they share: a fresh, seeded
//! database of their own and the accounts they act as.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, PgConnection, PgPool};
use xunjiu_server::features::{seed, users};
use xunjiu_server::plumbing::config::Settings;
use xunjiu_server::plumbing::db;

/// The password of every bench account.
pub const PASSWORD: &str = "bench password";

/// A database made for one bench run, migrated and seeded; dropped by [`Self::drop_database`].
pub struct BenchDatabase {
    admin: PgConnection,
    name: &'static str,
    pub url: String,
    pub pool: PgPool,
}

impl BenchDatabase {
    /// Create `name` afresh on the server `database_url` points at.
    pub async fn create(
        database_url: &str,
        name: &'static str,
        max_connections: u32,
    ) -> anyhow::Result<Self> {
        let (base, mut admin) = admin(database_url).await?;
        // `name` is one of the benches' constants, never input.
        for statement in [
            format!("drop database if exists {name} with (force)"),
            format!("create database {name}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut admin)
                .await?;
        }
        let bench = Self::open(base, admin, name, max_connections).await?;
        db::migrate(&bench.pool).await?;
        seed::run(&bench.pool, Settings::default().service_margin_m).await?;
        Ok(bench)
    }

    /// Open `name` as an earlier run left it, if it exists (no migration, no seeding).
    pub async fn reopen(
        database_url: &str,
        name: &'static str,
        max_connections: u32,
    ) -> anyhow::Result<Option<Self>> {
        let (base, mut admin) = admin(database_url).await?;
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(name)
                .fetch_one(&mut admin)
                .await?;
        if !exists {
            return Ok(None);
        }
        Ok(Some(Self::open(base, admin, name, max_connections).await?))
    }

    async fn open(
        base: &str,
        admin: PgConnection,
        name: &'static str,
        max_connections: u32,
    ) -> anyhow::Result<Self> {
        let url = format!("{base}/{name}");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(max_connections)
            .connect(&url)
            .await?;
        Ok(Self {
            admin,
            name,
            url,
            pool,
        })
    }

    pub async fn drop_database(mut self) -> anyhow::Result<()> {
        self.pool.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "drop database if exists {} with (force)",
            self.name
        )))
        .execute(&mut self.admin)
        .await?;
        Ok(())
    }
}

/// The server part of `database_url`, and a connection to its maintenance database.
async fn admin(database_url: &str) -> anyhow::Result<(&str, PgConnection)> {
    let base = database_url
        .rsplit_once('/')
        .map_or(database_url, |(b, _)| b);
    let admin = PgConnection::connect(&format!("{base}/postgres")).await?;
    Ok((base, admin))
}

/// A bench account; patrol officers are police.
pub fn account(username: &str, role: mobile_api::Role, station: Option<&str>) -> users::NewAccount {
    users::NewAccount {
        username: username.to_owned(),
        password: PASSWORD.to_owned(),
        role,
        station: station.map(str::to_owned),
        agency: (role == mobile_api::Role::Patrol).then_some(mobile_api::Agency::Police),
        unit: None,
        county_code: None,
        channel: (role == mobile_api::Role::Hotline).then(|| "12345".to_owned()),
        township_code: None,
        village: None,
    }
}

/// Synthetic stations spread over Shandong, so the directory holds `total` in all.
pub async fn add_province_stations(pool: &PgPool, total: usize) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(37);
    for i in 5..total {
        sqlx::query(
            "insert into stations (code, name, address, phone, county_code, location, source)
             values ($1, $2, 'synthetic', '0531-0000000', '370000',
                     st_setsrid(st_makepoint($3, $4), 4326)::geography, 'bench')
             on conflict (code) do nothing",
        )
        .bind(format!("bench_{i:03}"))
        .bind(format!("bench station {i}"))
        .bind(rng.random_range(115.0..122.5))
        .bind(rng.random_range(34.4..38.3))
        .execute(pool)
        .await?;
    }
    sqlx::query("select pg_notify('xunjiu_directory', 'bench')")
        .execute(pool)
        .await?;
    Ok(())
}
