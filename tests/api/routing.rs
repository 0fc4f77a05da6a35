use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::TestApp;

/// The nearest station by PostGIS's own spheroidal distance, the reference the API must match.
async fn postgis_nearest(pool: &PgPool, lat: f64, lon: f64) -> (String, f64) {
    sqlx::query_as(
        "select code, st_distance(location, st_setsrid(st_makepoint($1, $2), 4326)::geography)
         from stations order by 2, code limit 1",
    )
    .bind(lon)
    .bind(lat)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn inside_tai_an(pool: &PgPool, lat: f64, lon: f64) -> bool {
    sqlx::query_scalar(
        "select exists (select 1 from areas where st_intersects(boundary, st_setsrid(st_makepoint($1, $2), 4326)))",
    )
    .bind(lon)
    .bind(lat)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn random_points_in_tai_an_route_to_the_postgis_argmin_within_a_tenth_of_a_metre(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let mut rng = StdRng::seed_from_u64(0x7a1a_2020);
    let mut checked = 0;

    while checked < 300 {
        let lat = rng.random_range(35.55..36.50);
        let lon = rng.random_range(116.10..118.10);
        if !inside_tai_an(&app.pool, lat, lon).await {
            continue;
        }

        let reply = app.get(&format!("/api/v1/route?lat={lat}&lon={lon}")).await;

        assert_eq!(
            reply.status,
            StatusCode::OK,
            "({lat}, {lon}): {:?}",
            reply.body
        );
        let (code, distance) = postgis_nearest(&app.pool, lat, lon).await;
        assert_eq!(reply.body["station"]["code"], code, "({lat}, {lon})");
        let got = reply.body["distance_m"].as_f64().unwrap();
        assert!(
            (got - distance).abs() < 0.1,
            "({lat}, {lon}): {got} vs {distance}"
        );
        assert!(
            reply.body["area"].is_object(),
            "({lat}, {lon}) is inside a county"
        );
        checked += 1;
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_point_in_each_county_gets_that_county_as_its_area(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let samples: Vec<(String, String, f64, f64)> = sqlx::query_as(
        "select code, station_code, st_y(p), st_x(p)
         from (select code, station_code, st_pointonsurface(boundary) as p from areas) a order by code",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(samples.len(), 6);

    for (code, station_code, lat, lon) in samples {
        let reply = app.get(&format!("/api/v1/route?lat={lat}&lon={lon}")).await;

        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body["area"]["code"], code.as_str());
        assert_eq!(reply.body["area"]["station_code"], station_code.as_str());
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_nearest_and_the_territorial_station_can_differ_and_the_answer_shows_it(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    // 岱岳区 is the city station's territory, but its south-west reaches toward 肥城/宁阳.
    let candidates: Vec<(f64, f64)> = sqlx::query_as(
        "select st_y(g.geom), st_x(g.geom)
         from areas a, st_dump(st_generatepoints(a.boundary, 400, 7)) g
         where a.code = '370911'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();

    let mut differing = 0;
    for (lat, lon) in candidates {
        let reply = app.get(&format!("/api/v1/route?lat={lat}&lon={lon}")).await;
        assert_eq!(reply.body["area"]["station_code"], "taian");
        if reply.body["station"]["code"] != "taian" {
            differing += 1;
        }
    }

    assert!(differing > 0, "some of 岱岳区 lies nearer another station");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn bad_coordinates_are_400_invalid_coordinates(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    for query in [
        "",
        "lat=36.19",
        "lon=117.12",
        "lat=abc&lon=117.12",
        "lat=36.19&lon=east",
        "lat=NaN&lon=117.12",
        "lat=36.19&lon=inf",
        "lat=90.5&lon=117.12",
        "lat=-91&lon=117.12",
        "lat=36.19&lon=180.01",
        "lat=36.19&lon=-200",
        "lat=&lon=",
    ] {
        let reply = app.get(&format!("/api/v1/route?{query}")).await;

        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.error_code(), "invalid_coordinates", "{query}");
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn points_far_outside_tai_an_are_422_outside_service_area(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    for (name, lat, lon) in [
        ("null island", 0.0, 0.0),
        ("Beijing", 39.9042, 116.4074),
        ("Jinan", 36.6512, 117.1201),
        ("Qufu", 35.5970, 116.9910),
    ] {
        let reply = app.get(&format!("/api/v1/route?lat={lat}&lon={lon}")).await;

        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_eq!(reply.error_code(), "outside_service_area", "{name}");
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_fix_3_km_beyond_the_border_still_routes_but_8_km_does_not(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    // Walk due east from the easternmost vertex of the city, so the distance to the city is
    // exactly the distance walked.
    let (lat3, lon3, lat8, lon8): (f64, f64, f64, f64) = sqlx::query_as(
        "with e as (
             select d.p from (select (st_dumppoints(st_union(boundary))).geom as p from areas) d
             order by st_x(d.p) desc limit 1
         )
         select st_y(a::geometry), st_x(a::geometry), st_y(b::geometry), st_x(b::geometry)
         from (select st_project(p::geography, 3000, radians(90)) a,
                      st_project(p::geography, 8000, radians(90)) b from e) s",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();

    let near = app
        .get(&format!("/api/v1/route?lat={lat3}&lon={lon3}"))
        .await;
    let far = app
        .get(&format!("/api/v1/route?lat={lat8}&lon={lon8}"))
        .await;

    assert_eq!(near.status, StatusCode::OK);
    assert!(near.body["area"].is_null(), "outside every county");
    assert_eq!(far.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(far.error_code(), "outside_service_area");
}
