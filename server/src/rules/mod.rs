//! The middle layer: rules of this domain that several features share. It imports `plumbing`,
//! never `features`.

pub mod account;
pub mod audience;
pub mod events;
pub mod geo;
pub mod geojson;
pub mod idempotent;
pub mod intake;
pub mod listing;
pub mod local_day;
pub mod scope;
pub mod season;
pub mod sheet;
pub mod wire;
