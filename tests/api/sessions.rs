//! An account's sessions (issue 28, 12): changing the password ends every other session,
//! logging out everywhere ends all of them, and a token unused for the idle hours stops working.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{PASSWORD, TestApp};

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_new_password_ends_every_other_session_and_the_old_one_no_longer_logs_in(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let desk = app.duty("xintai").await;
    let phone = app.login(&desk.username).await;
    let path = "/api/v1/auth/password";

    let wrong = app
        .post(
            &desk,
            path,
            &json!({"current": "not it", "new": "a new passphrase"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.error_code(), "wrong_password");
    let weak = app
        .post(&desk, path, &json!({"current": PASSWORD, "new": "short"}))
        .await;
    assert_eq!(weak.error_code(), "weak_password");
    assert_eq!(
        app.get_as(&phone, "/api/v1/auth/me").await.status,
        StatusCode::OK
    );

    let changed = app
        .post(
            &desk,
            path,
            &json!({"current": PASSWORD, "new": "a new passphrase"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
    assert_eq!(
        app.get_as(&desk, "/api/v1/auth/me").await.status,
        StatusCode::OK,
        "this one stays"
    );
    assert_eq!(
        app.get_as(&phone, "/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED,
        "the other session ended"
    );
    let old = app
        .post_anon(
            "/api/v1/auth/login",
            &json!({"username": desk.username, "password": PASSWORD}),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .post_anon(
            "/api/v1/auth/login",
            &json!({"username": desk.username, "password": "a new passphrase"}),
        )
        .await;
    assert_eq!(new.status, StatusCode::OK);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn logging_out_everywhere_ends_every_session(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let desk = app.duty("xintai").await;
    let phone = app.login(&desk.username).await;
    let other = app.duty("xintai").await;

    let out = app
        .post(&phone, "/api/v1/auth/logout-all", &json!({}))
        .await;

    assert_eq!(out.status, StatusCode::NO_CONTENT);
    for gone in [&desk, &phone] {
        assert_eq!(
            app.get_as(gone, "/api/v1/auth/me").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.get_as(&other, "/api/v1/auth/me").await.status,
        StatusCode::OK
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_token_unused_for_the_idle_hours_stops_working_and_use_keeps_it(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let used = app.patrol().await;
    let left = app.patrol().await;

    for _ in 0..3 {
        app.clock.advance(Duration::hours(11));
        assert_eq!(
            app.get_as(&used, "/api/v1/auth/me").await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get_as(&left, "/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED,
        "33 hours unused"
    );
    // The absolute limit stays: used every 11 hours, the token still ends after 7 days.
    for _ in 0..13 {
        app.clock.advance(Duration::hours(11));
        app.get_as(&used, "/api/v1/auth/me").await;
    }
    assert_eq!(
        app.get_as(&used, "/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}
