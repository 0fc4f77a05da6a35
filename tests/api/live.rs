//! Live queues: a console hears of every committed change to its station's referrals, and of
//! nothing else; the steps it offers are the ones the server would take.

use std::time::Duration;

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use xunjiu_server::features::live::Change;

use crate::duty::{act, routed_referral};
use crate::helpers::places::*;
use crate::helpers::{Account, TestApp};

/// Server-sent events as (event, data) pairs, read from a real HTTP response.
struct Events {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl Events {
    async fn open(app: &TestApp, who: &Account, station: &str) -> Self {
        let response = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/stations/{station}/queue/events")))
            .bearer_auth(&who.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Self {
            body: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next event other than keep-alive comments; fails the test after 10 s.
    async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut event = String::new();
                    let mut data = String::new();
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("event:") {
                            event = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push_str(v.trim());
                        }
                    }
                    if !event.is_empty() {
                        return (event, serde_json::from_str(&data).unwrap());
                    }
                    continue;
                }
                let chunk = self.body.next().await.expect("stream open").unwrap();
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("an event within 10 s")
    }
}

impl Events {
    /// Whether the server ends the stream within `within`.
    async fn ends_within(&mut self, within: Duration) -> bool {
        tokio::time::timeout(within, async {
            while let Some(chunk) = self.body.next().await {
                if chunk.is_err() {
                    break;
                }
            }
        })
        .await
        .is_ok()
    }
}

/// Start the notification listener and wait until it listens.
async fn listening(app: &TestApp) {
    let mut changes = app.state.live().subscribe();
    tokio::spawn(app.state.clone().follow_database_notifications());
    let first = tokio::time::timeout(Duration::from_secs(10), changes.recv())
        .await
        .expect("the listener connects")
        .unwrap();
    assert_eq!(first, Change::Resync);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_station_stream_announces_its_own_referrals_as_they_commit(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    listening(&app).await;
    let xintai = app.duty("xintai").await;
    let feicheng = app.duty("feicheng").await;
    let mut events = Events::open(&app, &xintai, "xintai").await;
    assert_eq!(events.next().await.0, "ready");

    // Another station's new referral is not announced here; this station's is.
    let elsewhere = routed_referral(&app, FEICHENG_CENTRE).await;
    let here = routed_referral(&app, XINTAI_CENTRE).await;
    let (event, data) = events.next().await;
    assert_eq!(event, "changed");
    assert_eq!(data["referral_id"], here.as_str(), "not {elsewhere}");

    // A step is announced, and a transfer reaches the receiving station's stream too.
    let mut receiving = Events::open(&app, &feicheng, "feicheng").await;
    assert_eq!(receiving.next().await.0, "ready");
    let accepted = act(&app, &xintai, &here, "accept", json!({})).await;
    assert_eq!(accepted.status, StatusCode::OK);
    assert_eq!(events.next().await.1["referral_id"], here.as_str());
    let moved = act(
        &app,
        &xintai,
        &here,
        "transfer",
        json!({"to_station": "feicheng", "reason": "the person walked to 肥城"}),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(events.next().await.1["referral_id"], here.as_str());
    assert_eq!(receiving.next().await.1["referral_id"], here.as_str());
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn only_the_station_and_supervisors_may_follow_its_queue(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let feicheng = app.duty("feicheng").await;
    let patrol = app.patrol().await;
    let supervisor = app.supervisor().await;
    let path = "/api/v1/stations/xintai/queue/events";
    assert_eq!(app.get(path).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get_as(&feicheng, path).await.error_code(), "forbidden");
    assert_eq!(
        app.get_as(&patrol, path).await.status,
        StatusCode::FORBIDDEN
    );
    let missing = app
        .get_as(&supervisor, "/api/v1/stations/atlantis/queue/events")
        .await;
    assert_eq!(missing.error_code(), "station_not_found");
    let mut events = Events::open(&app, &supervisor, "xintai").await;
    assert_eq!(events.next().await.0, "ready");
}

fn actions(reply: &crate::helpers::Reply) -> Vec<&str> {
    reply.body["allowed_actions"]
        .as_array()
        .unwrap_or_else(|| panic!("no allowed_actions in {:?}", reply.body))
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_referral_names_the_steps_its_reader_may_take(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    let xintai = app.duty("xintai").await;
    let feicheng = app.duty("feicheng").await;
    let supervisor = app.supervisor().await;
    let hotline = app.hotline().await;
    let path = format!("/api/v1/referrals/{id}");

    assert_eq!(
        actions(&app.get_as(&xintai, &path).await),
        ["accept", "transfer"]
    );
    assert_eq!(actions(&app.get_as(&supervisor, &path).await), ["transfer"]);
    assert!(actions(&app.get_as(&hotline, &path).await).is_empty());

    act(&app, &xintai, &id, "accept", json!({})).await;
    assert_eq!(
        actions(&app.get_as(&xintai, &path).await),
        ["en-route", "transfer"]
    );
    act(
        &app,
        &xintai,
        &id,
        "transfer",
        json!({"to_station": "feicheng", "reason": "closer"}),
    )
    .await;
    assert_eq!(
        actions(&app.get_as(&feicheng, &path).await),
        ["accept", "refuse-transfer"]
    );
    assert!(actions(&app.get_as(&xintai, &path).await).is_empty());

    // Every offered step is taken without a 409, and the queue offers the same.
    let queue = app
        .get_as(&feicheng, "/api/v1/stations/feicheng/queue")
        .await;
    assert_eq!(
        queue.body["entries"][0]["referral"]["allowed_actions"],
        json!(["accept", "refuse-transfer"])
    );
    let refused = act(
        &app,
        &feicheng,
        &id,
        "refuse-transfer",
        json!({"reason": "not ours"}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::OK);
}

/// GET /auth/me until it answers `status`; fails after 5 s.
async fn until_status(app: &TestApp, who: &Account, status: StatusCode) {
    for _ in 0..100 {
        if app.get_as(who, "/api/v1/auth/me").await.status == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("/auth/me never answered {status}");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn with_sessions_cached_a_disabled_account_and_a_logout_are_refused_at_once(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    listening(&app).await;
    let phone = app.patrol().await;
    let kept = app.patrol().await;
    for who in [&phone, &kept] {
        // The second answer comes from the cache.
        assert_eq!(
            app.get_as(who, "/api/v1/auth/me").await.status,
            StatusCode::OK
        );
        assert_eq!(
            app.get_as(who, "/api/v1/auth/me").await.status,
            StatusCode::OK
        );
    }

    let disabled = xunjiu_server::features::users::disable(&app.pool, &phone.username, app.now())
        .await
        .unwrap();
    assert!(disabled > 0, "sessions revoked");
    until_status(&app, &phone, StatusCode::UNAUTHORIZED).await;
    let refused = app
        .post(
            &phone,
            "/api/v1/sightings",
            &crate::helpers::sighting(app.now(), XINTAI_CENTRE),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let logout = app.post(&kept, "/api/v1/auth/logout", &json!({})).await;
    assert!(logout.status.is_success());
    until_status(&app, &kept, StatusCode::UNAUTHORIZED).await;
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_logout_or_a_disabled_account_ends_open_queue_streams_within_seconds(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    listening(&app).await;
    let leaving = app.duty("xintai").await;
    let lost_phone = app.duty("xintai").await;
    let staying = app.duty("xintai").await;
    let mut leaving_events = Events::open(&app, &leaving, "xintai").await;
    let mut lost_events = Events::open(&app, &lost_phone, "xintai").await;
    let mut staying_events = Events::open(&app, &staying, "xintai").await;
    for e in [&mut leaving_events, &mut lost_events, &mut staying_events] {
        assert_eq!(e.next().await.0, "ready");
    }

    let logout = app.post(&leaving, "/api/v1/auth/logout", &json!({})).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    xunjiu_server::features::users::disable(&app.pool, &lost_phone.username, app.now())
        .await
        .unwrap();

    assert!(leaving_events.ends_within(Duration::from_secs(5)).await);
    assert!(lost_events.ends_within(Duration::from_secs(5)).await);
    let here = routed_referral(&app, XINTAI_CENTRE).await;
    assert_eq!(staying_events.next().await.1["referral_id"], here.as_str());
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_queue_stream_ends_when_its_account_moves_to_another_station(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    listening(&app).await;
    let moving = app.duty("xintai").await;
    let staying = app.duty("xintai").await;
    let mut moving_events = Events::open(&app, &moving, "xintai").await;
    let mut staying_events = Events::open(&app, &staying, "xintai").await;
    for e in [&mut moving_events, &mut staying_events] {
        assert_eq!(e.next().await.0, "ready");
    }

    sqlx::query("update users set station_code = 'feicheng' where id = $1")
        .bind(moving.id)
        .execute(&app.pool)
        .await
        .unwrap();

    assert!(
        moving_events.ends_within(Duration::from_secs(5)).await,
        "its token still works, but Xintai's queue is no longer its own"
    );
    let here = routed_referral(&app, XINTAI_CENTRE).await;
    assert_eq!(staying_events.next().await.1["referral_id"], here.as_str());
}
