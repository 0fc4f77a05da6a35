//! The bottom layer: what any HTTP service on PostgreSQL needs, with no rule of this domain in it.
//! Nothing here imports `rules` or `features`.

pub mod clock;
pub mod config;
pub mod db;
pub mod delivery;
pub mod error;
pub mod extract;
pub mod headers;
pub mod health;
pub mod notifications;
pub mod nul_guard;
pub mod ratelimit;
pub mod replica;
pub mod secrets;
pub mod state;
pub mod telemetry;
pub mod tls;
