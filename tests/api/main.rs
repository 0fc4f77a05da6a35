#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! End-to-end tests: the real router on a real socket, each test with its own PostGIS database.

mod heatmap;
mod helpers;
mod live;
mod web;

mod access;
mod accountability;
mod accountability_walk;
mod annex1;
mod auth;
mod batch;
mod batch_order;
mod campaigns;
mod coarse_maps;
mod dates;
mod duty;
mod escalation;
mod grouped_writes;
mod hardening;
mod health;
mod incidents;
mod layers;
mod notify;
mod open311;
mod openapi;
mod people;
mod people_retention;
mod people_scope;
mod personal_data;
mod positions;
mod proposals;
mod push;
mod referrals;
mod replica;
mod routing;
mod seed;
mod sessions;
mod sightings;
mod stage_report;
mod station_desk;
mod stations;
