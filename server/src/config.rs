//! Settings, from flags or the environment, with defaults that work on a laptop.

use std::net::SocketAddr;

use clap::Args;

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// PostgreSQL connection URL (PostGIS 3 required).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/xunjiu",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Largest number of database connections the server keeps open.
    #[arg(long, env = "XUNJIU_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Seconds a request waits for a database connection before it answers 503.
    #[arg(long, env = "XUNJIU_DB_ACQUIRE_TIMEOUT_S", default_value_t = 3)]
    pub db_acquire_timeout_s: u64,
}

/// `xunjiu serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,

    /// Address and port to listen on.
    #[arg(long, env = "XUNJIU_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub settings: Settings,
}

/// Behaviour the running service needs; everything here has a default.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// How far outside Tai'an's boundary a point may lie and still be routed, in metres.
    /// Changing it takes effect at the next `xunjiu seed`, which recomputes the service area.
    #[arg(long, env = "XUNJIU_SERVICE_MARGIN_M", default_value_t = 5000.0)]
    pub service_margin_m: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            service_margin_m: 5000.0,
        }
    }
}
