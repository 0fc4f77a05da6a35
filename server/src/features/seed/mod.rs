//! `xunjiu seed`: upsert the reference data in `seed/` (compiled in) and recompute the service
//! area. Idempotent; running servers reload their directory when it commits.

use anyhow::Context;
use serde::Deserialize;
use sqlx::PgPool;

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
    let corrected: Vec<String> = sqlx::query_scalar(
        "select code from stations where corrected_at is not null order by code",
    )
    .fetch_all(pool)
    .await?;
    let townships: Vec<TownshipRecord> = read_csv(TOWNSHIPS_CSV).context("seed/townships.csv")?;

    let mut tx = pool.begin().await?;
    for s in &stations {
        sqlx::query(
            "insert into stations (code, name, address, phone, county_code, location, position_note, position_error_m, source)
             values ($1, $2, $3, $4, $5, st_setsrid(st_makepoint($6, $7), 4326)::geography, $8, $9, $10)
             on conflict (code) do update set
                 name = excluded.name, address = excluded.address, phone = excluded.phone,
                 county_code = excluded.county_code, location = excluded.location,
                 position_note = excluded.position_note, position_error_m = excluded.position_error_m,
                 source = excluded.source, updated_at = now()
             where stations.corrected_at is null",
        )
        .bind(&s.code).bind(&s.name).bind(&s.address).bind(&s.phone).bind(&s.county_adcode)
        .bind(s.lon).bind(s.lat).bind(&s.position).bind(s.est_error_m).bind(STATION_SOURCE)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("station {}", s.code))?;
    }
    for a in &areas {
        let geometry = boundaries
            .iter()
            .find(|(code, _)| *code == a.code)
            .map(|(_, g)| g)
            .with_context(|| format!("no boundary for area {}", a.code))?;
        sqlx::query(
            "insert into areas (code, name, station_code, boundary, source)
             values ($1, $2, $3, st_multi(st_makevalid(st_setsrid(st_geomfromgeojson($4), 4326))), $5)
             on conflict (code) do update set
                 name = excluded.name, station_code = excluded.station_code,
                 boundary = excluded.boundary, source = excluded.source, updated_at = now()",
        )
        .bind(&a.code).bind(&a.name).bind(&a.station_code).bind(geometry.to_string()).bind(AREA_SOURCE)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("area {}", a.code))?;
    }
    for t in &townships {
        sqlx::query(
            "insert into townships (code, name, county_code) values ($1, $2, $3)
             on conflict (code) do update set name = excluded.name, county_code = excluded.county_code",
        )
        .bind(&t.code)
        .bind(&t.name)
        .bind(&t.county_code)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("township {}", t.code))?;
    }
    // Buffering on geography works in metres (PostGIS projects to a fitting UTM zone); 32
    // segments per quarter circle keep the margin within a few metres of the asked distance.
    sqlx::query(
        "insert into service_area (id, margin_m, boundary)
         select true, $1, st_multi(st_buffer(st_union(boundary)::geography, $1, 'quad_segs=32')::geometry)
         from areas
         on conflict (id) do update set margin_m = excluded.margin_m, boundary = excluded.boundary, updated_at = now()",
    )
    .bind(margin_m)
    .execute(&mut *tx)
    .await
    .context("computing the service area")?;
    // Seeded hotspots are only created, never overwritten: supervisors edit and retire them
    // through the API, and a reseed must not undo that. Ids derive from names so reruns match.
    for h in &hotspots {
        let id = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("xunjiu:hotspot:{}", h.name).as_bytes(),
        );
        sqlx::query(
            "insert into hotspots (id, name, kind, county_code, location, position_error_m, source)
             values ($1, $2, $3, $4, st_setsrid(st_makepoint($5, $6), 4326)::geography, $7, $8)
             on conflict (id) do nothing",
        )
        .bind(id)
        .bind(&h.name)
        .bind(&h.kind)
        .bind(&h.county_adcode)
        .bind(h.lon)
        .bind(h.lat)
        .bind(h.est_error_m)
        .bind(&h.source)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("hotspot {}", h.name))?;
    }
    sqlx::query("select pg_notify($1, 'seed')")
        .bind(DIRECTORY_CHANNEL)
        .execute(&mut *tx)
        .await?;
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
