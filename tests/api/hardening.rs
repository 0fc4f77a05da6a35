//! Hardening: writes charged per record, logins that cannot be raced or flooded, the headers
//! every answer carries, and bodies not read for requests refused anyway.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use xunjiu_server::features::open311::partners;
use xunjiu_server::plumbing::config::Settings;

use crate::helpers::places::*;
use crate::helpers::{PASSWORD, TestApp, sighting};

fn batch(app: &TestApp, n: usize) -> Value {
    json!({"sightings": (0..n).map(|_| sighting(app.now(), XINTAI_CENTRE)).collect::<Vec<_>>()})
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_batch_costs_one_write_per_record_and_past_the_bucket_nothing_is_stored(pool: PgPool) {
    let settings = Settings {
        writes_per_minute: 1,
        write_burst: 10,
        ..Default::default()
    };
    let app = TestApp::seeded_with(pool, settings).await;
    let officer = app.patrol().await;
    let greedy = app.patrol().await;

    let eight = app
        .post(&officer, "/api/v1/sightings/batch", &batch(&app, 8))
        .await;
    let three_more = app
        .post(&officer, "/api/v1/sightings/batch", &batch(&app, 3))
        .await;
    let two_more = app
        .post(&officer, "/api/v1/sightings/batch", &batch(&app, 2))
        .await;
    let eleven = app
        .post(&greedy, "/api/v1/sightings/batch", &batch(&app, 11))
        .await;

    assert_eq!(eight.status, StatusCode::OK);
    assert_eq!(eight.body["created"], 8);
    assert_eq!(three_more.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(three_more.error_code(), "rate_limited");
    let wait: u64 = three_more.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(two_more.body["created"], 2, "the bucket still held two");
    assert_eq!(eleven.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        eleven.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 10")
    );
    assert_eq!(app.count("sightings", "true").await, 10);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn an_open311_key_has_its_own_bucket(pool: PgPool) {
    let settings = Settings {
        partner_writes_per_minute: 2,
        ..Default::default()
    };
    let app = TestApp::seeded_with(pool, settings).await;
    let key = partners::add(&app.pool, "taxis", mobile_api::Channel::Taxi)
        .await
        .unwrap();
    let other = partners::add(&app.pool, "volunteers", mobile_api::Channel::Volunteer)
        .await
        .unwrap();
    let post = |key: String| {
        let url = app.url("/open311/v2/requests.json");
        async move {
            reqwest::Client::new()
                .post(url)
                .form(&[
                    ("api_key", key.as_str()),
                    ("service_code", "sleeping_rough"),
                    ("lat", "36.1866"),
                    ("long", "117.1032"),
                ])
                .send()
                .await
                .unwrap()
        }
    };

    let first = post(key.clone()).await.status();
    let second = post(key.clone()).await.status();
    let third = post(key.clone()).await;
    let elsewhere = post(other).await.status();

    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));
    let body: Value = third.json().await.unwrap();
    assert_eq!(body[0]["code"], 429, "the spec's error format");
    assert_eq!(elsewhere, StatusCode::CREATED);
    assert_eq!(app.count("referrals", "true").await, 3);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn parallel_wrong_passwords_are_each_counted(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let wrong = json!({"username": officer.username, "password": "guess-guess"});

    let replies =
        futures::future::join_all((0..12).map(|_| app.post_anon("/api/v1/auth/login", &wrong)))
            .await;

    let failures: i32 = sqlx::query_scalar(
        "select failures from login_streaks where scope = 'account' and key = lower($1)",
    )
    .bind(&officer.username)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(failures, 12, "every attempt counted, none lost to a race");
    let passed = replies
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        passed <= 6,
        "at most the free attempts reached the hash: {passed}"
    );
    assert!(replies.iter().all(|r| matches!(
        r.status,
        StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
    )));
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn many_usernames_from_one_address_are_slowed_down(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    // Logged in from this address before: a success is not held against it.
    let real = app.patrol().await;

    let mut statuses = Vec::new();
    for i in 0..21 {
        let guess = json!({"username": format!("nobody-{i}"), "password": "guess-guess"});
        statuses.push(app.post_anon("/api/v1/auth/login", &guess).await.status);
    }
    let right = json!({"username": real.username, "password": PASSWORD});
    let meanwhile = app.post_anon("/api/v1/auth/login", &right).await.status;
    app.clock.advance(chrono::Duration::seconds(5));
    let later = app.post_anon("/api/v1/auth/login", &right).await.status;

    assert!(
        statuses[..20]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED)
    );
    assert_eq!(statuses[20], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        meanwhile,
        StatusCode::TOO_MANY_REQUESTS,
        "the address waits"
    );
    assert_eq!(later, StatusCode::OK);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn hashes_are_bounded_and_long_inputs_are_refused_before_hashing(pool: PgPool) {
    let settings = Settings {
        login_hash_slots: 1,
        ..Default::default()
    };
    let app = TestApp::seeded_with(pool, settings).await;
    let officer = app.patrol().await;
    // Every hashing slot is taken (as by a flood of logins).
    let slot = app
        .state
        .password_hashing
        .clone()
        .acquire_owned()
        .await
        .unwrap();

    let waiting = app
        .post_anon(
            "/api/v1/auth/login",
            &json!({"username": officer.username, "password": PASSWORD}),
        )
        .await;
    let long_name = app
        .post_anon(
            "/api/v1/auth/login",
            &json!({"username": "x".repeat(65), "password": PASSWORD}),
        )
        .await;
    let long_password = app
        .post_anon(
            "/api/v1/auth/login",
            &json!({"username": officer.username, "password": "p".repeat(257)}),
        )
        .await;
    drop(slot);
    let afterwards = app
        .post_anon(
            "/api/v1/auth/login",
            &json!({"username": officer.username, "password": PASSWORD}),
        )
        .await;

    assert_eq!(waiting.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(waiting.error_code(), "login_throttled");
    for r in [&long_name, &long_password] {
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no hashing slot needed"
        );
        assert_eq!(r.error_code(), "text_too_long");
    }
    assert_eq!(afterwards.status, StatusCode::OK);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn answers_carry_a_request_id_and_no_store_and_a_500_names_its_request(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;
    let client = reqwest::Client::new();

    let me = client
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&duty.token)
        .header("x-request-id", "13912345678")
        .send()
        .await
        .unwrap();
    let page = client.get(app.url("/console/")).send().await.unwrap();
    sqlx::query("drop table alerts cascade")
        .execute(&app.pool)
        .await
        .unwrap();
    let broken = client
        .get(app.url("/api/v1/alerts"))
        .bearer_auth(&duty.token)
        .send()
        .await
        .unwrap();

    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header(&me, "cache-control"), "no-store");
    assert_eq!(header(&me, "x-content-type-options"), "nosniff");
    assert_eq!(header(&me, "referrer-policy"), "no-referrer");
    let id = header(&me, "x-request-id");
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "ours, not the client's: {id}"
    );
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&page, "cache-control"),
        "no-cache",
        "pages keep their own"
    );
    assert!(uuid::Uuid::parse_str(&header(&page, "x-request-id")).is_ok());
    assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let broken_id = header(&broken, "x-request-id");
    let body: Value = broken.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal_error");
    assert_eq!(body["error"]["request_id"], broken_id.as_str());
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_body_is_not_read_for_a_request_refused_anyway(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let client = reqwest::Client::new();
    let with_nul = br#"{"id":"x","notes":"a\u0000b"}"#.to_vec();

    let no_token = client
        .post(app.url("/api/v1/sightings"))
        .header("content-type", "application/json")
        .body(with_nul.clone())
        .send()
        .await
        .unwrap()
        .status();
    let too_large = client
        .post(app.url("/api/v1/sightings"))
        .bearer_auth(&officer.token)
        .header("content-type", "application/json")
        .body([with_nul.clone(), vec![b' '; 2 * 1024 * 1024]].concat())
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .status();
    let nul = app.post_raw(&officer, "/api/v1/sightings", with_nul).await;

    assert_eq!(no_token, StatusCode::UNAUTHORIZED);
    assert_eq!(too_large, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(nul.status, StatusCode::BAD_REQUEST);
    assert_eq!(nul.error_code(), "invalid_text");
}
