use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::places::*;
use crate::helpers::{TestApp, sighting, with};

fn batch(items: &[Value]) -> Value {
    json!({"sightings": items})
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_batch_reports_each_item_in_order_and_one_bad_item_spares_the_rest(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let officer = app.patrol().await;
    let now = app.now();
    let items = vec![
        sighting(now - Duration::days(3), XINTAI_CENTRE),
        with(
            sighting(now, XINTAI_CENTRE),
            "location",
            json!({"lat": 0.0, "lon": 0.0}),
        ),
        json!({"id": "not-a-uuid"}),
        with(
            sighting(now - Duration::hours(30), FEICHENG_CENTRE),
            "categories",
            json!(["minor"]),
        ),
    ];

    let reply = app
        .post(&officer, "/api/v1/sightings/batch", &batch(&items))
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let results = reply.body["results"].as_array().unwrap();
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["created", "error", "error", "created"]);
    assert_eq!(results[1]["error"]["code"], "outside_service_area");
    assert_eq!(results[2]["error"]["code"], "invalid_body");
    assert_eq!(results[3]["sighting"]["station"]["code"], "feicheng");
    assert_eq!(results[3]["sighting"]["referral"]["priority"], "urgent");
    assert_eq!(
        (
            reply.body["created"].as_u64(),
            reply.body["errors"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(app.count("sightings", "true").await, 2);
    assert_eq!(app.count("referrals", "true").await, 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn replaying_a_batch_creates_no_duplicates(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let officer = app.patrol().await;
    let items: Vec<Value> = (0..50)
        .map(|i| {
            with(
                sighting(app.now() - Duration::minutes(i), XINTAI_CENTRE),
                "categories",
                json!(if i % 5 == 0 {
                    json!(["elderly"])
                } else {
                    json!([])
                }),
            )
        })
        .collect();

    let first = app
        .post(&officer, "/api/v1/sightings/batch", &batch(&items))
        .await;
    let again = app
        .post(&officer, "/api/v1/sightings/batch", &batch(&items))
        .await;

    assert_eq!(first.body["created"], 50);
    assert_eq!(again.body["duplicates"], 50);
    assert_eq!(again.body["created"], 0);
    assert_eq!(app.count("sightings", "true").await, 50);
    assert_eq!(app.count("referrals", "true").await, 10);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_repeated_id_within_one_batch_is_stored_once(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let officer = app.patrol().await;
    let one = sighting(app.now(), XINTAI_CENTRE);
    let changed = with(one.clone(), "people_count", json!(3));

    let reply = app
        .post(
            &officer,
            "/api/v1/sightings/batch",
            &batch(&[one.clone(), one, changed]),
        )
        .await;

    let statuses: Vec<&str> = reply.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["created", "duplicate", "error"]);
    assert_eq!(reply.body["results"][2]["error"]["code"], "id_conflict");
    assert_eq!(app.count("sightings", "true").await, 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_batch_of_more_than_500_is_refused_whole(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let officer = app.patrol().await;
    let items: Vec<Value> = (0..501)
        .map(|_| sighting(app.now(), XINTAI_CENTRE))
        .collect();

    let reply = app
        .post(&officer, "/api/v1/sightings/batch", &batch(&items))
        .await;

    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.error_code(), "batch_too_large");
    assert_eq!(app.count("sightings", "true").await, 0);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_full_batch_of_500_with_long_notes_fits_the_8_mib_limit(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let officer = app.patrol().await;
    let items: Vec<Value> = (0..500)
        .map(|_| {
            with(
                sighting(app.now(), XINTAI_CENTRE),
                "notes",
                json!("n".repeat(4000)),
            )
        })
        .collect();

    let reply = app
        .post(&officer, "/api/v1/sightings/batch", &batch(&items))
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["created"], 500);
}
