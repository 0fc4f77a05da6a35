//! The stage report against a hand-built winter scenario.
//!
//! Sightings: Xintai 2 (one elderly, 2 people; one plain, a coat handed out), Feicheng 1 (a minor,
//! 2 quilts). The special ones raise urgent patrol referrals. Hotline: 12345 in Xintai, 110 in
//! Dongping. Xintai accepts the 12345 one after 3 minutes and resolves it (admitted); a check-in
//! at Xintai's railway station during a cold-wave alert hands out 3 food parcels. At +30 minutes
//! the three other referrals are unaccepted and overdue.
//! Xintai: 2 sightings, 3 people, 1 special, referrals 12345:1 patrol:1, on time 1/(1+1) = 50 %,
//! median 3 min, admitted 1, coat 1, food 3, 2 hotspots, 1 checked during the alert.
//! City: 3 sightings, 4 people, 2 special, 4 referrals, on time 1/(1+3) = 25 %, 13 hotspots.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::duty::act;
use crate::helpers::places::*;
use crate::helpers::{TestApp, referral, sighting, with};

fn row<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["county_code"] == code)
        .unwrap()
}

async fn scenario(app: &TestApp) {
    let patrol = app.patrol().await;
    let hotline = app.hotline().await;
    let supervisor = app.supervisor().await;
    let xintai = app.duty("xintai").await;
    let now = app.now();
    app.post(
        &patrol,
        "/api/v1/sightings",
        &with(
            with(
                sighting(now, XINTAI_CENTRE),
                "categories",
                json!(["elderly"]),
            ),
            "people_count",
            json!(2),
        ),
    )
    .await;
    app.post(
        &patrol,
        "/api/v1/sightings",
        &with(
            with(
                sighting(now, XINTAI_CENTRE),
                "action_taken",
                json!("declined_help"),
            ),
            "items_given",
            json!([{"item": "coat", "count": 1}]),
        ),
    )
    .await;
    app.post(
        &patrol,
        "/api/v1/sightings",
        &with(
            with(
                sighting(now, FEICHENG_CENTRE),
                "categories",
                json!(["minor"]),
            ),
            "items_given",
            json!([{"item": "quilt", "count": 2}]),
        ),
    )
    .await;
    let r = app
        .post(&hotline, "/api/v1/referrals", &referral(now, XINTAI_CENTRE))
        .await;
    app.post(
        &app.hotline_of("110").await,
        "/api/v1/referrals",
        &with(referral(now, DONGPING_FIELD), "channel", json!("110")),
    )
    .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    app.post(
        &supervisor,
        "/api/v1/alerts",
        &json!({"id": Uuid::new_v4(), "kind": "cold_wave", "counties": ["370982"],
        "starts_at": now.to_rfc3339(), "ends_at": (now + Duration::hours(6)).to_rfc3339()}),
    )
    .await;

    app.clock.advance(Duration::minutes(3));
    act(app, &xintai, &id, "accept", json!({})).await;
    act(app, &xintai, &id, "en-route", json!({})).await;
    act(app, &xintai, &id, "on-scene", json!({})).await;
    act(
        app,
        &xintai,
        &id,
        "resolve",
        json!({"outcome": "admitted_to_station"}),
    )
    .await;
    let hotspots = app
        .get_as(
            &patrol,
            "/api/v1/hotspots?county=370982&kind=railway_station",
        )
        .await;
    let station = hotspots.body["hotspots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"].as_str().unwrap().starts_with("新泰市"))
        .unwrap()
        .clone();
    let at = (
        station["lat"].as_f64().unwrap(),
        station["lon"].as_f64().unwrap(),
    );
    let checkin = json!({"id": Uuid::new_v4(), "at": app.now().to_rfc3339(), "location": {"lat": at.0, "lon": at.1}, "people_found": 1, "items_given": [{"item": "food", "count": 3}]});
    let reply = app
        .post(
            &patrol,
            &format!(
                "/api/v1/hotspots/{}/checkins",
                station["id"].as_str().unwrap()
            ),
            &checkin,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    app.clock.advance(Duration::minutes(27));
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn county_and_city_figures_match_the_hand_built_scenario(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    scenario(&app).await;

    let reply = app
        .get_as(
            &app.supervisor().await,
            "/api/v1/reports/campaign?campaign=winter-2026",
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["rows"].as_array().unwrap().len(), 7);
    let x = row(&reply.body, "370982");
    assert_eq!(
        (
            x["sightings"].as_i64(),
            x["people_found"].as_i64(),
            x["special_targets"].as_i64()
        ),
        (Some(2), Some(3), Some(1))
    );
    assert_eq!(x["referrals_by_channel"], json!({"12345": 1, "patrol": 1}));
    assert_eq!(x["accepted_on_time_pct"], 50.0);
    assert_eq!(x["median_minutes_to_accept"], 3.0);
    assert_eq!(x["outcomes"], json!({"admitted_to_station": 1}));
    assert_eq!(x["supplies"], json!({"coat": 1, "food": 3}));
    assert_eq!(x["hotspots_registered"], 2);
    assert_eq!(x["hotspots_checked_during_alerts"], 1);
    let f = row(&reply.body, "370983");
    assert_eq!(
        (
            f["special_targets"].as_i64(),
            f["accepted_on_time_pct"].as_f64()
        ),
        (Some(1), Some(0.0))
    );
    assert_eq!(f["supplies"], json!({"quilt": 2}));
    let city = reply.body["rows"].as_array().unwrap().last().unwrap();
    assert_eq!(city["county_code"], "370900");
    assert_eq!(
        (
            city["sightings"].as_i64(),
            city["people_found"].as_i64(),
            city["special_targets"].as_i64()
        ),
        (Some(3), Some(4), Some(2))
    );
    assert_eq!(city["referrals"], 4);
    assert_eq!(city["accepted_on_time_pct"], 25.0);
    assert_eq!(city["hotspots_registered"], 13);
    let summer = app
        .get_as(
            &app.supervisor().await,
            "/api/v1/reports/campaign?campaign=summer-2026",
        )
        .await;
    assert_eq!(
        summer.body["rows"].as_array().unwrap().last().unwrap()["sightings"],
        0
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_report_downloads_as_csv_and_as_xlsx_with_chinese_headings(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    scenario(&app).await;
    let supervisor = app.supervisor().await;
    let client = reqwest::Client::new();
    let get = |format: &str| {
        client
            .get(app.url(&format!(
                "/api/v1/reports/campaign?campaign=winter-2026&format={format}"
            )))
            .bearer_auth(&supervisor.token)
            .send()
    };

    let csv = get("csv").await.unwrap();
    let xlsx = get("xlsx").await.unwrap();
    let bad = app
        .get_as(&supervisor, "/api/v1/reports/campaign?format=pdf")
        .await;
    let duty = app
        .get_as(&app.duty("xintai").await, "/api/v1/reports/campaign")
        .await;

    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    let head: Vec<&str> = lines[0].split(',').collect();
    let xintai: Vec<&str> = lines
        .iter()
        .find(|l| l.starts_with("370982,"))
        .unwrap()
        .split(',')
        .collect();
    let cell = |name: &str| xintai[head.iter().position(|h| *h == name).unwrap()];
    assert_eq!(
        (
            cell("sightings"),
            cell("referrals_12345"),
            cell("supplies_food"),
            cell("accepted_on_time_pct")
        ),
        ("2", "1", "3", "50")
    );
    assert_eq!(lines.len(), 8);

    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = xlsx.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("街面巡查").unwrap();
    let text_at = |r: u32, c: u32| {
        sheet
            .get_value((r, c))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    // Not the notice's 汇总表 (Annex 1, `/reports/annex1`): the campaign's own figures.
    assert!(text_at(0, 0).starts_with("街面巡查专项行动统计表"));
    assert_eq!(text_at(3, 1), "县（市、区）");
    assert_eq!(text_at(3, 2), "街面巡查发现报告数");
    let xintai_row = (4..11).find(|r| text_at(*r, 0) == "370982").unwrap();
    assert_eq!(text_at(xintai_row, 1), "新泰市");
    assert_eq!(text_at(xintai_row, 2), "2");
    assert_eq!(text_at(10, 0), "370900");

    assert_eq!(bad.error_code(), "invalid_format");
    assert_eq!(duty.status, StatusCode::FORBIDDEN);
}
