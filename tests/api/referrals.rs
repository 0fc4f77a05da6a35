use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::places::*;
use crate::helpers::{TestApp, referral, with};

fn time(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_hotline_referral_is_routed_with_a_ten_minute_deadline_and_a_timeline(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let operator = app.hotline().await;

    let reply = app
        .post(
            &operator,
            "/api/v1/referrals",
            &referral(app.now(), XINTAI_CENTRE),
        )
        .await;

    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["station"]["code"], "xintai");
    assert_eq!(reply.body["accountable_station"], "xintai");
    assert_eq!(reply.body["status"], "routed");
    assert_eq!(reply.body["priority"], "normal");
    assert!(reply.body["distance_m"].as_f64().unwrap() < 1000.0);
    assert_eq!(
        time(&reply.body["accept_by"]),
        app.now() + Duration::minutes(10)
    );
    let kinds: Vec<&str> = reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "routed"]);
    assert_eq!(reply.body["events"][1]["station"], "xintai");
    assert_eq!(reply.body["caller_phone"], "13800138000");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_referral_for_a_minor_is_urgent_with_a_five_minute_deadline(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let operator = app.hotline().await;
    let body = with(
        referral(app.now(), FEICHENG_CENTRE),
        "categories",
        json!(["minor"]),
    );

    let reply = app.post(&operator, "/api/v1/referrals", &body).await;

    assert_eq!(reply.body["priority"], "urgent");
    assert_eq!(
        time(&reply.body["accept_by"]),
        app.now() + Duration::minutes(5)
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn deadlines_come_from_configuration(pool: PgPool) {
    let settings = xunjiu_server::plumbing::config::Settings {
        accept_minutes: 15,
        ..Default::default()
    };
    let app = TestApp::seeded_with(pool, settings).await;
    let operator = app.hotline().await;

    let reply = app
        .post(
            &operator,
            "/api/v1/referrals",
            &referral(app.now(), XINTAI_CENTRE),
        )
        .await;

    assert_eq!(
        time(&reply.body["accept_by"]),
        app.now() + Duration::minutes(15)
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn replaying_a_referral_is_idempotent_and_a_changed_body_conflicts(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let operator = app.hotline().await;
    let body = referral(app.now(), XINTAI_CENTRE);

    let first = app.post(&operator, "/api/v1/referrals", &body).await;
    let again = app.post(&operator, "/api/v1/referrals", &body).await;
    let changed = app
        .post(
            &operator,
            "/api/v1/referrals",
            &with(body, "people_count", json!(2)),
        )
        .await;

    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    assert_eq!(changed.status, StatusCode::CONFLICT);
    assert_eq!(changed.error_code(), "id_conflict");
    assert_eq!(app.count("referrals", "true").await, 1);
    assert_eq!(app.count("referral_events", "true").await, 2);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn bad_referrals_are_refused_with_their_codes(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let operator = app.hotline().await;
    let ok = referral(app.now(), XINTAI_CENTRE);

    for (name, body, status, code) in [
        (
            "Beijing",
            with(
                ok.clone(),
                "location",
                json!({"lat": BEIJING.0, "lon": BEIJING.1}),
            ),
            422,
            "outside_service_area",
        ),
        (
            "no such latitude",
            with(ok.clone(), "location", json!({"lat": -95, "lon": 117})),
            400,
            "invalid_coordinates",
        ),
        (
            "unknown channel",
            with(ok.clone(), "channel", json!("wechat")),
            422,
            "invalid_body",
        ),
        (
            "not a phone",
            with(ok.clone(), "caller_phone", json!("call me maybe")),
            422,
            "invalid_phone",
        ),
        (
            "too many people",
            with(ok.clone(), "people_count", json!(80)),
            422,
            "invalid_people_count",
        ),
        (
            "from the future",
            with(
                ok.clone(),
                "reported_at",
                json!((app.now() + Duration::hours(1)).to_rfc3339()),
            ),
            422,
            "time_in_future",
        ),
    ] {
        let reply = app.post(&operator, "/api/v1/referrals", &body).await;

        assert_eq!(reply.status.as_u16(), status, "{name}: {:?}", reply.body);
        assert_eq!(reply.error_code(), code, "{name}");
    }
    assert_eq!(app.count("referrals", "true").await, 0);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_event_log_refuses_updates_and_deletes(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let operator = app.hotline().await;
    app.post(
        &operator,
        "/api/v1/referrals",
        &referral(app.now(), XINTAI_CENTRE),
    )
    .await;

    let update = sqlx::query("update referral_events set note = 'rewritten'")
        .execute(&app.pool)
        .await;
    let delete = sqlx::query("delete from referral_events")
        .execute(&app.pool)
        .await;

    assert!(update.is_err());
    assert!(delete.is_err());
    assert_eq!(app.count("referral_events", "note <> 'rewritten'").await, 2);
}
