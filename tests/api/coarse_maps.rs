//! Coarse maps cannot be narrowed to one report (issue 28, 4): for roles without casework a
//! box is widened to whole cells and a window to whole local days, so moving a box edge or a
//! window end across one report changes nothing, in GeoJSON, tiles and the PNG alike.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::places::*;
use crate::helpers::{Account, TestApp, sighting};

fn enc(t: DateTime<Utc>) -> String {
    t.to_rfc3339().replace('+', "%2B").replace(':', "%3A")
}

/// Three reports ~50 m apart west to east, ten, thirty and fifty minutes ago; their longitudes.
async fn three_reports(app: &TestApp, patrol: &Account) -> [f64; 3] {
    let (lat, lon) = XINTAI_CENTRE;
    let lons = [lon - 0.0006, lon, lon + 0.0006];
    for (i, lon) in lons.iter().enumerate() {
        let mut body = sighting(app.now(), (lat, *lon));
        body["observed_at"] = serde_json::json!(app.now() - Duration::minutes(50 - 20 * i as i64));
        let reply = app.post(patrol, "/api/v1/sightings", &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    lons
}

async fn bytes(app: &TestApp, who: &Account, path: &str) -> (StatusCode, Vec<u8>) {
    let res = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap();
    (res.status(), res.bytes().await.unwrap().to_vec())
}

/// The zoom-10 tile holding a point (its cells are the 2.5 km map's).
fn tile_of((lat, lon): (f64, f64)) -> (u32, u32) {
    let n = f64::from(1u32 << 10);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let rad = lat.to_radians();
    let y = ((1.0 - (rad.tan() + 1.0 / rad.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_box_edge_or_a_window_end_moved_across_one_report_changes_no_coarse_map(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let patrol = app.patrol().await;
    let lons = three_reports(&app, &patrol).await;
    let (lat, _) = XINTAI_CENTRE;
    let from = enc(app.now() - Duration::days(2));
    let now = app.now();
    let city = app.supervisor().await;
    let exact = app
        .get_as(
            &city,
            &format!("/api/v1/heatmap?cell_m=2500&from={from}&to={}", enc(now)),
        )
        .await;
    assert_eq!(
        exact.body["features"].as_array().unwrap().len(),
        1,
        "one cell holds all three"
    );
    assert_eq!(exact.body["features"][0]["properties"]["count"], 3);

    // The box's east edge just west, then just east, of the third report.
    let boxed = |east: f64| {
        format!(
            "/api/v1/heatmap?cell_m=2500&from={from}&to={}&bbox={},{},{east},{}",
            enc(now),
            lons[0] - 0.05,
            lat - 0.05,
            lat + 0.05
        )
    };
    let west_of = app.get_as(&patrol, &boxed(lons[2] - 0.0001)).await;
    let east_of = app.get_as(&patrol, &boxed(lons[2] + 0.0001)).await;
    assert_eq!(west_of.status, StatusCode::OK, "{:?}", west_of.body);
    assert_eq!(west_of.body["features"], east_of.body["features"]);
    assert_eq!(
        west_of.body["features"][0]["properties"]["count"], 3,
        "the cell, whole"
    );
    let exact_west = app.get_as(&city, &boxed(lons[2] - 0.0001)).await;
    assert_eq!(
        exact_west.body["features"][0]["properties"]["count"], 2,
        "an exact map does cut at the edge"
    );

    // The window's end a second before, then a second after, the newest report.
    let newest = now - Duration::minutes(10);
    let window = |to: DateTime<Utc>| format!("cell_m=2500&from={from}&to={}", enc(to));
    let before = window(newest - Duration::seconds(1));
    let after = window(newest + Duration::seconds(1));
    let a = app
        .get_as(&patrol, &format!("/api/v1/heatmap?{before}"))
        .await;
    let b = app
        .get_as(&patrol, &format!("/api/v1/heatmap?{after}"))
        .await;
    assert_eq!(a.body, b.body);
    assert_eq!(a.body["features"][0]["properties"]["count"], 3);
    let (x, y) = tile_of(XINTAI_CENTRE);
    for path in [
        format!("/tiles/sightings/10/{x}/{y}.mvt?{{}}"),
        "/api/v1/heatmap.png?width=400&height=300&{}".to_owned(),
    ] {
        let (sa, ta) = bytes(&app, &patrol, &path.replace("{}", &before)).await;
        let (sb, tb) = bytes(&app, &patrol, &path.replace("{}", &after)).await;
        assert_eq!((sa, sb), (StatusCode::OK, StatusCode::OK), "{path}");
        assert!(!ta.is_empty(), "{path}");
        assert_eq!(ta, tb, "{path}");
    }
    let (_, png_west) = bytes(
        &app,
        &patrol,
        &format!(
            "{}&width=400&height=300",
            boxed(lons[2] - 0.0001).replace("/api/v1/heatmap?", "/api/v1/heatmap.png?")
        ),
    )
    .await;
    let (_, png_east) = bytes(
        &app,
        &patrol,
        &format!(
            "{}&width=400&height=300",
            boxed(lons[2] + 0.0001).replace("/api/v1/heatmap?", "/api/v1/heatmap.png?")
        ),
    )
    .await;
    assert_eq!(png_west, png_east);
}
