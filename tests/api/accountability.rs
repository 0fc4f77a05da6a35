//! The accountability report against a scenario whose figures are worked out by hand.
//!
//! All five referrals arrive in Xintai (首接: xintai). Minutes after t0:
//!   R1 normal: accepted +4 (in time), on scene +20, resolved admitted_to_station.
//!   R2 urgent: accepted +7 (late: 5 minutes allowed), on scene +40.
//!   R3 normal: never accepted: overdue from +10, escalated twice by +45.
//!   R4 normal: arrives +43, still within its 10 minutes at +45.
//!   R5 normal: transferred to feicheng at +3, which accepts at once (in time).
//! At +45: accepted 3 (R1, R2, R5), in time 2 (R1, R5), ignored and late 1 (R3), so on time is
//! 2 / (3 + 1) = 50 %. Minutes to accept 3, 4, 7: median 4, p90 6.4. To the scene 20, 40:
//! median 30, p90 38. Open: R2, R3, R4, R5. Overdue: R3.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use xunjiu_server::features::escalation;

use crate::duty::act;
use crate::helpers::places::*;
use crate::helpers::{TestApp, referral, with};

fn row<'a>(report: &'a Value, group: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == group)
        .unwrap_or_else(|| panic!("no row {group}"))
}

async fn scenario(app: &TestApp) -> (crate::helpers::Account, crate::helpers::Account) {
    let hotline = app.hotline().await;
    let xintai = app.duty("xintai").await;
    let feicheng = app.duty("feicheng").await;
    let new = |urgent: bool| {
        let body = referral(app.now(), XINTAI_CENTRE);
        if urgent {
            with(body, "categories", json!(["elderly"]))
        } else {
            body
        }
    };
    let mut ids = Vec::new();
    for urgent in [false, true, false, false] {
        ids.push(
            app.post(&hotline, "/api/v1/referrals", &new(urgent))
                .await
                .body["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (r1, r2, _r3, r5) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let at = |m: i64| {
        app.clock
            .set(crate::helpers::test_now() + Duration::minutes(m))
    };

    at(3);
    act(
        app,
        &xintai,
        r5,
        "transfer",
        json!({"to_station": "feicheng", "reason": "across the county line"}),
    )
    .await;
    act(app, &feicheng, r5, "accept", json!({})).await;
    at(4);
    act(app, &xintai, r1, "accept", json!({})).await;
    at(7);
    act(app, &xintai, r2, "accept", json!({})).await;
    at(10);
    act(app, &xintai, r1, "en-route", json!({})).await;
    at(20);
    act(app, &xintai, r1, "on-scene", json!({})).await;
    act(
        app,
        &xintai,
        r1,
        "resolve",
        json!({"outcome": "admitted_to_station"}),
    )
    .await;
    at(30);
    act(app, &xintai, r2, "en-route", json!({})).await;
    at(40);
    act(app, &xintai, r2, "on-scene", json!({})).await;
    at(43);
    app.post(&hotline, "/api/v1/referrals", &new(false)).await;
    at(45);
    escalation::run_once(&app.state).await.unwrap();
    (xintai, feicheng)
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn station_figures_match_the_hand_built_scenario(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    scenario(&app).await;

    let reply = app
        .get_as(
            &app.supervisor().await,
            "/api/v1/accountability?group_by=station",
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let x = row(&reply.body, "xintai");
    assert_eq!(x["received"], 5);
    assert_eq!(x["accepted"], 3);
    assert_eq!(x["accepted_in_time"], 2);
    assert_eq!(x["on_time_pct"], 50.0);
    assert_eq!(x["median_minutes_to_accept"], 4.0);
    assert!((x["p90_minutes_to_accept"].as_f64().unwrap() - 6.4).abs() < 1e-9);
    assert_eq!(x["median_minutes_to_scene"], 30.0);
    assert_eq!(x["p90_minutes_to_scene"], 38.0);
    assert_eq!(x["transfers_out"], 1);
    assert_eq!(x["transfers_in"], 0);
    assert_eq!(x["escalations"], 2);
    assert_eq!(x["outcomes"], json!({"admitted_to_station": 1}));
    assert_eq!(x["open_now"], 4);
    assert_eq!(x["overdue_now"], 1);
    let f = row(&reply.body, "feicheng");
    assert_eq!(
        (f["received"].as_u64(), f["transfers_in"].as_u64()),
        (Some(0), Some(1))
    );
    assert!(f["on_time_pct"].is_null());
    assert_eq!(
        reply.body["rows"].as_array().unwrap().len(),
        5,
        "every station has a row"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn officer_and_agency_groupings_and_a_period_filter(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let (xintai, feicheng) = scenario(&app).await;
    let supervisor = app.supervisor().await;
    let from = (crate::helpers::test_now() + Duration::minutes(42))
        .to_rfc3339()
        .replace('+', "%2B");

    let officers = app
        .get_as(&supervisor, "/api/v1/accountability?group_by=officer")
        .await;
    let agencies = app
        .get_as(&supervisor, "/api/v1/accountability?group_by=agency")
        .await;
    let late = app
        .get_as(&supervisor, &format!("/api/v1/accountability?from={from}"))
        .await;

    assert_eq!(row(&officers.body, &xintai.username)["accepted"], 2);
    assert_eq!(row(&officers.body, &feicheng.username)["accepted"], 1);
    assert_eq!(row(&officers.body, "(not accepted)")["received"], 2);
    assert_eq!(row(&agencies.body, "12345")["received"], 5);
    assert_eq!(row(&late.body, "xintai")["received"], 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_csv_has_the_same_figures_and_duty_officers_see_only_their_station(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let (xintai, _) = scenario(&app).await;

    let csv = reqwest::Client::new()
        .get(app.url("/api/v1/accountability.csv"))
        .bearer_auth(&app.supervisor().await.token)
        .send()
        .await
        .unwrap();
    let own = app.get_as(&xintai, "/api/v1/accountability").await;
    let patrol = app
        .get_as(&app.patrol().await, "/api/v1/accountability")
        .await;
    let bad = app
        .get_as(&xintai, "/api/v1/accountability?group_by=weather")
        .await;

    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let xintai_line: Vec<&str> = lines
        .find(|l| l.starts_with("xintai,"))
        .unwrap()
        .split(',')
        .collect();
    let cell = |name: &str| xintai_line[head.iter().position(|h| *h == name).unwrap()];
    assert_eq!(cell("received"), "5");
    assert_eq!(cell("on_time_pct"), "50.0");
    assert_eq!(cell("admitted_to_station"), "1");
    assert_eq!(cell("overdue_now"), "1");
    assert_eq!(own.body["rows"].as_array().unwrap().len(), 1);
    assert_eq!(patrol.status, StatusCode::FORBIDDEN);
    assert_eq!(bad.error_code(), "invalid_group_by");
}
