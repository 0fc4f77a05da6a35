//! The top layer: one folder a capability, each with its router, handlers and `db` module.
//! Features use `rules` and `plumbing`; another feature only through what its `mod.rs` exports.

pub mod accountability;
pub mod alerts;
pub mod annex1;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod escalation;
pub mod heatmap;
pub mod hotspots;
pub mod incidents;
pub mod live;
pub mod notify;
pub mod open311;
pub mod people;
pub mod push;
pub mod referrals;
pub mod reports;
pub mod retention;
pub mod routing;
pub mod seed;
pub mod sightings;
pub mod stations;
pub mod users;
pub mod web;
