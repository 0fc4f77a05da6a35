//! Deadlines with a moved clock: escalation to the station and county, then the city; never
//! twice, not even across a restart.

use std::sync::Arc;

use chrono::Duration;
use serde_json::json;
use sqlx::PgPool;
use xunjiu_server::AppState;
use xunjiu_server::features::escalation;
use xunjiu_server::plumbing::clock::ManualClock;

use crate::duty::{act, routed_referral};
use crate::helpers::TestApp;
use crate::helpers::places::*;

async fn escalations(app: &TestApp, id: &str) -> Vec<String> {
    sqlx::query_scalar("select note from referral_events where referral_id = $1::uuid and kind = 'escalated' order by id")
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// Subscribe an account's "browser" directly, to see whom escalations are queued for.
async fn subscribed(app: &TestApp, user_id: uuid::Uuid) -> uuid::Uuid {
    sqlx::query_scalar(
        "insert into push_subscriptions (user_id, endpoint, p256dh, auth) values ($1, 'https://push.example/' || gen_random_uuid(), 'k', 'a') returning id",
    )
    .bind(user_id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn queued_for(app: &TestApp, subscription: uuid::Uuid, kind: &str) -> i64 {
    app.count(
        "push_outbox",
        &format!("subscription_id = '{subscription}' and payload->>'type' = '{kind}'"),
    )
    .await
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn an_unaccepted_referral_escalates_to_the_county_then_the_city_once_each(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;
    let county = app.account(mobile_api::Role::Supervisor, None).await;
    sqlx::query("update users set county_code = '370982' where id = $1")
        .bind(county.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let city = app.supervisor().await;
    let (duty_sub, county_sub, city_sub) = (
        subscribed(&app, duty.id).await,
        subscribed(&app, county.id).await,
        subscribed(&app, city.id).await,
    );
    let id = routed_referral(&app, XINTAI_CENTRE).await;

    app.clock.advance(Duration::minutes(9));
    let early = escalation::run_once(&app.state).await.unwrap();
    app.clock.advance(Duration::minutes(1));
    let level1 = escalation::run_once(&app.state).await.unwrap();
    let repeat = escalation::run_once(&app.state).await.unwrap();

    assert_eq!((early, level1, repeat), (0, 1, 0));
    assert_eq!(escalations(&app, &id).await.len(), 1);
    assert!(escalations(&app, &id).await[0].starts_with("level 1: not accepted in time"));
    assert_eq!(queued_for(&app, duty_sub, "escalated").await, 1);
    assert_eq!(queued_for(&app, county_sub, "escalated").await, 1);
    assert_eq!(queued_for(&app, city_sub, "escalated").await, 0);

    app.clock.advance(Duration::minutes(10));
    let level2 = escalation::run_once(&app.state).await.unwrap();

    assert_eq!(level2, 1);
    assert!(escalations(&app, &id).await[1].starts_with("level 2"));
    assert_eq!(queued_for(&app, city_sub, "escalated").await, 1);
    assert_eq!(queued_for(&app, county_sub, "escalated").await, 1);
    let reply = app.get_as(&duty, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(reply.body["escalation_level"], 2);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_restarted_server_neither_forgets_nor_repeats_an_escalation(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let urgent = app
        .post(
            &app.hotline().await,
            "/api/v1/referrals",
            &crate::helpers::with(
                crate::helpers::referral(app.now(), FEICHENG_CENTRE),
                "categories",
                json!(["elderly"]),
            ),
        )
        .await;
    let id = urgent.body["id"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::minutes(6));
    assert_eq!(
        escalation::run_once(&app.state).await.unwrap(),
        1,
        "urgent: five minutes to accept"
    );

    // A new process: fresh state, same database, a clock that has moved on while it was down.
    let restarted = ManualClock::at(app.now() + Duration::minutes(1));
    let state = AppState::load(
        pool,
        (*app.state.settings).clone(),
        Arc::new(restarted.clone()),
    )
    .await
    .unwrap();
    let after_restart = escalation::run_once(&state).await.unwrap();
    restarted.advance(Duration::minutes(5));
    let level2_after_restart = escalation::run_once(&state).await.unwrap();

    assert_eq!(after_restart, 0);
    assert_eq!(level2_after_restart, 1);
    assert_eq!(escalations(&app, &id).await.len(), 2);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_worker_that_was_down_for_both_periods_records_both_levels(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;

    app.clock.advance(Duration::hours(2));
    let written = escalation::run_once(&app.state).await.unwrap();

    assert_eq!(written, 2);
    let notes = escalations(&app, &id).await;
    assert!(notes[0].starts_with("level 1") && notes[1].starts_with("level 2"));
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn an_accepted_referral_escalates_when_nobody_reaches_the_scene_in_time(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    let duty = app.duty("xintai").await;
    act(&app, &duty, &id, "accept", json!({})).await;

    app.clock.advance(Duration::minutes(59));
    let before = escalation::run_once(&app.state).await.unwrap();
    app.clock.advance(Duration::minutes(2));
    let missed = escalation::run_once(&app.state).await.unwrap();
    act(&app, &duty, &id, "en-route", json!({})).await;
    act(&app, &duty, &id, "on-scene", json!({})).await;
    app.clock.advance(Duration::hours(3));
    let after_arrival = escalation::run_once(&app.state).await.unwrap();

    assert_eq!((before, missed, after_arrival), (0, 1, 0));
    assert!(escalations(&app, &id).await[0].contains("not reached in time"));
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_queue_shows_urgent_first_then_the_soonest_deadline_with_time_left_and_overdue(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let normal = routed_referral(&app, XINTAI_CENTRE).await;
    app.clock.advance(Duration::minutes(3));
    let urgent = app
        .post(
            &hotline,
            "/api/v1/referrals",
            &crate::helpers::with(
                crate::helpers::referral(app.now(), XINTAI_CENTRE),
                "categories",
                json!(["minor"]),
            ),
        )
        .await;
    let duty = app.duty("xintai").await;

    let queue = app.get_as(&duty, "/api/v1/stations/xintai/queue").await;
    app.clock.advance(Duration::minutes(8));
    let later = app.get_as(&duty, "/api/v1/stations/xintai/queue").await;

    let entries = queue.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["referral"]["id"], urgent.body["id"]);
    assert_eq!(entries[0]["deadline_kind"], "accept");
    assert_eq!(entries[0]["seconds_left"], 300);
    assert_eq!(entries[1]["referral"]["id"], normal.as_str());
    assert_eq!(entries[1]["seconds_left"], 420);
    assert_eq!(entries[1]["overdue"], false);
    let later = later.body["entries"].as_array().unwrap();
    assert_eq!(later[0]["overdue"], true);
    assert_eq!(later[0]["seconds_left"], -180);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_queue_is_for_its_station_and_supervisors_only(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let other = app
        .get_as(&app.duty("taian").await, "/api/v1/stations/xintai/queue")
        .await;
    let patrol = app
        .get_as(&app.patrol().await, "/api/v1/stations/xintai/queue")
        .await;
    let supervisor = app
        .get_as(&app.supervisor().await, "/api/v1/stations/xintai/queue")
        .await;
    let unknown = app
        .get_as(&app.supervisor().await, "/api/v1/stations/jinan/queue")
        .await;

    assert_eq!(other.status.as_u16(), 403);
    assert_eq!(patrol.status.as_u16(), 403);
    assert_eq!(supervisor.status.as_u16(), 200);
    assert_eq!(unknown.error_code(), "station_not_found");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn two_workers_at_once_escalate_each_step_once(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    for _ in 0..10 {
        routed_referral(&app, XINTAI_CENTRE).await;
    }
    app.clock.advance(Duration::minutes(11));
    let other = AppState::load(
        pool,
        (*app.state.settings).clone(),
        Arc::new(app.clock.clone()),
    )
    .await
    .unwrap();

    let (a, b) = tokio::join!(
        escalation::run_once(&app.state),
        escalation::run_once(&other)
    );

    assert_eq!(a.unwrap() + b.unwrap(), 10);
    assert_eq!(app.count("referral_events", "kind = 'escalated'").await, 10);
}
