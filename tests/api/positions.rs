//! Positions operators correct, and Chinese map coordinates: a station's correction, its history
//! and its effect on routing; a reseed leaving it; the reroute preview on hand-built referrals;
//! GCJ-02 and BD-09 accepted by every API that takes a position and stored in WGS84, what was
//! sent kept beside it; an unknown `crs` refused.

use chrono::Duration;
use geo::{Distance, Geodesic, Point};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;
use xunjiu_server::rules::geo::crs::{Crs, from_wgs84};

use crate::helpers::places::*;
use crate::helpers::{TestApp, referral, sighting, with};

fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
}

/// `at` as a phone in `crs` would report it.
fn sent(at: (f64, f64), crs: Crs, name: &str) -> Value {
    let (lat, lon) = from_wgs84(crs, at.0, at.1);
    json!({"lat": lat, "lon": lon, "accuracy_m": 10.0, "crs": name})
}

fn answered(v: &Value) -> (f64, f64) {
    (v["lat"].as_f64().unwrap(), v["lon"].as_f64().unwrap())
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_station_correction_is_kept_with_its_source_routes_at_once_and_survives_a_reseed(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let city = app.supervisor().await;
    let before = app
        .get(&format!(
            "/api/v1/route?lat={}&lon={}",
            DONGPING_FIELD.0, DONGPING_FIELD.1
        ))
        .await;
    assert_eq!(before.body["station"]["code"], "dongping");

    // The station's own Amap pin, in GCJ-02, at the field: the stored point is its WGS84.
    let patch = json!({"location": sent(DONGPING_FIELD, Crs::Gcj02, "gcj02"), "phone": "0538-7330000",
                       "source": "the station's own Amap pin"});
    let path = "/api/v1/stations/xintai";
    for who in [
        app.county_supervisor("370982").await,
        app.duty("xintai").await,
    ] {
        assert_eq!(
            app.patch(&who, path, &patch).await.status,
            StatusCode::FORBIDDEN
        );
    }
    let no_source = app
        .patch(&city, path, &with(patch.clone(), "source", json!(" ")))
        .await;
    assert_eq!(no_source.error_code(), "source_required");
    let mars = json!({"location": {"lat": 35.9, "lon": 117.7, "crs": "mars"}, "source": "x"});
    let refused = app.patch(&city, path, &mars).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.error_code(), "invalid_crs");
    assert_eq!(
        app.patch(&city, "/api/v1/stations/nowhere", &patch)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let saved = app.patch(&city, path, &patch).await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert!(
        metres(answered(&saved.body), DONGPING_FIELD) < 0.5,
        "{:?}",
        saved.body
    );
    assert_eq!(saved.body["phone"], "0538-7330000");
    let after = app
        .get(&format!(
            "/api/v1/route?lat={}&lon={}",
            DONGPING_FIELD.0, DONGPING_FIELD.1
        ))
        .await;
    assert_eq!(
        after.body["station"]["code"], "xintai",
        "routing uses the new point at once"
    );

    let history = app.get_as(&city, "/api/v1/stations/xintai/history").await;
    let change = &history.body["changes"][0];
    assert_eq!(change["source"], "the station's own Amap pin");
    assert_eq!(change["by"], city.username.as_str());
    assert_eq!(change["sent_crs"], "gcj02");
    assert!((change["old_lat"].as_f64().unwrap() - XINTAI_CENTRE.0).abs() < 0.05);
    assert_eq!(change["new_phone"], "0538-7330000");

    let report = xunjiu_server::features::seed::run(&app.pool, 5000.0)
        .await
        .unwrap();
    assert_eq!(report.kept_corrections, vec!["xintai".to_owned()]);
    app.state.reload_directory().await.unwrap();
    let stations = app.get("/api/v1/stations").await;
    let xintai = stations.body["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "xintai")
        .unwrap()
        .clone();
    assert!(
        metres(answered(&xintai), DONGPING_FIELD) < 0.5,
        "the reseed left the correction"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_reroute_preview_counts_what_a_move_would_send_elsewhere(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let file = |at: (f64, f64), days_ago: i64| {
        let body = with(
            referral(app.now(), at),
            "reported_at",
            json!(app.now() - Duration::days(days_ago)),
        );
        let (app, hotline) = (&app, &hotline);
        async move { app.post(hotline, "/api/v1/referrals", &body).await.body["id"].clone() }
    };
    let mut field = vec![];
    for _ in 0..3 {
        field.push(file(DONGPING_FIELD, 0).await);
    }
    file(DONGPING_FIELD, 5).await;
    file(FEICHENG_CENTRE, 0).await;
    let patrol = app.patrol().await;
    app.post(
        &patrol,
        "/api/v1/sightings",
        &sighting(app.now(), DONGPING_FIELD),
    )
    .await;

    let city = app.supervisor().await;
    let preview = app
        .get_as(
            &city,
            &format!(
                "/api/v1/stations/feicheng/reroute-preview?lat={}&lon={}&days=2",
                DONGPING_FIELD.0, DONGPING_FIELD.1
            ),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{:?}", preview.body);
    assert_eq!(
        preview.body["referrals"], 4,
        "the three recent ones at the field, and Feicheng's own, now nearer another station; not the older one"
    );
    assert_eq!(preview.body["sightings"], 1);
    let moves = preview.body["moves"].as_array().unwrap();
    let to_feicheng = moves
        .iter()
        .find(|m| m["from"] == "dongping" && m["to"] == "feicheng")
        .unwrap();
    assert_eq!(to_feicheng["referrals"], 3);
    let from_feicheng = moves.iter().find(|m| m["from"] == "feicheng").unwrap();
    assert_eq!(from_feicheng["referrals"], 1);
    let sample = preview.body["sample_referrals"].as_array().unwrap();
    assert_eq!(sample.len(), 4);
    assert!(field.iter().all(|id| sample.contains(id)));
    let week = app
        .get_as(
            &city,
            &format!(
                "/api/v1/stations/feicheng/reroute-preview?lat={}&lon={}&days=7",
                DONGPING_FIELD.0, DONGPING_FIELD.1
            ),
        )
        .await;
    assert_eq!(week.body["referrals"], 5);
    // Nothing is saved by a preview.
    let route = app
        .get(&format!(
            "/api/v1/route?lat={}&lon={}",
            DONGPING_FIELD.0, DONGPING_FIELD.1
        ))
        .await;
    assert_eq!(route.body["station"]["code"], "dongping");
    let bad = app
        .get_as(
            &city,
            "/api/v1/stations/feicheng/reroute-preview?lat=36&lon=117&crs=utm",
        )
        .await;
    assert_eq!(bad.error_code(), "invalid_crs");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn every_api_that_takes_a_position_takes_gcj02_and_bd09_and_stores_wgs84(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let patrol = app.patrol().await;
    let hotline = app.hotline().await;
    let duty = app.duty("taian").await;
    let city = app.supervisor().await;
    let at = TAISHAN_STATION;

    for (crs, name) in [(Crs::Gcj02, "gcj02"), (Crs::Bd09, "bd09")] {
        let (lat, lon) = from_wgs84(crs, at.0, at.1);
        assert!(
            metres((lat, lon), at) > 300.0,
            "the datums differ by hundreds of metres here"
        );
        let route = app
            .get(&format!("/api/v1/route?lat={lat}&lon={lon}&crs={name}"))
            .await;
        assert_eq!(route.body["station"]["code"], "taian");
        let place = sent(at, crs, name);

        let s = app
            .post(
                &patrol,
                "/api/v1/sightings",
                &with(sighting(app.now(), at), "location", place.clone()),
            )
            .await;
        assert_eq!(s.status, StatusCode::CREATED, "{:?}", s.body);
        assert!(metres(answered(&s.body["location"]), at) < 0.5);
        assert!(
            s.body["location"].get("crs").is_none(),
            "answers are WGS84 only"
        );
        let batch =
            json!({"sightings": [with(sighting(app.now(), at), "location", place.clone())]});
        let b = app.post(&patrol, "/api/v1/sightings/batch", &batch).await;
        assert!(
            metres(answered(&b.body["results"][0]["sighting"]["location"]), at) < 0.5,
            "{:?}",
            b.body
        );

        let r = app
            .post(
                &hotline,
                "/api/v1/referrals",
                &with(referral(app.now(), at), "location", place.clone()),
            )
            .await;
        assert!(
            metres(answered(&r.body["location"]), at) < 0.5,
            "{:?}",
            r.body
        );

        let hotspot = app
            .post(&city, "/api/v1/hotspots", &json!({"name": format!("桥洞 {name}"), "kind": "bridge_culvert", "location": place.clone()}))
            .await;
        assert!(
            metres(answered(&hotspot.body), at) < 0.5,
            "{:?}",
            hotspot.body
        );
        let checkin = json!({"id": Uuid::new_v4(), "at": app.now(), "location": place.clone(), "people_found": 0});
        let c = app
            .post(
                &patrol,
                &format!(
                    "/api/v1/hotspots/{}/checkins",
                    hotspot.body["id"].as_str().unwrap()
                ),
                &checkin,
            )
            .await;
        assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
        assert!(
            c.body["distance_m"].as_f64().unwrap() < 1.0,
            "the check-in is at the hotspot, not 500 m off"
        );

        let incident = json!({"id": Uuid::new_v4(), "kind": "other", "occurred_at": app.now(), "location": place.clone(),
                              "station": "taian", "description": "test"});
        let i = app.post(&duty, "/api/v1/incidents", &incident).await;
        assert!(
            metres(answered(&i.body["location"]), at) < 0.5,
            "{:?}",
            i.body
        );
        let proposal = json!({"id": Uuid::new_v4(), "name": format!("新点 {name}"), "kind": "other", "location": place.clone()});
        let p = app
            .post(&patrol, "/api/v1/hotspots/proposals", &proposal)
            .await;
        assert!(metres(answered(&p.body), at) < 0.5, "{:?}", p.body);

        // What was sent is kept beside each record, for audit.
        for kind in [
            "sighting", "referral", "hotspot", "checkin", "incident", "proposal",
        ] {
            let kept = app
                .count(
                    "position_originals",
                    &format!(
                        "record_kind = '{kind}' and crs = '{name}' and abs(lat - {lat}) < 1e-9"
                    ),
                )
                .await;
            assert!(kept >= 1, "{kind} {name}");
        }
    }

    // Open311 takes `crs` too.
    let partner = xunjiu_server::features::open311::partners::add(
        &app.pool,
        "map-app",
        mobile_api::Channel::Public,
    )
    .await
    .unwrap();
    let (lat, lon) = from_wgs84(Crs::Gcj02, at.0, at.1);
    let res = reqwest::Client::new()
        .post(app.url("/open311/v2/requests.json"))
        .form(&[
            ("api_key", partner.as_str()),
            ("service_code", "sleeping_rough"),
            ("lat", &lat.to_string()),
            ("long", &lon.to_string()),
            ("crs", "gcj02"),
            ("description", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    let stored: (f64, f64) = sqlx::query_as("select st_y(location::geometry), st_x(location::geometry) from referrals where channel = 'public'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(metres(stored, at) < 0.5);

    // An unknown datum is refused everywhere, and nothing is stored.
    let before = app.count("sightings", "true").await;
    let mars = json!({"lat": at.0, "lon": at.1, "crs": "mars"});
    for (path, body) in [
        (
            "/api/v1/sightings",
            with(sighting(app.now(), at), "location", mars.clone()),
        ),
        (
            "/api/v1/referrals",
            with(referral(app.now(), at), "location", mars.clone()),
        ),
    ] {
        let who = if path.contains("sightings") {
            &patrol
        } else {
            &hotline
        };
        let reply = app.post(who, path, &body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(reply.error_code(), "invalid_crs", "{path}");
    }
    assert_eq!(
        app.get("/api/v1/route?lat=36.2&lon=117.1&crs=mars")
            .await
            .error_code(),
        "invalid_crs"
    );
    assert_eq!(app.count("sightings", "true").await, before);
}
