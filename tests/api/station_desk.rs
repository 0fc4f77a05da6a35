//! The station desk: the station's own calls and walk-ins, under first-contact responsibility.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::duty::act;
use crate::helpers::places::*;
use crate::helpers::{Account, TestApp, referral, with};

fn call(app: &TestApp, at: (f64, f64), channel: &str) -> Value {
    with(referral(app.now(), at), "channel", json!(channel))
}

async fn record(app: &TestApp, officer: &Account, body: &Value) -> Value {
    let reply = app.post(officer, "/api/v1/referrals", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_call_to_the_station_about_a_nearer_stations_place_waits_for_that_station(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let xintai = app.duty("xintai").await;
    let feicheng = app.duty("feicheng").await;

    let accepted = record(&app, &xintai, &call(&app, FEICHENG_CENTRE, "station_phone")).await;
    let refused = record(&app, &xintai, &call(&app, FEICHENG_CENTRE, "walk_in")).await;
    let own = record(&app, &xintai, &call(&app, XINTAI_CENTRE, "station_phone")).await;
    let id = |r: &Value| r["id"].as_str().unwrap().to_owned();

    for r in [&accepted, &refused] {
        assert_eq!(
            r["station"]["code"], "feicheng",
            "held by the nearest station"
        );
        assert_eq!(
            r["accountable_station"], "xintai",
            "answered for by the one called"
        );
        assert_eq!(r["pending_transfer_to"], "feicheng");
        assert_eq!(r["status"], "routed");
    }
    assert_eq!(own["accountable_station"], "xintai");
    assert!(
        own["pending_transfer_to"].is_null(),
        "an ordinary routed referral"
    );
    let first_cannot = act(&app, &xintai, &id(&accepted), "accept", json!({})).await;
    assert_eq!(first_cannot.status, StatusCode::CONFLICT);

    let signed = act(&app, &feicheng, &id(&accepted), "accept", json!({})).await;
    assert_eq!(signed.body["accountable_station"], "feicheng");
    assert!(signed.body["pending_transfer_to"].is_null());
    let back = act(
        &app,
        &feicheng,
        &id(&refused),
        "refuse-transfer",
        json!({"reason": "the person is at the 新泰 station's door"}),
    )
    .await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    let after = app
        .get_as(&xintai, &format!("/api/v1/referrals/{}", id(&refused)))
        .await;
    assert_eq!(after.body["station"]["code"], "xintai");
    assert_eq!(after.body["accountable_station"], "xintai");
    assert_eq!(after.body["status"], "routed");
    assert_eq!(
        after.body["allowed_actions"][0], "accept",
        "the first station must act"
    );
    let events = after.body["events"].as_array().unwrap();
    assert_eq!(events[0]["kind"], "created");
    assert_eq!(events[1]["kind"], "routed");
    assert_eq!(
        events[1]["station"], "xintai",
        "the first event names the station called"
    );

    let report = app
        .get_as(&app.supervisor().await, "/api/v1/accountability")
        .await;
    let row = |s: &str| {
        report.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == s)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        row("xintai")["received"],
        3,
        "counted where the call came in"
    );
    assert_eq!(row("feicheng")["received"], 0);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn station_channels_are_the_duty_officers_and_theirs_only(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;

    let hotline = app
        .post(
            &app.hotline().await,
            "/api/v1/referrals",
            &call(&app, XINTAI_CENTRE, "walk_in"),
        )
        .await;
    let duty_12345 = app
        .post(
            &duty,
            "/api/v1/referrals",
            &call(&app, XINTAI_CENTRE, "12345"),
        )
        .await;

    let other_hotline = app
        .post(
            &app.hotline_of("110").await,
            "/api/v1/referrals",
            &call(&app, XINTAI_CENTRE, "12345"),
        )
        .await;
    let county = app.county_supervisor("370921").await;
    let elsewhere = app
        .post(
            &county,
            "/api/v1/referrals",
            &call(&app, XINTAI_CENTRE, "12345"),
        )
        .await;

    assert_eq!(
        elsewhere.status,
        StatusCode::CREATED,
        "filed, and answered, outside their county"
    );
    assert_eq!(elsewhere.body["caller_phone"], "13800138000");
    for r in [&hotline, &duty_12345, &other_hotline] {
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.error_code(), "invalid_channel");
    }
    assert_eq!(app.count("referrals", "true").await, 1);
}

fn escorted(app: &TestApp, at: (f64, f64), to: Option<&str>) -> Value {
    let mut body = with(
        crate::helpers::sighting(app.now(), at),
        "action_taken",
        json!("escorted_to_station"),
    );
    if let Some(code) = to {
        body["escorted_to"] = json!(code);
    }
    body
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_person_escorted_to_a_station_is_signed_for_there_and_admitted(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let taian = app.duty("taian").await;

    let to_taian = app
        .post(
            &officer,
            "/api/v1/sightings",
            &escorted(&app, XINTAI_CENTRE, Some("taian")),
        )
        .await;
    let to_nearest = app
        .post(
            &officer,
            "/api/v1/sightings",
            &escorted(&app, XINTAI_CENTRE, None),
        )
        .await;
    let unknown = app
        .post(
            &officer,
            "/api/v1/sightings",
            &escorted(&app, XINTAI_CENTRE, Some("beijing")),
        )
        .await;
    let wrong_action = app
        .post(
            &officer,
            "/api/v1/sightings",
            &with(
                crate::helpers::sighting(app.now(), XINTAI_CENTRE),
                "escorted_to",
                json!("taian"),
            ),
        )
        .await;

    assert_eq!(to_taian.status, StatusCode::CREATED, "{:?}", to_taian.body);
    assert_eq!(unknown.error_code(), "unknown_station");
    assert_eq!(wrong_action.error_code(), "invalid_escort");
    let id = to_taian.body["referral"]["id"].as_str().unwrap().to_owned();
    let handover = app.get_as(&taian, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(handover.body["kind"], "handover");
    assert_eq!(handover.body["station"]["code"], "taian");
    assert_eq!(handover.body["accountable_station"], "taian");
    assert_eq!(handover.body["channel"], "patrol");
    let window = chrono::DateTime::parse_from_rfc3339(handover.body["accept_by"].as_str().unwrap())
        .unwrap()
        .to_utc()
        - app.now();
    assert_eq!(
        window.num_minutes(),
        30,
        "half an hour to sign for the person"
    );
    let nearest_id = to_nearest.body["referral"]["id"].as_str().unwrap();
    let nearest = app
        .get_as(
            &app.supervisor().await,
            &format!("/api/v1/referrals/{nearest_id}"),
        )
        .await;
    assert_eq!(nearest.body["station"]["code"], "xintai");
    assert_eq!(nearest.body["kind"], "handover");

    let signed = act(&app, &taian, &id, "accept", json!({})).await;
    assert_eq!(
        signed.body["allowed_actions"],
        json!(["resolve", "transfer"])
    );
    let admitted = act(
        &app,
        &taian,
        &id,
        "resolve",
        json!({"outcome": "admitted_to_station"}),
    )
    .await;
    assert_eq!(admitted.status, StatusCode::OK, "{:?}", admitted.body);
    assert_eq!(admitted.body["status"], "resolved");
    assert_eq!(admitted.body["outcome"], "admitted_to_station");
    assert_eq!(app.count("referrals", "kind = 'handover'").await, 2);
}

/// `(lat, lon)` about `metres` north of `at`.
fn north((lat, lon): (f64, f64), metres: f64) -> (f64, f64) {
    (lat + metres / 111_200.0, lon)
}

async fn referral_at(app: &TestApp, who: &Account, at: (f64, f64), minutes_ago: i64) -> String {
    let body = with(
        referral(app.now(), at),
        "reported_at",
        json!((app.now() - chrono::Duration::minutes(minutes_ago)).to_rfc3339()),
    );
    record(app, who, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn reports_near_in_place_and_time_are_offered_as_possible_duplicates(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let first = referral_at(&app, &hotline, XINTAI_CENTRE, 30).await;
    let inside = referral_at(&app, &hotline, north(XINTAI_CENTRE, 250.0), 20).await;
    let outside = referral_at(&app, &hotline, north(XINTAI_CENTRE, 400.0), 20).await;
    let earlier = referral_at(&app, &hotline, XINTAI_CENTRE, 7 * 60).await;

    let new = record(&app, &hotline, &referral(app.now(), XINTAI_CENTRE)).await;

    let found: Vec<&str> = new["possible_duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(found, [first.as_str(), inside.as_str()], "nearest first");
    assert!(!found.contains(&outside.as_str()) && !found.contains(&earlier.as_str()));
    let d = &new["possible_duplicates"][1];
    assert!(
        (d["distance_m"].as_f64().unwrap() - 250.0).abs() < 5.0,
        "{d}"
    );
    assert_eq!(d["channel"], "12345");
    assert_eq!(d["apart_s"], 18 * 60, "2 minutes ago against 20");
    let queue = app
        .get_as(&app.duty("xintai").await, "/api/v1/stations/xintai/queue")
        .await;
    let entry = queue.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["referral"]["id"] == first.as_str())
        .unwrap()
        .clone();
    assert!(
        entry["referral"]["possible_duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == inside.as_str())
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn one_case_many_reports_ends_as_one_and_every_ticket_is_answered(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let duty = app.duty("xintai").await;
    let primary = referral_at(&app, &hotline, XINTAI_CENTRE, 10).await;
    let second = referral_at(&app, &app.hotline().await, XINTAI_CENTRE, 5).await;
    let patrol = app.patrol().await;
    let sighted = app
        .post(
            &patrol,
            "/api/v1/sightings",
            &with(
                crate::helpers::sighting(app.now(), XINTAI_CENTRE),
                "categories",
                json!(["elderly"]),
            ),
        )
        .await;
    let third = sighted.body["referral"]["id"].as_str().unwrap().to_owned();
    let key = xunjiu_server::features::open311::partners::add(
        &app.pool,
        "12345 platform",
        mobile_api::Channel::Citizen12345,
    )
    .await
    .unwrap();
    let posted: Value = reqwest::Client::new()
        .post(app.url("/open311/v2/requests.json"))
        .form(&[
            ("api_key", key.as_str()),
            ("service_code", "sleeping_rough"),
            ("lat", "35.9104"),
            ("long", "117.7602"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = posted[0]["service_request_id"].as_str().unwrap().to_owned();
    let link = |id: &str, to: &str| {
        let (app, duty) = (&app, &duty);
        let (path, body) = (format!("/api/v1/referrals/{id}/link"), json!({"to": to}));
        async move { app.post(duty, &path, &body).await }
    };

    let linked = link(&second, &primary).await;
    let via_member = link(&third, &second).await;
    let to_itself = link(&primary, &second).await;
    link(&ticket, &primary).await;
    let member_steps = act(&app, &duty, &second, "accept", json!({})).await;
    let queue = app.get_as(&duty, "/api/v1/stations/xintai/queue").await;
    let unlinked = app
        .post(
            &duty,
            &format!("/api/v1/referrals/{third}/unlink"),
            &json!({}),
        )
        .await;
    let queue_after_unlink = app.get_as(&duty, "/api/v1/stations/xintai/queue").await;
    link(&third, &primary).await;
    let report = app
        .get_as(&app.supervisor().await, "/api/v1/accountability")
        .await;
    for step in ["accept", "en-route", "on-scene"] {
        act(&app, &duty, &primary, step, json!({})).await;
    }
    act(
        &app,
        &duty,
        &primary,
        "resolve",
        json!({"outcome": "escorted_home"}),
    )
    .await;
    act(&app, &duty, &primary, "close", json!({})).await;

    assert_eq!(linked.status, StatusCode::OK, "{:?}", linked.body);
    assert_eq!(linked.body["case_of"], primary.as_str());
    assert_eq!(
        via_member.body["case_of"],
        primary.as_str(),
        "to the member's primary"
    );
    assert_eq!(to_itself.error_code(), "invalid_link");
    assert_eq!(member_steps.status, StatusCode::CONFLICT);
    let queued: Vec<&str> = queue.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["referral"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(queued, [primary.as_str()], "members leave the queue");
    assert_eq!(unlinked.status, StatusCode::OK);
    assert!(unlinked.body.get("case_of").is_none());
    assert_eq!(
        queue_after_unlink.body["entries"].as_array().unwrap().len(),
        2
    );
    let xintai = report.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "xintai")
        .unwrap()
        .clone();
    assert_eq!(
        (xintai["received"].as_u64(), xintai["cases"].as_u64()),
        (Some(4), Some(1))
    );
    let supervisor = app.supervisor().await;
    for member in [&second, &third, &ticket] {
        let r = app
            .get_as(&supervisor, &format!("/api/v1/referrals/{member}"))
            .await;
        assert_eq!(r.body["status"], "closed", "{member}");
        assert_eq!(r.body["outcome"], "escorted_home");
        let kinds: Vec<&str> = r.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert!(kinds.ends_with(&["resolved", "closed"]), "{kinds:?}");
    }
    let kept = app
        .get_as(&supervisor, &format!("/api/v1/referrals/{second}"))
        .await;
    assert_eq!(
        kept.body["external_ref"], "TA-2026-0001",
        "the hotline keeps its ticket number"
    );
    let public: Value = reqwest::get(app.url(&format!("/open311/v2/requests/{ticket}.json")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public[0]["status"], "closed");
    assert!(
        public[0]["status_notes"]
            .as_str()
            .unwrap()
            .contains("护送返乡")
    );
}
