//! Loading the directory from the database.

use anyhow::{Context, anyhow};
use geo::{Geometry, MultiPolygon, Point};
use geozero::ToGeo;
use geozero::wkb::Wkb;
use mobile_api::{AreaRef, Station};
use sqlx::PgExecutor;

use super::directory::{Directory, HotspotEntry, StationEntry};

#[derive(sqlx::FromRow)]
struct StationRow {
    code: String,
    name: String,
    county: String,
    county_code: String,
    address: String,
    phone: String,
    lat: f64,
    lon: f64,
}

#[derive(sqlx::FromRow)]
struct AreaRow {
    code: String,
    name: String,
    station_code: String,
    boundary: Vec<u8>,
}

/// Read a consistent snapshot (call it inside a transaction when that matters).
pub async fn load(db: impl PgExecutor<'_> + Copy) -> anyhow::Result<Directory> {
    let stations: Vec<StationRow> = sqlx::query_as(
        "select s.code, s.name, coalesce(a.name, '') as county, s.county_code, s.address, s.phone,
                st_y(s.location::geometry) as lat, st_x(s.location::geometry) as lon
         from stations s left join areas a on a.code = s.county_code
         order by s.code",
    )
    .fetch_all(db)
    .await
    .context("loading stations")?;
    let areas: Vec<AreaRow> = sqlx::query_as(
        "select code, name, station_code, st_asbinary(boundary) as boundary from areas order by code",
    )
    .fetch_all(db)
    .await
    .context("loading areas")?;
    let hotspots: Vec<(uuid::Uuid, String, String, f64, f64)> = sqlx::query_as(
        "select id, name, kind, st_y(location::geometry), st_x(location::geometry)
         from hotspots where active order by id",
    )
    .fetch_all(db)
    .await
    .context("loading hotspots")?;
    let service_area: Option<Vec<u8>> =
        sqlx::query_scalar("select st_asbinary(boundary) from service_area")
            .fetch_optional(db)
            .await
            .context("loading the service area")?;

    let stations = stations
        .into_iter()
        .map(|r| StationEntry {
            point: Point::new(r.lon, r.lat),
            station: Station {
                code: r.code,
                name: r.name,
                county: r.county,
                county_code: r.county_code,
                address: r.address,
                phone: r.phone,
                lat: r.lat,
                lon: r.lon,
            },
        })
        .collect();
    let areas = areas
        .into_iter()
        .map(|r| {
            let shape = multipolygon(&r.boundary).with_context(|| format!("area {}", r.code))?;
            let area = AreaRef {
                code: r.code,
                name: r.name,
                station_code: r.station_code,
            };
            Ok((area, shape))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let service_area = service_area
        .map(|wkb| multipolygon(&wkb).context("service area"))
        .transpose()?;
    let hotspots = hotspots
        .into_iter()
        .map(|(id, name, kind, lat, lon)| HotspotEntry {
            id,
            name,
            kind,
            point: Point::new(lon, lat),
        })
        .collect();
    Ok(Directory::new(stations, areas, service_area, hotspots))
}

fn multipolygon(wkb: &[u8]) -> anyhow::Result<MultiPolygon<f64>> {
    match Wkb(wkb).to_geo()? {
        Geometry::MultiPolygon(mp) => Ok(mp),
        Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        other => Err(anyhow!("expected a (multi)polygon, got {other:?}")),
    }
}
