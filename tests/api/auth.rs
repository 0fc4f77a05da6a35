use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use xunjiu_server::features::users;

use crate::helpers::{PASSWORD, TestApp};

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn login_returns_a_token_that_identifies_the_account(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.duty("xintai").await;

    let me = app.get_as(&officer, "/api/v1/auth/me").await;

    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], officer.id.to_string());
    assert_eq!(me.body["username"], officer.username.as_str());
    assert_eq!(me.body["role"], "duty");
    assert_eq!(me.body["station"], "xintai");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_token_is_never_stored_in_clear(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;

    let stored: Vec<u8> = sqlx::query_scalar("select token_hash from sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&officer.token));
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_wrong_password_or_unknown_user_is_401_invalid_credentials(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;

    let wrong = app
        .post_anon(
            "/api/v1/auth/login",
            &json!({"username": officer.username, "password": "nope-nope"}),
        )
        .await;
    let unknown = app
        .post_anon(
            "/api/v1/auth/login",
            &json!({"username": "nobody", "password": PASSWORD}),
        )
        .await;

    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.error_code(), "invalid_credentials");
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.error_code(), "invalid_credentials");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn repeated_failed_logins_are_slowed_down_until_the_wait_has_passed(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let wrong = json!({"username": officer.username, "password": "guess-guess"});
    for _ in 0..5 {
        assert_eq!(
            app.post_anon("/api/v1/auth/login", &wrong).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let right = json!({"username": officer.username, "password": PASSWORD});

    let throttled = app.post_anon("/api/v1/auth/login", &right).await;
    app.clock.advance(Duration::seconds(2));
    let later = app.post_anon("/api/v1/auth/login", &right).await;

    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.error_code(), "login_throttled");
    assert!(throttled.headers.contains_key("retry-after"));
    assert_eq!(later.status, StatusCode::OK);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn requests_without_a_valid_token_are_401(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let none = app.get("/api/v1/sightings").await;
    let garbage = app
        .get_as(
            &crate::helpers::Account {
                id: uuid::Uuid::nil(),
                username: String::new(),
                token: "xj_forged".into(),
            },
            "/api/v1/sightings",
        )
        .await;

    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.error_code(), "unauthorized");
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn logout_revokes_the_token(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;

    let out = app.post(&officer, "/api/v1/auth/logout", &json!({})).await;
    let after = app.get_as(&officer, "/api/v1/auth/me").await;

    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn tokens_expire(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;

    // Used twice a shift, so that it never goes idle: only the absolute limit ends it.
    for _ in 0..15 {
        app.clock.advance(Duration::hours(11));
        app.get_as(&officer, "/api/v1/auth/me").await;
    }
    app.clock.advance(Duration::hours(2));
    let before = app.get_as(&officer, "/api/v1/auth/me").await;
    app.clock.advance(Duration::hours(2));
    let after = app.get_as(&officer, "/api/v1/auth/me").await;

    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn disabling_an_account_for_a_lost_phone_revokes_its_tokens_and_blocks_login(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;

    let revoked = users::disable(&app.pool, &officer.username, app.now())
        .await
        .unwrap();
    let with_token = app.get_as(&officer, "/api/v1/auth/me").await;
    let login = app
        .post_anon(
            "/api/v1/auth/login",
            &json!({"username": officer.username, "password": PASSWORD}),
        )
        .await;

    assert_eq!(revoked, 1);
    assert_eq!(with_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn accounts_need_what_their_role_requires(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let base = users::NewAccount {
        username: "someone".into(),
        password: PASSWORD.into(),
        role: mobile_api::Role::Duty,
        station: None,
        agency: None,
        unit: None,
        county_code: None,
        channel: None,
        township_code: None,
        village: None,
    };

    let duty_without_station = users::add(&app.pool, base.clone()).await;
    let unknown_station = users::add(
        &app.pool,
        users::NewAccount {
            station: Some("beijing".into()),
            ..base.clone()
        },
    )
    .await;
    let patrol_without_agency = users::add(
        &app.pool,
        users::NewAccount {
            role: mobile_api::Role::Patrol,
            ..base.clone()
        },
    )
    .await;
    let short_password = users::add(
        &app.pool,
        users::NewAccount {
            role: mobile_api::Role::Hotline,
            password: "short".into(),
            ..base.clone()
        },
    )
    .await;
    let hotline_without_channel = users::add(
        &app.pool,
        users::NewAccount {
            role: mobile_api::Role::Hotline,
            ..base.clone()
        },
    )
    .await;
    let channel_for_a_patrol = users::add(
        &app.pool,
        users::NewAccount {
            role: mobile_api::Role::Patrol,
            agency: Some(mobile_api::Agency::Police),
            channel: Some("110".into()),
            ..base.clone()
        },
    )
    .await;
    let liaison = |county: &str, township: Option<&str>| users::NewAccount {
        username: format!("liaison-{county}-{}", township.unwrap_or("none")),
        role: mobile_api::Role::Liaison,
        county_code: Some(county.into()),
        township_code: township.map(Into::into),
        ..base.clone()
    };
    let liaison_without_township = users::add(&app.pool, liaison("370982", None)).await;
    let township_of_another_county =
        users::add(&app.pool, liaison("370983", Some("370982001"))).await;
    let unknown_township = users::add(&app.pool, liaison("370982", Some("370982999"))).await;
    let a_liaison = users::add(&app.pool, liaison("370982", Some("370982001"))).await;
    let township_for_a_duty_officer = users::add(
        &app.pool,
        users::NewAccount {
            station: Some("xintai".into()),
            township_code: Some("370982001".into()),
            username: "duty-with-township".into(),
            ..base.clone()
        },
    )
    .await;
    assert!(liaison_without_township.is_err());
    assert!(township_of_another_county.is_err());
    assert!(unknown_township.is_err());
    assert!(township_for_a_duty_officer.is_err());
    assert!(a_liaison.is_ok(), "{a_liaison:?}");
    let first = users::add(
        &app.pool,
        users::NewAccount {
            role: mobile_api::Role::Hotline,
            channel: Some("110".into()),
            ..base.clone()
        },
    )
    .await;
    let taken = users::add(
        &app.pool,
        users::NewAccount {
            role: mobile_api::Role::Hotline,
            username: "SOMEONE".into(),
            channel: Some("12345".into()),
            ..base
        },
    )
    .await;

    assert!(duty_without_station.is_err());
    assert!(unknown_station.is_err());
    assert!(patrol_without_agency.is_err());
    assert!(short_password.is_err());
    assert!(
        hotline_without_channel
            .unwrap_err()
            .to_string()
            .contains("--channel")
    );
    assert!(channel_for_a_patrol.is_err());
    assert!(first.is_ok());
    assert!(taken.unwrap_err().to_string().contains("taken"));
}

async fn login_from(app: &TestApp, address: &str, username: &str, password: &str) -> StatusCode {
    reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", address)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_strangers_guesses_elsewhere_do_not_lock_the_owner_out_until_the_backstop(pool: PgPool) {
    let settings = xunjiu_server::plumbing::config::Settings {
        trusted_proxies: "127.0.0.1/32".parse().unwrap(),
        ..Default::default()
    };
    let app = TestApp::seeded_with(pool, settings).await;
    let officer = app.patrol().await;
    let name = officer.username.as_str();
    for _ in 0..5 {
        assert_eq!(
            login_from(&app, "203.0.113.7", name, "guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&app, "203.0.113.7", name, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser's address waits"
    );
    assert_eq!(
        login_from(&app, "198.51.100.20", name, PASSWORD).await,
        StatusCode::OK,
        "the owner at their own desk logs in at once"
    );

    // A hundred guesses from all over: the account's backstop holds for everyone.
    for i in 0..100 {
        let status = login_from(&app, &format!("192.0.2.{}", i % 250 + 1), name, "guess").await;
        assert!(matches!(
            status,
            StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
        ));
    }
    assert_eq!(
        login_from(&app, "198.51.100.21", name, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let name = officer.username.as_str();
    for i in 0..6 {
        // Without trusted proxies each guess names another address in vain: all are the peer's.
        login_from(&app, &format!("203.0.113.{i}"), name, "guess").await;
    }
    assert_eq!(
        login_from(&app, "198.51.100.20", name, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}
