//! Personal data of vulnerable people: each role reads what its work needs (scoped in the
//! queries), personal fields are redacted after the retention period or on request, and every
//! read of them is logged.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;
use xunjiu_server::features::retention::{self, Record};

use crate::duty::act;
use crate::helpers::places::*;
use crate::helpers::{Account, Reply, TestApp, referral, sighting, with};

/// 宁阳县's county seat: in area 370921, routed to `ningyang`.
const NINGYANG_CENTRE: (f64, f64) = (35.7676, 116.7937);
const NINGYANG: &str = "370921";

async fn file(app: &TestApp, by: &Account, body: &Value) -> String {
    let reply = app.post(by, "/api/v1/referrals", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

fn ids(reply: &Reply, list: &str) -> Vec<String> {
    reply.body[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {:?}", reply.body))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Walk a referral from routed to closed as the station's duty officer.
async fn close(app: &TestApp, duty: &Account, id: &str) {
    for step in ["accept", "en-route", "on-scene"] {
        let r = act(
            app,
            duty,
            id,
            step,
            json!({"note": "MARKER-STEP-NOTE 穿灰色棉袄"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {:?}", r.body);
    }
    let r = act(
        app,
        duty,
        id,
        "resolve",
        json!({"outcome": "escorted_home"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = act(app, duty, id, "close", json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_county_supervisor_reads_their_county_and_nothing_of_another(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let patrol = app.patrol().await;
    let ningyang = file(&app, &hotline, &referral(app.now(), NINGYANG_CENTRE)).await;
    let dongping = file(&app, &hotline, &referral(app.now(), DONGPING_FIELD)).await;
    app.post(
        &patrol,
        "/api/v1/sightings",
        &sighting(app.now(), NINGYANG_CENTRE),
    )
    .await;
    app.post(
        &patrol,
        "/api/v1/sightings",
        &sighting(app.now(), DONGPING_FIELD),
    )
    .await;
    let county = app.county_supervisor(NINGYANG).await;
    let city = app.supervisor().await;

    let own = app
        .get_as(&county, &format!("/api/v1/referrals/{ningyang}"))
        .await;
    let other = app
        .get_as(&county, &format!("/api/v1/referrals/{dongping}"))
        .await;
    let listed = app.get_as(&county, "/api/v1/referrals").await;
    let geojson = app.get_as(&county, "/api/v1/referrals.geojson").await;
    let sightings = app.get_as(&county, "/api/v1/sightings").await;
    let city_list = app.get_as(&city, "/api/v1/referrals").await;
    let close_other = act(&app, &county, &dongping, "close", json!({})).await;

    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["caller_phone"], "13800138000");
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(other.error_code(), "referral_not_found");
    assert_eq!(ids(&listed, "referrals"), [ningyang.as_str()]);
    assert_eq!(geojson.body["features"].as_array().unwrap().len(), 1);
    assert_eq!(sightings.body["sightings"].as_array().unwrap().len(), 1);
    assert_eq!(
        sightings.body["sightings"][0]["area"]["code"], NINGYANG,
        "only their county's sightings"
    );
    assert_eq!(
        ids(&city_list, "referrals").len(),
        2,
        "a city supervisor sees all"
    );
    assert_eq!(close_other.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_county_supervisors_queues_reports_maps_and_alerts_stop_at_the_county(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let patrol = app.patrol().await;
    let ningyang = file(&app, &hotline, &referral(app.now(), NINGYANG_CENTRE)).await;
    // A 东平 referral transferred to 宁阳's station sits in its queue but is not 宁阳's.
    let dongping = file(&app, &hotline, &referral(app.now(), DONGPING_FIELD)).await;
    let moved = act(
        &app,
        &app.duty("dongping").await,
        &dongping,
        "transfer",
        json!({"to_station": "ningyang", "reason": "the person walked east"}),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK);
    for place in [NINGYANG_CENTRE, NINGYANG_CENTRE, DONGPING_FIELD] {
        app.post(&patrol, "/api/v1/sightings", &sighting(app.now(), place))
            .await;
    }
    let county = app.county_supervisor(NINGYANG).await;
    let day = format!(
        "from={}&to={}",
        urlencoding((app.now() - Duration::days(1)).to_rfc3339()),
        urlencoding((app.now() + Duration::minutes(1)).to_rfc3339())
    );

    let queue = app.get_as(&county, "/api/v1/stations/ningyang/queue").await;
    let other_queue = app.get_as(&county, "/api/v1/stations/dongping/queue").await;
    let duty_queue = app
        .get_as(
            &app.duty("ningyang").await,
            "/api/v1/stations/ningyang/queue",
        )
        .await;
    let accountability = app.get_as(&county, "/api/v1/accountability").await;
    let report = app
        .get_as(&county, &format!("/api/v1/reports/campaign?{day}"))
        .await;
    let map = app.get_as(&county, &format!("/api/v1/heatmap?{day}")).await;
    let city_map = app
        .get_as(&app.supervisor().await, &format!("/api/v1/heatmap?{day}"))
        .await;

    let queued: Vec<&str> = queue.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["referral"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(queued, [ningyang.as_str()]);
    assert_eq!(duty_queue.body["entries"].as_array().unwrap().len(), 2);
    assert_eq!(other_queue.status, StatusCode::FORBIDDEN);
    let stations: Vec<&str> = accountability.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["group"].as_str().unwrap())
        .collect();
    assert_eq!(stations, ["ningyang"]);
    assert_eq!(accountability.body["rows"][0]["received"], 1);
    let rows = report.body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "their county's row alone: {rows:?}");
    assert_eq!(rows[0]["county_code"], NINGYANG);
    assert_eq!(rows[0]["sightings"], 2);
    assert_eq!(map.body["total"], 2);
    assert_eq!(city_map.body["total"], 3);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn alerts_of_other_counties_are_absent_for_a_county_supervisor(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let city = app.supervisor().await;
    let alert = |counties: Value| {
        json!({"id": Uuid::new_v4(), "kind": "cold_wave", "counties": counties,
               "starts_at": app.now().to_rfc3339(), "ends_at": (app.now() + Duration::hours(6)).to_rfc3339()})
    };
    let xintai_only = app
        .post(&city, "/api/v1/alerts", &alert(json!(["370982"])))
        .await;
    let both = app
        .post(&city, "/api/v1/alerts", &alert(json!(["370982", NINGYANG])))
        .await;
    let county = app.county_supervisor(NINGYANG).await;

    let list = app.get_as(&county, "/api/v1/alerts").await;
    let absent = app
        .get_as(
            &county,
            &format!(
                "/api/v1/alerts/{}/coverage",
                xintai_only.body["id"].as_str().unwrap()
            ),
        )
        .await;
    let coverage = app
        .get_as(
            &county,
            &format!(
                "/api/v1/alerts/{}/coverage",
                both.body["id"].as_str().unwrap()
            ),
        )
        .await;

    assert_eq!(list.body["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    assert_eq!(coverage.status, StatusCode::OK);
    for row in coverage.body["hotspots"].as_array().unwrap() {
        assert_eq!(row["hotspot"]["county_code"], NINGYANG);
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_hotline_operator_reads_their_channels_referrals_and_nothing_else(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let operator_12345 = app.hotline_of("12345").await;
    let operator_110 = app.hotline_of("110").await;
    let by_12345 = file(&app, &operator_12345, &referral(app.now(), XINTAI_CENTRE)).await;
    let by_110 = file(
        &app,
        &operator_110,
        &with(referral(app.now(), XINTAI_CENTRE), "channel", json!("110")),
    )
    .await;
    let by_patrol = file(
        &app,
        &app.patrol().await,
        &referral(app.now(), XINTAI_CENTRE),
    )
    .await;
    // An account made before channels existed reads only what it filed.
    let legacy = app.hotline_of("110").await;
    sqlx::query("update users set channel = null where id = $1")
        .bind(legacy.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let legacy = app.login(&legacy.username).await;
    let by_legacy = file(&app, &legacy, &referral(app.now(), XINTAI_CENTRE)).await;

    let seen_12345 = app.get_as(&operator_12345, "/api/v1/referrals").await;
    let seen_110 = app.get_as(&operator_110, "/api/v1/referrals").await;
    let seen_legacy = app.get_as(&legacy, "/api/v1/referrals").await;
    let other_channel = app
        .get_as(&operator_110, &format!("/api/v1/referrals/{by_12345}"))
        .await;
    let own_channel = app
        .get_as(&operator_110, &format!("/api/v1/referrals/{by_110}"))
        .await;

    let mut expected_12345 = vec![by_12345.clone(), by_patrol, by_legacy.clone()];
    expected_12345.sort();
    let mut got = ids(&seen_12345, "referrals");
    got.sort();
    assert_eq!(got, expected_12345, "12345 reads every 12345 referral");
    assert_eq!(ids(&seen_110, "referrals"), [by_110]);
    assert_eq!(ids(&seen_legacy, "referrals"), [by_legacy]);
    assert_eq!(other_channel.status, StatusCode::NOT_FOUND);
    assert_eq!(own_channel.body["caller_phone"], "13800138000");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_patrol_sees_the_steps_of_its_referral_but_not_others_notes_or_the_address(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let duty = app.duty("xintai").await;
    let id = file(&app, &officer, &referral(app.now(), XINTAI_CENTRE)).await;
    act(
        &app,
        &duty,
        &id,
        "accept",
        json!({"note": "MARKER-DUTY-NOTE 家属电话"}),
    )
    .await;
    let path = format!("/api/v1/referrals/{id}");

    let as_patrol = app.get_as(&officer, &path).await;
    let as_duty = app.get_as(&duty, &path).await;

    let note_of = |r: &Reply, kind: &str| {
        r.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind)
            .map(|e| e["note"].clone())
            .unwrap()
    };
    assert_eq!(as_patrol.status, StatusCode::OK);
    assert!(as_patrol.body.get("address_text").is_none());
    assert!(as_patrol.body.get("caller_phone").is_none());
    assert!(note_of(&as_patrol, "accepted").is_null());
    assert_eq!(as_patrol.body["events"][2]["station"], "xintai");
    assert_eq!(
        note_of(&as_patrol, "created"),
        "channel 12345",
        "its own step"
    );
    assert!(!as_patrol.body.to_string().contains("MARKER-DUTY-NOTE"));
    assert_eq!(note_of(&as_duty, "accepted"), "MARKER-DUTY-NOTE 家属电话");
    assert_eq!(as_duty.body["address_text"], "泰山大街与灵山大街路口");
}

fn urlencoding(text: String) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn roles_without_casework_get_coarse_maps_of_a_day_or_more(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    for _ in 0..3 {
        app.post(
            &officer,
            "/api/v1/sightings",
            &with(
                sighting(app.now(), XINTAI_CENTRE),
                "categories",
                json!(["elderly"]),
            ),
        )
        .await;
    }
    app.post(
        &officer,
        "/api/v1/sightings",
        &sighting(app.now(), FEICHENG_CENTRE),
    )
    .await;
    let window = |length: Duration| {
        format!(
            "from={}&to={}&cell_m=250",
            urlencoding((app.now() - length).to_rfc3339()),
            urlencoding(app.now().to_rfc3339())
        )
    };
    let hotline = app.hotline().await;
    let supervisor = app.supervisor().await;
    let ten_minutes = window(Duration::minutes(10));
    let day = window(Duration::hours(24));

    let short = app
        .get_as(&officer, &format!("/api/v1/heatmap?{ten_minutes}"))
        .await;
    let short_tile = app
        .get_as(
            &hotline,
            &format!("/tiles/sightings/12/3381/1620.mvt?{ten_minutes}"),
        )
        .await;
    let short_png = app
        .get_as(&officer, &format!("/api/v1/heatmap.png?{ten_minutes}"))
        .await;
    let coarse = app
        .get_as(&officer, &format!("/api/v1/heatmap?{day}"))
        .await;
    let exact = app
        .get_as(&supervisor, &format!("/api/v1/heatmap?{ten_minutes}"))
        .await;
    let exact_duty = app
        .get_as(
            &app.duty("xintai").await,
            &format!("/api/v1/heatmap?{ten_minutes}"),
        )
        .await;

    for reply in [&short, &short_tile, &short_png] {
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.error_code(), "window_too_short");
    }
    let cells = coarse.body["features"].as_array().unwrap();
    assert_eq!(cells.len(), 1, "the lone Feicheng report is left out");
    assert_eq!(cells[0]["properties"]["count"], 3);
    assert!(cells[0]["properties"].get("special_count").is_none());
    assert_eq!(exact.body["features"].as_array().unwrap().len(), 2);
    assert_eq!(exact.body["total"], 4);
    let exact_cells = exact.body["features"].as_array().unwrap();
    assert!(
        exact_cells
            .iter()
            .any(|c| c["properties"]["special_count"] == 3)
    );
    assert_eq!(
        exact_duty.body["total"], 3,
        "a duty officer maps their station"
    );
}

/// Make a referral closed `days` before the clock's now, by closing it and moving the clock.
async fn closed_referral_with_sighting(app: &TestApp) -> (String, String) {
    let officer = app.patrol().await;
    let reply = app
        .post(
            &officer,
            "/api/v1/sightings",
            &with(
                with(
                    sighting(app.now(), XINTAI_CENTRE),
                    "categories",
                    json!(["elderly"]),
                ),
                "notes",
                json!("MARKER-SIGHTING-NOTE 白发老人"),
            ),
        )
        .await;
    let sighting_id = reply.body["id"].as_str().unwrap().to_owned();
    let referral_id = reply.body["referral"]["id"].as_str().unwrap().to_owned();
    close(app, &app.duty("xintai").await, &referral_id).await;
    (referral_id, sighting_id)
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn personal_fields_are_redacted_a_retention_period_after_closing_and_counts_stay(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let supervisor = app.supervisor().await;
    let old = file(&app, &hotline, &referral(app.now(), XINTAI_CENTRE)).await;
    close(&app, &app.duty("xintai").await, &old).await;
    let (raised, sighting_id) = closed_referral_with_sighting(&app).await;
    let report_path = "/api/v1/reports/campaign?campaign=winter-2026";
    let before = app.get_as(&supervisor, report_path).await;

    // 364 days on nothing is due; 366 days on, everything closed then is.
    app.clock.advance(Duration::days(364));
    let hotline = app.login(&hotline.username).await;
    let still_open = file(&app, &hotline, &referral(app.now(), XINTAI_CENTRE)).await;
    let early = retention::run_once(&app.state).await.unwrap();
    app.clock.advance(Duration::days(2));
    let due = retention::run_once(&app.state).await.unwrap();
    let again = retention::run_once(&app.state).await.unwrap();

    assert_eq!((early.referrals, early.sightings), (0, 0));
    assert_eq!((due.referrals, due.sightings), (2, 1));
    assert_eq!((again.referrals, again.sightings), (0, 0));
    let supervisor = app.login(&supervisor.username).await;
    let read = app
        .get_as(&supervisor, &format!("/api/v1/referrals/{old}"))
        .await;
    assert!(read.body.get("caller_phone").is_none());
    assert_eq!(read.body["description"], "");
    assert_eq!(read.body["address_text"], "");
    assert!(read.body["redacted_at"].is_string());
    assert_eq!(read.body["outcome"], "escorted_home", "outcomes stay");
    assert_eq!(read.body["location"]["lat"], XINTAI_CENTRE.0, "places stay");
    let events = read.body["events"].as_array().unwrap();
    assert_eq!(events.last().unwrap()["kind"], "redacted");
    assert!(!read.body.to_string().contains("MARKER-STEP-NOTE"));
    assert_eq!(events[0]["note"], "channel 12345", "system notes stay");
    let raised_read = app
        .get_as(&supervisor, &format!("/api/v1/referrals/{raised}"))
        .await;
    assert_eq!(raised_read.body["description"], "");
    let notes: String = sqlx::query_scalar("select notes from sightings where id = $1::uuid")
        .bind(&sighting_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(notes, "");
    assert_eq!(
        app.count(
            "sighting_events",
            &format!("sighting_id = '{sighting_id}' and kind = 'redacted'")
        )
        .await,
        1
    );
    let open = app
        .get_as(&supervisor, &format!("/api/v1/referrals/{still_open}"))
        .await;
    assert_eq!(
        open.body["caller_phone"], "13800138000",
        "open referrals keep theirs"
    );
    let after = app.get_as(&supervisor, report_path).await;
    assert_eq!(
        before.body["rows"], after.body["rows"],
        "the report does not change"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn erase_redacts_one_record_at_once_with_its_reason(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let id = file(&app, &hotline, &referral(app.now(), XINTAI_CENTRE)).await;
    let (raised, sighting_id) = closed_referral_with_sighting(&app).await;

    let n = retention::erase(
        &app.pool,
        Record::Referral(id.parse().unwrap()),
        "PIPL art. 47 request 2026-12-15",
        app.now(),
    )
    .await
    .unwrap();
    let m = retention::erase(
        &app.pool,
        Record::Sighting(sighting_id.parse().unwrap()),
        "the person asked",
        app.now(),
    )
    .await
    .unwrap();
    let unknown =
        retention::erase(&app.pool, Record::Referral(Uuid::new_v4()), "x", app.now()).await;
    let no_reason = retention::erase(
        &app.pool,
        Record::Referral(id.parse().unwrap()),
        " ",
        app.now(),
    )
    .await;

    assert_eq!((n, m), (1, 2), "a sighting's referral carries its notes");
    let read = app
        .get_as(&app.supervisor().await, &format!("/api/v1/referrals/{id}"))
        .await;
    assert!(read.body.get("caller_phone").is_none());
    let last = read.body["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "redacted");
    assert_eq!(
        last["note"],
        "erased on request: PIPL art. 47 request 2026-12-15"
    );
    assert_eq!(read.body["status"], "routed", "the referral goes on");
    assert_eq!(
        app.count(
            "referral_events",
            &format!("referral_id = '{raised}' and kind = 'redacted'")
        )
        .await,
        1
    );
    assert!(unknown.is_err() && no_reason.is_err());
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_event_log_allows_blanking_a_note_and_no_other_change(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let id = file(
        &app,
        &app.hotline().await,
        &referral(app.now(), XINTAI_CENTRE),
    )
    .await;
    let refused = [
        "update referral_events set note = 'rewritten' where referral_id = $1::uuid",
        "update referral_events set note = null, kind = 'other' where referral_id = $1::uuid",
        "update referral_events set at = at + interval '1 minute' where referral_id = $1::uuid",
        "update referral_events set note = null, actor_role = 'system' where referral_id = $1::uuid",
        "delete from referral_events where referral_id = $1::uuid",
    ];

    for sql in refused {
        let err = sqlx::query(sql)
            .bind(&id)
            .execute(&app.pool)
            .await
            .expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let truncate = sqlx::query("truncate referral_events cascade")
        .execute(&app.pool)
        .await;
    let blanked =
        sqlx::query("update referral_events set note = null where referral_id = $1::uuid")
            .bind(&id)
            .execute(&app.pool)
            .await
            .unwrap();
    let access_log = sqlx::query("delete from access_log")
        .execute(&app.pool)
        .await;

    assert!(truncate.is_err());
    assert_eq!(blanked.rows_affected(), 2);
    assert!(access_log.is_ok(), "deleting no rows trips no row trigger");
    sqlx::query(
        "insert into access_log (at, reader_id, record_kind, record_id, via)
         select now(), id, 'referral', gen_random_uuid(), 'test' from users limit 1",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for sql in [
        "delete from access_log",
        "update access_log set via = 'x'",
        "truncate access_log",
    ] {
        assert!(sqlx::query(sql).execute(&app.pool).await.is_err(), "{sql}");
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn old_sessions_login_failures_and_delivered_pushes_are_deleted(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let logout = app.post(&officer, "/api/v1/auth/logout", &json!({})).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    let fresh = app.login(&officer.username).await;
    let failed = app
        .post_anon(
            "/api/v1/auth/login",
            &json!({"username": officer.username, "password": "wrong password"}),
        )
        .await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    sqlx::query(
        "insert into push_subscriptions (user_id, endpoint, p256dh, auth) values ($1, 'https://push.example/x', 'k', 'a')",
    )
    .bind(officer.id)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into push_outbox (subscription_id, payload, next_attempt_at, delivered_at, created_at)
         select id, '{}', $1, $1, $1 from push_subscriptions",
    )
    .bind(app.now())
    .execute(&app.pool)
    .await
    .unwrap();

    let soon = retention::run_once(&app.state).await.unwrap();
    app.clock.advance(Duration::days(31));
    let later = retention::run_once(&app.state).await.unwrap();

    assert_eq!(
        (soon.sessions, soon.login_failures, soon.push_rows),
        (0, 0, 0)
    );
    assert_eq!(
        later.sessions, 1,
        "the revoked session; the live one is not yet expired"
    );
    assert_eq!(
        later.login_failures, 3,
        "the account's streak, the account's at this address, and the address's"
    );
    assert_eq!(later.push_rows, 1);
    let live: i64 = sqlx::query_scalar("select count(*) from sessions where user_id = $1")
        .bind(fresh.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(live, 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn every_read_of_personal_fields_is_logged_and_only_city_supervisors_and_admins_see_the_log(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let id = file(&app, &hotline, &referral(app.now(), XINTAI_CENTRE)).await;
    let duty = app.duty("xintai").await;
    let patrol = app.patrol().await;
    let plain = file(
        &app,
        &patrol,
        &json!({"id": Uuid::new_v4(), "channel": "patrol", "reported_at": app.now().to_rfc3339(),
                "location": {"lat": XINTAI_CENTRE.0, "lon": XINTAI_CENTRE.1}, "people_count": 1}),
    )
    .await;
    let after_create = app.count("access_log", "true").await;

    app.get_as(&duty, &format!("/api/v1/referrals/{id}")).await;
    app.get_as(&duty, "/api/v1/stations/xintai/queue").await;
    app.get_as(&patrol, &format!("/api/v1/referrals/{id}"))
        .await;
    app.get_as(&duty, &format!("/api/v1/referrals/{plain}"))
        .await;
    app.post(
        &patrol,
        "/api/v1/sightings",
        &sighting(app.now(), XINTAI_CENTRE),
    )
    .await;
    app.get_as(&duty, "/api/v1/sightings").await;
    let city = app.supervisor().await;
    let admin = app.account(mobile_api::Role::Admin, None).await;
    let by_referral = app
        .get_as(&city, &format!("/api/v1/audit/access?referral={id}"))
        .await;
    let by_user = app
        .get_as(
            &admin,
            &format!("/api/v1/audit/access?user={}", duty.username),
        )
        .await;
    let windowed = app
        .get_as(
            &city,
            &format!(
                "/api/v1/audit/access?from={}",
                urlencoding((app.now() + Duration::minutes(1)).to_rfc3339())
            ),
        )
        .await;
    let refusals = [
        app.get_as(
            &app.county_supervisor(NINGYANG).await,
            "/api/v1/audit/access",
        )
        .await,
        app.get_as(&duty, "/api/v1/audit/access").await,
        app.get_as(&hotline, "/api/v1/audit/access").await,
    ];
    let bad = app
        .get_as(&city, "/api/v1/audit/access?referral=nope")
        .await;

    assert_eq!(after_create, 0, "answering the filer is not a read");
    let entries = by_referral.body["entries"].as_array().unwrap();
    let vias: Vec<&str> = entries.iter().map(|e| e["via"].as_str().unwrap()).collect();
    assert_eq!(
        vias,
        ["/api/v1/stations/{code}/queue", "/api/v1/referrals/{id}"],
        "the patrol read carried no personal field, the plain referral has none"
    );
    assert!(entries.iter().all(|e| e["user"] == duty.username.as_str()));
    assert_eq!(entries[0]["role"], "duty");
    let kinds: Vec<&str> = by_user.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["record_kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sighting", "referral", "referral"]);
    assert!(windowed.body["entries"].as_array().unwrap().is_empty());
    for r in refusals {
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}
