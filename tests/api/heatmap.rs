//! Heat-map counts are exact: for random reports, the cells' counts add up to the number of
//! matching records, whatever the window, box or cell size.

use chrono::Duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{Account, TestApp, sighting, with};

/// 400 reports at random points of Tai'an over the last six days, some special.
async fn random_reports(app: &TestApp, officer: &Account) {
    let points: Vec<(f64, f64)> = sqlx::query_as(
        "select st_y(g.geom), st_x(g.geom) from st_dump(st_generatepoints((select st_union(boundary) from areas), 400, 42)) g",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let items: Vec<Value> = points
        .into_iter()
        .map(|p| {
            let at = app.now() - Duration::minutes(rng.random_range(1..6 * 24 * 60));
            let body = with(
                with(
                    sighting(app.now(), p),
                    "observed_at",
                    json!(at.to_rfc3339()),
                ),
                "people_count",
                json!(rng.random_range(1..4)),
            );
            if rng.random_bool(0.3) {
                with(body, "categories", json!(["elderly"]))
            } else {
                body
            }
        })
        .collect();
    let reply = app
        .post(
            officer,
            "/api/v1/sightings/batch",
            &json!({"sightings": items}),
        )
        .await;
    assert_eq!(reply.body["created"], 400, "{:?}", reply.body["results"][0]);
}

fn sums(map: &Value) -> (i64, i64, i64) {
    map["features"]
        .as_array()
        .unwrap()
        .iter()
        .fold((0, 0, 0), |(n, p, s), f| {
            let pr = &f["properties"];
            (
                n + pr["count"].as_i64().unwrap(),
                p + pr["people"].as_i64().unwrap(),
                s + pr["special_count"].as_i64().unwrap(),
            )
        })
}

async fn expected(app: &TestApp, condition: &str) -> (i64, i64, i64) {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select count(*), coalesce(sum(people_count), 0)::int8, count(*) filter (where categories && array['elderly']) from sightings where {condition}"
    )))
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn cell_counts_add_up_to_the_records_for_any_window_box_and_size(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let officer = app.patrol().await;
    random_reports(&app, &officer).await;
    let supervisor = app.supervisor().await;
    let from = (app.now() - Duration::hours(77) - Duration::minutes(13))
        .to_rfc3339()
        .replace('+', "%2B");
    let to = (app.now() - Duration::hours(5) - Duration::minutes(41))
        .to_rfc3339()
        .replace('+', "%2B");

    let campaign = app
        .get_as(&supervisor, "/api/v1/heatmap?campaign=winter-2026")
        .await;
    let ragged = app
        .get_as(
            &supervisor,
            &format!("/api/v1/heatmap?from={from}&to={to}&cell_m=2500"),
        )
        .await;
    let boxed = app
        .get_as(
            &supervisor,
            "/api/v1/heatmap?campaign=winter-2026&bbox=116.9,35.8,117.5,36.3&cell_m=250",
        )
        .await;

    assert_eq!(campaign.status, StatusCode::OK);
    assert_eq!(campaign.content_type, "application/geo+json");
    assert_eq!(campaign.body["count_of"], "reports");
    assert_eq!(campaign.body["resolution"], 8);
    assert_eq!(sums(&campaign.body), expected(&app, "true").await);
    assert_eq!(campaign.body["total"], 400);
    let window = format!(
        "observed_at >= '{}' and observed_at < '{}'",
        app.now() - Duration::hours(77) - Duration::minutes(13),
        app.now() - Duration::hours(5) - Duration::minutes(41)
    );
    assert_eq!(sums(&ragged.body), expected(&app, &window).await);
    assert!(sums(&ragged.body).0 > 0 && sums(&ragged.body).0 < 400);
    let in_box =
        "st_intersects(location::geometry, st_makeenvelope(116.9, 35.8, 117.5, 36.3, 4326))";
    assert_eq!(sums(&boxed.body), expected(&app, in_box).await);
    // A boxed city map takes its inner cells from the rollups and the rest from raw rows: each
    // cell wholly inside the box has the whole map's count, and the sums are the box's records.
    for cell_m in [1000, 2500, 5000] {
        let whole = app
            .get_as(
                &supervisor,
                &format!("/api/v1/heatmap?campaign=winter-2026&cell_m={cell_m}"),
            )
            .await;
        let boxed = app
            .get_as(
                &supervisor,
                &format!(
                    "/api/v1/heatmap?campaign=winter-2026&bbox=116.9,35.8,117.5,36.3&cell_m={cell_m}"
                ),
            )
            .await;
        assert_eq!(sums(&boxed.body), expected(&app, in_box).await, "{cell_m}");
        let counts = |map: &Value| -> std::collections::HashMap<String, (i64, bool)> {
            map["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let inside = f["geometry"]["coordinates"][0]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|p| {
                            let (lon, lat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                            (116.9..=117.5).contains(&lon) && (35.8..=36.3).contains(&lat)
                        });
                    let pr = &f["properties"];
                    (
                        pr["cell"].as_str().unwrap().to_owned(),
                        (pr["count"].as_i64().unwrap(), inside),
                    )
                })
                .collect()
        };
        let (whole, boxed) = (counts(&whole.body), counts(&boxed.body));
        let mut wholly_inside = 0;
        for (cell, (n, inside)) in &whole {
            if *inside {
                wholly_inside += 1;
                assert_eq!(boxed.get(cell).map(|c| c.0), Some(*n), "{cell} at {cell_m}");
            }
        }
        assert!(wholly_inside > 0, "{cell_m}");
        assert!(boxed.iter().all(|(c, (n, _))| whole[c].0 >= *n));
    }
    for cell_m in [250, 600, 1000, 2500, 5000] {
        let map = app
            .get_as(
                &supervisor,
                &format!("/api/v1/heatmap?campaign=winter-2026&cell_m={cell_m}"),
            )
            .await;
        assert_eq!(sums(&map.body).0, 400, "cell_m={cell_m}");
        assert!(
            map.body["features"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["properties"]["count"].as_i64().unwrap() > 0)
        );
    }
    let coarse = app
        .get_as(
            &supervisor,
            "/api/v1/heatmap?campaign=winter-2026&cell_m=5000",
        )
        .await;
    let fine = app
        .get_as(
            &supervisor,
            "/api/v1/heatmap?campaign=winter-2026&cell_m=250",
        )
        .await;
    assert!(
        coarse.body["features"].as_array().unwrap().len()
            < fine.body["features"].as_array().unwrap().len()
    );
    assert_eq!(coarse.body["features"][0]["geometry"]["type"], "Polygon");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn maps_are_the_same_before_during_and_after_the_rollup_worker_folds_the_inbox(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let officer = app.patrol().await;
    random_reports(&app, &officer).await;
    let supervisor = app.supervisor().await;
    let paths = [
        "/api/v1/heatmap?campaign=winter-2026&cell_m=1000",
        "/api/v1/heatmap?campaign=winter-2026&cell_m=5000",
        "/api/v1/heatmap?from=2026-12-10T00:00:00%2B08:00&to=2026-12-14T00:00:00%2B08:00",
    ];
    let mut before = Vec::new();
    for path in paths {
        before.push(app.get_as(&supervisor, path).await.body);
    }
    assert_eq!(app.count("heat_inbox", "layer = 'sightings'").await, 400);
    let queued = app.count("heat_inbox", "true").await; // with the referrals raised
    assert_eq!(app.count("heat_cells", "true").await, 0);

    // Readers while the worker folds: each answer counts every report once.
    let db = app.pool.clone();
    let folding =
        tokio::spawn(async move { xunjiu_server::features::heatmap::rollup::drain(&db).await });
    for _ in 0..5 {
        let map = app.get_as(&supervisor, paths[0]).await;
        assert_eq!(sums(&map.body), sums(&before[0]));
    }
    assert_eq!(folding.await.unwrap().unwrap() as i64, queued);
    assert_eq!(app.count("heat_inbox", "true").await, 0);
    assert!(app.count("heat_cells", "true").await > 0);
    assert!(app.count("heat_cells_month", "true").await > 0);
    for (path, expected) in paths.iter().zip(&before) {
        assert_eq!(
            &app.get_as(&supervisor, path).await.body,
            expected,
            "{path}"
        );
    }

    // Reports after the fold join the rollups' counts exactly as well.
    random_reports(&app, &officer).await;
    let both = app.get_as(&supervisor, paths[0]).await;
    assert_eq!(sums(&both.body).0, 800);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_referrals_layer_counts_referrals(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let hotline = app.hotline().await;
    for _ in 0..3 {
        app.post(
            &hotline,
            "/api/v1/referrals",
            &crate::helpers::referral(app.now(), crate::helpers::places::XINTAI_CENTRE),
        )
        .await;
    }

    let map = app
        .get_as(
            &app.supervisor().await,
            "/api/v1/heatmap?layer=referrals&campaign=winter-2026",
        )
        .await;
    let sightings = app
        .get_as(
            &app.supervisor().await,
            "/api/v1/heatmap?campaign=winter-2026",
        )
        .await;

    assert_eq!(map.body["layer"], "referrals");
    assert_eq!(sums(&map.body).0, 3);
    assert_eq!(map.body["features"].as_array().unwrap().len(), 1);
    assert_eq!(sums(&sightings.body).0, 0);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn bad_heatmap_parameters_are_400(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let who = app.supervisor().await;

    for (query, code) in [
        ("layer=people", "invalid_layer"),
        ("cell_m=100", "invalid_cell_size"),
        ("cell_m=big", "invalid_cell_size"),
        ("campaign=spring-2026", "invalid_campaign"),
        (
            "from=2026-12-10T00:00:00Z&to=2026-12-01T00:00:00Z",
            "invalid_time",
        ),
        ("bbox=1,2", "invalid_bbox"),
    ] {
        let reply = app.get_as(&who, &format!("/api/v1/heatmap?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.error_code(), code, "{query}");
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn tiles_decode_as_mvt_and_a_tile_over_the_whole_city_holds_every_report(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let officer = app.patrol().await;
    random_reports(&app, &officer).await;
    let supervisor = app.supervisor().await;
    let client = reqwest::Client::new();
    let tile = |path: String| {
        client
            .get(app.url(&path))
            .bearer_auth(&supervisor.token)
            .send()
    };

    // z5 tile 26/12 covers all of Tai'an (116–118 E, 35.5–36.5 N).
    let whole = tile("/tiles/sightings/5/26/12.mvt?campaign=winter-2026".into())
        .await
        .unwrap();
    let close = tile("/tiles/sightings/11/1690/808.mvt?campaign=winter-2026".into())
        .await
        .unwrap();
    let empty = tile("/tiles/sightings/5/0/0.mvt?campaign=winter-2026".into())
        .await
        .unwrap();
    let bad = tile("/tiles/sightings/3/9/1.mvt".into()).await.unwrap();

    assert_eq!(
        whole.headers()["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    assert!(
        whole.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let reader = mvt_reader::Reader::new(whole.bytes().await.unwrap().to_vec()).unwrap();
    assert_eq!(reader.get_layer_names().unwrap(), ["sightings"]);
    let features = reader.get_features(0).unwrap();
    let count: i64 = features
        .iter()
        .map(|f| match f.properties.as_ref().unwrap()["count"] {
            mvt_reader::feature::Value::Int(n) => n,
            mvt_reader::feature::Value::UInt(n) => n as i64,
            mvt_reader::feature::Value::SInt(n) => n,
            ref other => panic!("count is {other:?}"),
        })
        .sum();
    assert_eq!(count, 400, "every report once, at z5");
    assert!(features.iter().all(|f| matches!(
        f.geometry,
        geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_)
    )));
    assert_eq!(close.status(), StatusCode::OK);
    assert!(
        empty.bytes().await.unwrap().is_empty(),
        "no cells in a tile over the Atlantic"
    );
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_png_is_a_valid_image_of_the_requested_size_with_shaded_cells(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let officer = app.patrol().await;
    random_reports(&app, &officer).await;
    let supervisor = app.supervisor().await;
    let client = reqwest::Client::new();

    let res = client
        .get(app.url("/api/v1/heatmap.png?campaign=winter-2026&cell_m=2500&width=800&height=600"))
        .bearer_auth(&supervisor.token)
        .send()
        .await
        .unwrap();
    let bad = app
        .get_as(&supervisor, "/api/v1/heatmap.png?width=99999")
        .await;

    assert_eq!(res.headers()["content-type"], "image/png");
    let bytes = res.bytes().await.unwrap().to_vec();
    let artifacts = concat!(env!("CARGO_MANIFEST_DIR"), "/../test-artifacts");
    std::fs::create_dir_all(artifacts).unwrap();
    std::fs::write(format!("{artifacts}/heatmap.png"), &bytes).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (800, 600));
    let channels = info.color_type.samples();
    let shaded = buf
        .chunks(channels)
        .filter(|p| p[0] > 180 && p[1] < 200 && p[2] < 110)
        .count();
    assert!(shaded > 2_000, "cells are shaded ({shaded} warm pixels)");
    assert_eq!(bad.error_code(), "invalid_size");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_tile_zoomed_in_reads_its_own_cells_with_the_maps_counts(pool: PgPool) {
    use xunjiu_server::features::heatmap::tiles::tile_bounds;
    let app = TestApp::unlimited(pool).await;
    let officer = app.patrol().await;
    random_reports(&app, &officer).await;
    let supervisor = app.supervisor().await;
    // Zoom 10 uses resolution 7, the map's cells at cell_m=2500.
    let map = app
        .get_as(
            &supervisor,
            "/api/v1/heatmap?campaign=winter-2026&cell_m=2500",
        )
        .await;
    assert_eq!(map.body["resolution"], 7);
    let on_map: std::collections::HashMap<String, (i64, (f64, f64))> = map.body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
            let corners = &ring[..ring.len() - 1];
            let mean = |k: usize| {
                corners.iter().map(|p| p[k].as_f64().unwrap()).sum::<f64>() / corners.len() as f64
            };
            (
                f["properties"]["cell"].as_str().unwrap().to_owned(),
                (
                    f["properties"]["count"].as_i64().unwrap(),
                    (mean(0), mean(1)),
                ),
            )
        })
        .collect();
    // Tai'an's centre (117.1 E, 36.2 N) is in z10 tile 845/401; the tiles around it.
    let mut seen = 0;
    for (x, y) in (844..=846).flat_map(|x| (400..=404).map(move |y| (x, y))) {
        let reply = reqwest::Client::new()
            .get(app.url(&format!(
                "/tiles/sightings/10/{x}/{y}.mvt?campaign=winter-2026"
            )))
            .bearer_auth(&supervisor.token)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        let bytes = reply.bytes().await.unwrap().to_vec();
        let mut in_tile = std::collections::HashMap::new();
        if !bytes.is_empty() {
            let reader = mvt_reader::Reader::new(bytes).unwrap();
            for f in reader.get_features(0).unwrap() {
                let props = f.properties.as_ref().unwrap();
                let mvt_reader::feature::Value::String(cell) = &props["cell"] else {
                    panic!("cell is a string");
                };
                let count = match props["count"] {
                    mvt_reader::feature::Value::Int(n) | mvt_reader::feature::Value::SInt(n) => n,
                    mvt_reader::feature::Value::UInt(n) => n as i64,
                    ref other => panic!("count is {other:?}"),
                };
                in_tile.insert(cell.clone(), count);
            }
        }
        for (cell, count) in &in_tile {
            assert_eq!(on_map.get(cell).map(|c| c.0), Some(*count), "{cell}");
        }
        let (w, s, e, n) = tile_bounds(10, x, y);
        for (cell, (_, (lon, lat))) in &on_map {
            if w + 1e-3 < *lon && *lon < e - 1e-3 && s + 1e-3 < *lat && *lat < n - 1e-3 {
                assert!(in_tile.contains_key(cell), "{cell} lies in 10/{x}/{y}");
                seen += 1;
            }
        }
    }
    assert!(seen > 20, "the tiles hold many of the map's cells, {seen}");
}
