//! `xunjiu seed`: upsert the reference data in `seed/` (compiled in) and recompute the service
//! area. Idempotent; running servers reload their directory when it commits.

mod db;

use anyhow::Context;
use serde::Deserialize;
use sqlx::PgPool;

use crate::plumbing::notifications;

/// The channel on which a running server hears that the directory changed.
pub use crate::features::routing::DIRECTORY_CHANNEL;

const STATIONS_CSV: &str = include_str!("../../../../seed/stations.csv");
const AREAS_CSV: &str = include_str!("../../../../seed/areas.csv");
const HOTSPOTS_CSV: &str = include_str!("../../../../seed/hotspots.csv");
const COUNTIES_GEOJSON: &str = include_str!("../../../../seed/counties.geojson");
const TOWNSHIPS_CSV: &str = include_str!("../../../../seed/townships.csv");

const STATION_SOURCE: &str = "name, address, phone: 泰民〔2020〕9号 Annex 2; point: county seat from DataV GeoAtlas 370900_full.json (GCJ-02 -> WGS84)";
const AREA_SOURCE: &str =
    "DataV GeoAtlas 370900_full.json (anzhou99/GeoJsons@c509f3a), GCJ-02 -> WGS84; ~100 m";

#[derive(Debug, Deserialize)]
struct StationRecord {
    code: String,
    name: String,
    address: String,
    phone: String,
    county_adcode: String,
    lon: f64,
    lat: f64,
    position: String,
    est_error_m: i32,
}

#[derive(Debug, Deserialize)]
struct HotspotRecord {
    name: String,
    kind: String,
    county_adcode: String,
    lon: f64,
    lat: f64,
    est_error_m: i32,
    source: String,
}

#[derive(Debug, Deserialize)]
struct TownshipRecord {
    code: String,
    name: String,
    #[serde(rename = "countyCode")]
    county_code: String,
}

#[derive(Debug, Deserialize)]
struct AreaRecord {
    code: String,
    name: String,
    station_code: String,
}

/// What a seed run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub stations: usize,
    pub areas: usize,
    pub hotspots: usize,
    pub townships: usize,
    /// Stations an operator corrected, left as they are.
    pub kept_corrections: Vec<String>,
}

/// Upsert stations and areas and recompute the service area (the areas grown by `margin_m`),
/// all in one transaction.
pub async fn run(pool: &PgPool, margin_m: f64) -> anyhow::Result<SeedReport> {
    let stations: Vec<StationRecord> = read_csv(STATIONS_CSV).context("seed/stations.csv")?;
    let areas: Vec<AreaRecord> = read_csv(AREAS_CSV).context("seed/areas.csv")?;
    let boundaries = boundaries_by_code().context("seed/counties.geojson")?;
    let hotspots: Vec<HotspotRecord> = read_csv(HOTSPOTS_CSV).context("seed/hotspots.csv")?;
    // An operator's correction (PATCH /api/v1/stations/{code}) outranks the seed file.
    let corrected = db::corrected_stations(pool).await?;
    let townships: Vec<TownshipRecord> = read_csv(TOWNSHIPS_CSV).context("seed/townships.csv")?;

    let mut tx = pool.begin().await?;
    for s in &stations {
        db::upsert_station(&mut tx, s, STATION_SOURCE)
            .await
            .with_context(|| format!("station {}", s.code))?;
    }
    for a in &areas {
        let geometry = boundaries
            .iter()
            .find(|(code, _)| *code == a.code)
            .map(|(_, g)| g)
            .with_context(|| format!("no boundary for area {}", a.code))?;
        db::upsert_area(&mut tx, a, geometry, AREA_SOURCE)
            .await
            .with_context(|| format!("area {}", a.code))?;
    }
    for t in &townships {
        db::upsert_township(&mut tx, t)
            .await
            .with_context(|| format!("township {}", t.code))?;
    }
    db::compute_service_area(&mut tx, margin_m)
        .await
        .context("computing the service area")?;
    // Seeded hotspots are only created, never overwritten: supervisors edit and retire them
    // through the API, and a reseed must not undo that. Ids derive from names so reruns match.
    for h in &hotspots {
        let id = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("xunjiu:hotspot:{}", h.name).as_bytes(),
        );
        db::insert_hotspot(&mut tx, id, h)
            .await
            .with_context(|| format!("hotspot {}", h.name))?;
    }
    notifications::announce(&mut tx, DIRECTORY_CHANNEL, "seed").await?;
    tx.commit().await?;
    Ok(SeedReport {
        stations: stations.len(),
        areas: areas.len(),
        hotspots: hotspots.len(),
        townships: townships.len(),
        kept_corrections: corrected,
    })
}

fn read_csv<T: for<'de> Deserialize<'de>>(text: &str) -> anyhow::Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .map_err(Into::into)
}

/// `(adcode, geometry)` for every feature of the counties file.
fn boundaries_by_code() -> anyhow::Result<Vec<(String, serde_json::Value)>> {
    #[derive(Deserialize)]
    struct Collection {
        features: Vec<Feature>,
    }
    #[derive(Deserialize)]
    struct Feature {
        properties: Properties,
        geometry: serde_json::Value,
    }
    #[derive(Deserialize)]
    struct Properties {
        adcode: u32,
    }
    let collection: Collection = serde_json::from_str(COUNTIES_GEOJSON)?;
    Ok(collection
        .features
        .into_iter()
        .map(|f| (f.properties.adcode.to_string(), f.geometry))
        .collect())
}
