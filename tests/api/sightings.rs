use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::places::*;
use crate::helpers::{TestApp, sighting, with};

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_sighting_is_routed_and_answers_with_the_stations_phone(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;

    let reply = app
        .post(
            &officer,
            "/api/v1/sightings",
            &sighting(app.now(), XINTAI_CENTRE),
        )
        .await;

    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["station"]["code"], "xintai");
    assert_eq!(reply.body["station"]["phone"], "0538-7330199");
    assert_eq!(reply.body["station"]["address"], "新泰市寺山路231号");
    assert_eq!(reply.body["area"]["code"], "370982");
    assert_eq!(reply.body["reported_by"], officer.username.as_str());
    assert!(reply.body["hotspot"].is_null());
    assert!(reply.body["referral"].is_null());
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_sighting_within_150_m_of_a_hotspot_is_snapped_to_it(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;

    let near = app
        .post(
            &officer,
            "/api/v1/sightings",
            &sighting(app.now(), TAISHAN_STATION),
        )
        .await;
    let far = app
        .post(
            &officer,
            "/api/v1/sightings",
            &sighting(app.now(), DONGPING_FIELD),
        )
        .await;

    assert_eq!(near.body["hotspot"]["kind"], "railway_station");
    assert!(near.body["hotspot"]["distance_m"].as_f64().unwrap() < 150.0);
    assert!(far.body["hotspot"].is_null());
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn an_elderly_person_found_in_xintai_becomes_one_urgent_referral_for_the_xintai_station(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let body = with(
        sighting(app.now(), XINTAI_CENTRE),
        "categories",
        json!(["elderly"]),
    );

    let reply = app.post(&officer, "/api/v1/sightings", &body).await;

    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["referral"]["priority"], "urgent");
    assert_eq!(reply.body["referral"]["status"], "routed");
    let id = reply.body["id"].as_str().unwrap();
    assert_eq!(
        app.count("referrals", &format!("sighting_id = '{id}' and station_code = 'xintai' and accountable_station = 'xintai' and priority = 'urgent' and channel = 'patrol'")).await,
        1
    );
    assert_eq!(app.count("referrals", "true").await, 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn each_special_category_disabled_and_ill_or_injured_make_a_referral_urgent(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;

    for (category, expected) in [
        ("minor", Some("urgent")),
        ("elderly", Some("urgent")),
        ("mental_disorder", Some("urgent")),
        ("ill_or_injured", Some("urgent")),
        ("disabled", Some("urgent")),
    ] {
        let body = with(
            sighting(app.now(), FEICHENG_CENTRE),
            "categories",
            json!([category]),
        );

        let reply = app.post(&officer, "/api/v1/sightings", &body).await;

        assert_eq!(reply.status, StatusCode::CREATED, "{category}");
        assert_eq!(
            reply.body["referral"]["priority"].as_str(),
            expected,
            "{category}"
        );
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn action_referred_raises_a_normal_referral(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let body = with(
        sighting(app.now(), FEICHENG_CENTRE),
        "action_taken",
        json!("referred"),
    );

    let reply = app.post(&officer, "/api/v1/sightings", &body).await;

    assert_eq!(reply.body["referral"]["priority"], "normal");
    assert_eq!(
        app.count(
            "referrals",
            "station_code = 'feicheng' and priority = 'normal'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn replaying_a_sighting_answers_200_with_the_same_record_and_stores_nothing_new(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let body = with(
        sighting(app.now(), XINTAI_CENTRE),
        "categories",
        json!(["minor"]),
    );

    let first = app.post(&officer, "/api/v1/sightings", &body).await;
    let again = app.post(&officer, "/api/v1/sightings", &body).await;

    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    assert_eq!(app.count("sightings", "true").await, 1);
    assert_eq!(app.count("referrals", "true").await, 1);
    assert_eq!(app.count("referral_events", "true").await, 2);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_same_id_with_a_different_body_or_from_another_officer_is_409_id_conflict(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let other = app.patrol().await;
    let body = sighting(app.now(), XINTAI_CENTRE);
    app.post(&officer, "/api/v1/sightings", &body).await;

    let changed = app
        .post(
            &officer,
            "/api/v1/sightings",
            &with(body.clone(), "people_count", json!(2)),
        )
        .await;
    let stolen = app.post(&other, "/api/v1/sightings", &body).await;

    assert_eq!(changed.status, StatusCode::CONFLICT);
    assert_eq!(changed.error_code(), "id_conflict");
    assert_eq!(stolen.status, StatusCode::CONFLICT);
    assert_eq!(app.count("sightings", "people_count = 1").await, 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_same_moment_in_another_offset_is_the_same_report(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let at = app.now() - Duration::minutes(3);
    let utc = with(
        sighting(app.now(), XINTAI_CENTRE),
        "observed_at",
        json!(at.to_rfc3339()),
    );
    let local = with(
        utc.clone(),
        "observed_at",
        json!(at.with_timezone(&chrono_tz_shanghai()).to_rfc3339()),
    );

    app.post(&officer, "/api/v1/sightings", &utc).await;
    let again = app.post(&officer, "/api/v1/sightings", &local).await;

    assert_eq!(again.status, StatusCode::OK);
}

fn chrono_tz_shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn ten_concurrent_replays_of_one_id_store_one_row_and_one_referral(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let body = with(
        sighting(app.now(), XINTAI_CENTRE),
        "categories",
        json!(["elderly"]),
    );

    // All ten are in flight at once, each on its own connection.
    let replies =
        futures::future::join_all((0..10).map(|_| app.post(&officer, "/api/v1/sightings", &body)))
            .await;

    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let replayed = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!((created, replayed), (1, 9));
    assert_eq!(app.count("sightings", "true").await, 1);
    assert_eq!(app.count("referrals", "true").await, 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn every_kind_of_bad_input_gets_its_own_code_and_nothing_is_stored(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let now = app.now();
    let ok = sighting(now, XINTAI_CENTRE);
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "lat out of range",
            with(ok.clone(), "location", json!({"lat": 91.0, "lon": 117.0})),
            StatusCode::BAD_REQUEST,
            "invalid_coordinates",
        ),
        (
            "lon out of range",
            with(ok.clone(), "location", json!({"lat": 36.0, "lon": 181.0})),
            StatusCode::BAD_REQUEST,
            "invalid_coordinates",
        ),
        (
            "null island",
            with(ok.clone(), "location", json!({"lat": 0.0, "lon": 0.0})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "outside_service_area",
        ),
        (
            "Beijing",
            with(
                ok.clone(),
                "location",
                json!({"lat": BEIJING.0, "lon": BEIJING.1}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "outside_service_area",
        ),
        (
            "negative accuracy",
            with(
                ok.clone(),
                "location",
                json!({"lat": 35.91, "lon": 117.76, "accuracy_m": -1}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_accuracy",
        ),
        (
            "nobody",
            with(ok.clone(), "people_count", json!(0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_people_count",
        ),
        (
            "a crowd",
            with(ok.clone(), "people_count", json!(51)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_people_count",
        ),
        (
            "eight days old",
            with(
                ok.clone(),
                "observed_at",
                json!((now - Duration::days(8)).to_rfc3339()),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "time_too_old",
        ),
        (
            "six minutes ahead",
            with(
                ok.clone(),
                "observed_at",
                json!((now + Duration::minutes(6)).to_rfc3339()),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "time_in_future",
        ),
        (
            "not a time",
            with(ok.clone(), "observed_at", json!("yesterday")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown category",
            with(ok.clone(), "categories", json!(["drunk"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown action",
            with(ok.clone(), "action_taken", json!("arrested")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown field",
            with(ok.clone(), "name", json!("张三")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "not a uuid",
            with(ok.clone(), "id", json!("42")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "missing location",
            {
                let mut b = ok.clone();
                b.as_object_mut().unwrap().remove("location");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "notes too long",
            with(ok.clone(), "notes", json!("字".repeat(4001))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "text_too_long",
        ),
    ];

    for (name, body, status, code) in cases {
        let reply = app.post(&officer, "/api/v1/sightings", &body).await;

        assert_eq!(reply.status, status, "{name}: {:?}", reply.body);
        assert_eq!(reply.error_code(), code, "{name}");
    }
    let malformed = app
        .post_raw(&officer, "/api/v1/sightings", b"{\"id\":".to_vec())
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.error_code(), "malformed_json");
    assert_eq!(app.count("sightings", "true").await, 0);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_phone_clock_up_to_five_minutes_fast_and_reports_up_to_seven_days_old_are_accepted(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let now = app.now();

    let fast = app
        .post(
            &officer,
            "/api/v1/sightings",
            &with(
                sighting(now, XINTAI_CENTRE),
                "observed_at",
                json!((now + Duration::minutes(4)).to_rfc3339()),
            ),
        )
        .await;
    let old = app
        .post(
            &officer,
            "/api/v1/sightings",
            &with(
                sighting(now, XINTAI_CENTRE),
                "observed_at",
                json!((now - Duration::days(7) + Duration::minutes(1)).to_rfc3339()),
            ),
        )
        .await;

    assert_eq!(fast.status, StatusCode::CREATED);
    assert_eq!(old.status, StatusCode::CREATED);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_body_over_one_mebibyte_is_413(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let huge = with(
        sighting(app.now(), XINTAI_CENTRE),
        "notes",
        json!("x".repeat(1_100_000)),
    );

    let reply = app
        .post_raw(
            &officer,
            "/api/v1/sightings",
            serde_json::to_vec(&huge).unwrap(),
        )
        .await;

    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.error_code(), "body_too_large");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn writes_beyond_the_per_account_rate_are_429(pool: PgPool) {
    let settings = xunjiu_server::plumbing::config::Settings {
        writes_per_minute: 1,
        write_burst: 3,
        ..Default::default()
    };
    let app = TestApp::seeded_with(pool, settings).await;
    let officer = app.patrol().await;
    let other = app.patrol().await;

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            app.post(
                &officer,
                "/api/v1/sightings",
                &sighting(app.now(), XINTAI_CENTRE),
            )
            .await
            .status,
        );
    }
    let someone_else = app
        .post(
            &other,
            "/api/v1/sightings",
            &sighting(app.now(), XINTAI_CENTRE),
        )
        .await;

    assert_eq!(&statuses[..3], &[StatusCode::CREATED; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(someone_else.status, StatusCode::CREATED);
}
