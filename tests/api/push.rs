//! Web push, tested for real: the test is the browser (its own key pair and auth secret) and
//! the push service (a local HTTP endpoint). What arrives is decrypted with Mozilla's `ece`
//! crate, not the implementation that encrypted it, and the VAPID JWT is verified with `p256`.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::duty::{act, routed_referral};
use crate::helpers::places::*;
use crate::helpers::{Account, TestApp, referral, with};

/// One request as the push service saw it.
pub type Received = (HeaderMap, Vec<u8>);

/// What the fake push service received.
#[derive(Clone, Default)]
pub struct Inbox(pub Arc<Mutex<Vec<Received>>>);

/// A browser: its push service endpoint and the keys only it holds.
pub struct Browser {
    endpoint: String,
    keys: ece::EcKeyComponents,
    auth: Vec<u8>,
    p256dh: String,
    pub inbox: Inbox,
}

async fn push_service(answer: AxumStatus) -> (String, Inbox) {
    let inbox = Inbox::default();
    let router = axum::Router::new()
        .route(
            "/push/{token}",
            axum::routing::post(
                move |State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes| async move {
                    inbox.0.lock().unwrap().push((headers, body.to_vec()));
                    answer
                },
            ),
        )
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (
        format!("http://{addr}/push/{}", uuid::Uuid::new_v4()),
        inbox,
    )
}

pub async fn browser(answer: AxumStatus) -> Browser {
    let (endpoint, inbox) = push_service(answer).await;
    let (keypair, auth) = ece::generate_keypair_and_auth_secret().unwrap();
    let components = keypair.raw_components().unwrap();
    let p256dh = URL_SAFE_NO_PAD.encode(keypair.pub_as_raw().unwrap());
    Browser {
        endpoint,
        keys: components,
        auth: auth.to_vec(),
        p256dh,
        inbox,
    }
}

pub async fn subscribe(app: &TestApp, who: &Account, b: &Browser) -> crate::helpers::Reply {
    let body = json!({"endpoint": b.endpoint, "expirationTime": null,
                      "keys": {"p256dh": b.p256dh, "auth": URL_SAFE_NO_PAD.encode(&b.auth)}});
    app.post(who, "/api/v1/push/subscriptions", &body).await
}

pub async fn deliver(app: &TestApp) -> usize {
    xunjiu_server::features::push::sender::deliver_once(
        &app.state,
        &xunjiu_server::features::push::endpoints::client(),
    )
    .await
    .unwrap()
}

/// A server that accepts the tests' own push services on loopback.
pub async fn push_app(pool: PgPool) -> TestApp {
    let settings = xunjiu_server::plumbing::config::Settings {
        push_allow_loopback: true,
        ..Default::default()
    };
    TestApp::seeded_with(pool, settings).await
}

pub fn decrypt(b: &Browser, body: &[u8]) -> Value {
    let plain = ece::decrypt(&b.keys, &b.auth, body).expect("ece decrypts what was sent");
    serde_json::from_slice(&plain).unwrap()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_new_referral_rings_at_its_station_encrypted_for_the_browser_and_signed_with_vapid(
    pool: PgPool,
) {
    let app = push_app(pool).await;
    let officer = app.duty("xintai").await;
    let elsewhere = app.duty("taian").await;
    let xintai_browser = browser(AxumStatus::CREATED).await;
    let taian_browser = browser(AxumStatus::CREATED).await;
    assert_eq!(
        subscribe(&app, &officer, &xintai_browser).await.status,
        StatusCode::CREATED
    );
    subscribe(&app, &elsewhere, &taian_browser).await;
    let vapid_key = app.get("/api/v1/push/vapid-public-key").await.body["public_key"]
        .as_str()
        .unwrap()
        .to_owned();

    let hotline = app.hotline().await;
    let created = app
        .post(
            &hotline,
            "/api/v1/referrals",
            &with(
                referral(app.now(), XINTAI_CENTRE),
                "categories",
                json!(["minor"]),
            ),
        )
        .await;
    let sent = deliver(&app).await;

    assert_eq!(sent, 1, "only the xintai officer's browser");
    assert!(taian_browser.inbox.0.lock().unwrap().is_empty());
    let (headers, body) = xintai_browser.inbox.0.lock().unwrap()[0].clone();
    assert_eq!(headers["content-encoding"], "aes128gcm");
    let payload = decrypt(&xintai_browser, &body);
    assert_eq!(payload["type"], "referral_routed");
    assert_eq!(payload["referral_id"], created.body["id"]);
    assert_eq!(payload["station"], "xintai");
    assert_eq!(payload["priority"], "urgent");
    let text = payload.to_string();
    assert!(
        !text.contains("13800138000") && !text.contains("thin jacket"),
        "no caller phone or description in a push"
    );
    // A lock screen never says who: no category (in any language), no count of people.
    for word in ["minor", "未成年", " 人 ", "1 人"] {
        assert!(!text.contains(word), "{word} in {text}");
    }
    assert_eq!(payload["body"], "新泰市救助管理站");

    // Authorization: vapid t=<JWT>, k=<server public key> (RFC 8292).
    let auth = headers["authorization"].to_str().unwrap();
    let token = auth
        .split("t=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .trim();
    let k = auth.split("k=").nth(1).unwrap().trim();
    assert_eq!(k, vapid_key);
    let parts: Vec<&str> = token.split('.').collect();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let origin = xintai_browser.endpoint.split("/push/").next().unwrap();
    assert_eq!(claims["aud"], origin);
    assert!(claims["sub"].as_str().unwrap().starts_with("mailto:"));
    let key = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(&vapid_key).unwrap()).unwrap();
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the JWT is signed with the VAPID key");
    assert_eq!(
        app.count("push_outbox", "delivered_at is not null").await,
        1
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_transfer_rings_at_the_receiving_station(pool: PgPool) {
    let app = push_app(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    let feicheng = app.duty("feicheng").await;
    let b = browser(AxumStatus::CREATED).await;
    subscribe(&app, &feicheng, &b).await;

    act(
        &app,
        &app.duty("xintai").await,
        &id,
        "transfer",
        json!({"to_station": "feicheng", "reason": "moved"}),
    )
    .await;
    deliver(&app).await;

    let (_, body) = b.inbox.0.lock().unwrap()[0].clone();
    let payload = decrypt(&b, &body);
    assert_eq!(payload["type"], "referral_transferred");
    assert_eq!(payload["referral_id"], id.as_str());
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_push_service_error_is_retried_with_backoff(pool: PgPool) {
    let app = push_app(pool).await;
    let officer = app.duty("xintai").await;
    let b = browser(AxumStatus::SERVICE_UNAVAILABLE).await;
    subscribe(&app, &officer, &b).await;
    routed_referral(&app, XINTAI_CENTRE).await;

    let first = deliver(&app).await;
    let too_soon = deliver(&app).await;
    app.clock.advance(chrono::Duration::seconds(6));
    let retried = deliver(&app).await;

    assert_eq!((first, too_soon, retried), (1, 0, 1));
    assert_eq!(b.inbox.0.lock().unwrap().len(), 2);
    assert_eq!(
        app.count(
            "push_outbox",
            "attempts = 2 and delivered_at is null and failed_at is null"
        )
        .await,
        1
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn an_endpoint_answering_410_is_removed(pool: PgPool) {
    let app = push_app(pool).await;
    let officer = app.duty("xintai").await;
    let b = browser(AxumStatus::GONE).await;
    subscribe(&app, &officer, &b).await;
    routed_referral(&app, XINTAI_CENTRE).await;

    deliver(&app).await;

    assert_eq!(app.count("push_subscriptions", "true").await, 0);
    assert_eq!(app.count("push_outbox", "true").await, 0);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn subscriptions_are_validated_and_can_be_removed(pool: PgPool) {
    let app = push_app(pool).await;
    let officer = app.duty("xintai").await;
    let b = browser(AxumStatus::CREATED).await;

    let bad_url = app.post(&officer, "/api/v1/push/subscriptions", &json!({"endpoint": "ftp://x", "keys": {"p256dh": b.p256dh, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}})).await;
    let bad_key = app.post(&officer, "/api/v1/push/subscriptions", &json!({"endpoint": b.endpoint, "keys": {"p256dh": "short", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}})).await;
    let again = subscribe(&app, &officer, &b).await;
    subscribe(&app, &officer, &b).await;
    let stored = app.count("push_subscriptions", "true").await;
    let removed = reqwest::Client::new()
        .delete(app.url("/api/v1/push/subscriptions"))
        .bearer_auth(&officer.token)
        .json(&json!({"endpoint": b.endpoint}))
        .send()
        .await
        .unwrap();

    assert_eq!(bad_url.error_code(), "invalid_subscription");
    assert_eq!(bad_key.error_code(), "invalid_subscription");
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(stored, 1, "the same browser twice is one subscription");
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count("push_subscriptions", "true").await, 0);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn only_browser_push_services_are_taken_as_endpoints(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.duty("xintai").await;
    let b = browser(AxumStatus::CREATED).await;
    let keys = json!({"p256dh": b.p256dh, "auth": URL_SAFE_NO_PAD.encode(&b.auth)});
    let post = |endpoint: &str| {
        let body = json!({"endpoint": endpoint, "keys": keys});
        let app = &app;
        let officer = &officer;
        async move { app.post(officer, "/api/v1/push/subscriptions", &body).await }
    };

    let refused = [
        post("https://evil.example/push/1").await,
        post("https://169.254.169.254/latest/meta-data").await,
        post("http://fcm.googleapis.com/fcm/send/1").await,
        post(&b.endpoint).await, // loopback, without the test setting
    ];
    let chrome = post("https://fcm.googleapis.com/fcm/send/abc").await;
    let edge = post("https://wns2-sg2p.notify.windows.com/w/?token=abc").await;

    for r in &refused {
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.error_code(), "invalid_subscription");
    }
    assert_eq!(chrome.status, StatusCode::CREATED);
    assert_eq!(edge.status, StatusCode::CREATED);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_push_service_answering_with_a_redirect_is_not_followed(pool: PgPool) {
    let app = push_app(pool).await;
    let officer = app.duty("xintai").await;
    let elsewhere = browser(AxumStatus::CREATED).await;
    let target = elsewhere.endpoint.clone();
    let router = axum::Router::new().route(
        "/push/{token}",
        axum::routing::post(move || {
            let target = target.clone();
            async move { axum::response::Redirect::temporary(&target) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let redirecting = Browser {
        endpoint: format!("http://{addr}/push/{}", uuid::Uuid::new_v4()),
        ..browser(AxumStatus::CREATED).await
    };
    assert_eq!(
        subscribe(&app, &officer, &redirecting).await.status,
        StatusCode::CREATED
    );
    routed_referral(&app, XINTAI_CENTRE).await;

    assert_eq!(deliver(&app).await, 1);

    assert!(
        elsewhere.inbox.0.lock().unwrap().is_empty(),
        "the redirect was not followed"
    );
    assert_eq!(
        app.count(
            "push_outbox",
            "delivered_at is null and attempts = 1 and last_error is not null"
        )
        .await,
        1
    );
}
