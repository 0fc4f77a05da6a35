//! Hotspots, check-ins, supplies, campaign attribution at local midnight, alerts and coverage.

use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;
use xunjiu_server::features::alerts::halfway;

use crate::helpers::places::*;
use crate::helpers::{TestApp, sighting, with};

/// A point `metres` due north of (lat, lon) (one degree of latitude is ~110.95 km here).
fn north_of((lat, lon): (f64, f64), metres: f64) -> (f64, f64) {
    (lat + metres / 110_950.0, lon)
}

async fn hotspot(app: &TestApp, who: &crate::helpers::Account, name_part: &str) -> Value {
    let list = app.get_as(who, "/api/v1/hotspots").await;
    list.body["hotspots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"].as_str().unwrap().contains(name_part))
        .unwrap()
        .clone()
}

fn checkin(now: chrono::DateTime<Utc>, at: (f64, f64)) -> Value {
    json!({"id": Uuid::new_v4(), "at": now.to_rfc3339(), "location": {"lat": at.0, "lon": at.1, "accuracy_m": 8}, "people_found": 0})
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn every_role_reads_the_seeded_hotspots_with_their_counties(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    for who in [
        app.patrol().await,
        app.hotline().await,
        app.duty("taian").await,
        app.supervisor().await,
    ] {
        let reply = app.get_as(&who, "/api/v1/hotspots").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body["hotspots"].as_array().unwrap().len(), 13);
    }
    let patrol = app.patrol().await;
    let taishan = hotspot(&app, &patrol, "泰山站 (Taishan").await;
    assert_eq!(taishan["kind"], "railway_station");
    assert_eq!(taishan["county_code"], "370902");
    assert_eq!(taishan["county"], "泰山区");
    assert_eq!(taishan["active"], true);
    let geojson = app
        .get_as(&patrol, "/api/v1/hotspots.geojson?kind=railway_station")
        .await;
    assert_eq!(geojson.body["features"].as_array().unwrap().len(), 8);
    assert!(app.get("/api/v1/hotspots").await.status == StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn supervisors_register_edit_and_retire_hotspots_and_retired_ones_keep_their_history(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let supervisor = app.supervisor().await;
    let patrol = app.patrol().await;
    let culvert = json!({"name": "光明河涵洞", "kind": "bridge_culvert", "location": {"lat": 35.9200, "lon": 117.7500}});

    let refused = app.post(&patrol, "/api/v1/hotspots", &culvert).await;
    let created = app.post(&supervisor, "/api/v1/hotspots", &culvert).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let near = north_of((35.9200, 117.7500), 60.0);
    let snapped = app
        .post(&patrol, "/api/v1/sightings", &sighting(app.now(), near))
        .await;
    app.post(
        &patrol,
        &format!("/api/v1/hotspots/{id}/checkins"),
        &checkin(app.now(), near),
    )
    .await;
    let patch = reqwest::Client::new()
        .patch(app.url(&format!("/api/v1/hotspots/{id}")))
        .bearer_auth(&supervisor.token);
    let retired: Value = patch
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let after = app
        .post(&patrol, "/api/v1/sightings", &sighting(app.now(), near))
        .await;
    let refused_checkin = app
        .post(
            &patrol,
            &format!("/api/v1/hotspots/{id}/checkins"),
            &checkin(app.now(), near),
        )
        .await;

    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["county_code"], "370982");
    assert_eq!(snapped.body["hotspot"]["id"], id.as_str());
    assert_eq!(retired["active"], false);
    assert!(
        after.body["hotspot"].is_null(),
        "a retired hotspot no longer snaps reports"
    );
    assert_eq!(refused_checkin.error_code(), "hotspot_retired");
    assert_eq!(
        app.count("hotspot_checkins", &format!("hotspot_id = '{id}'"))
            .await,
        1,
        "history kept"
    );
    assert_eq!(
        app.count("sightings", &format!("hotspot_id = '{id}'"))
            .await,
        1
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_check_in_must_be_within_300_m_and_is_idempotent(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let patrol = app.patrol().await;
    let h = hotspot(&app, &patrol, "泰山站 (Taishan").await;
    let at = (h["lat"].as_f64().unwrap(), h["lon"].as_f64().unwrap());
    let path = format!("/api/v1/hotspots/{}/checkins", h["id"].as_str().unwrap());
    let ok = with(
        checkin(app.now(), north_of(at, 280.0)),
        "items_given",
        json!([{"item": "quilt", "count": 1}, {"item": "food", "count": 2}, {"item": "quilt", "count": 1}]),
    );

    let inside = app.post(&patrol, &path, &ok).await;
    let again = app.post(&patrol, &path, &ok).await;
    let changed = app
        .post(&patrol, &path, &with(ok.clone(), "people_found", json!(3)))
        .await;
    let outside = app
        .post(&patrol, &path, &checkin(app.now(), north_of(at, 320.0)))
        .await;
    let bad_items = app
        .post(
            &patrol,
            &path,
            &with(
                checkin(app.now(), at),
                "items_given",
                json!([{"item": "quilt", "count": 0}]),
            ),
        )
        .await;
    let hotline = app
        .post(&app.hotline().await, &path, &checkin(app.now(), at))
        .await;
    let unknown = app
        .post(
            &patrol,
            &format!("/api/v1/hotspots/{}/checkins", Uuid::new_v4()),
            &checkin(app.now(), at),
        )
        .await;

    assert_eq!(inside.status, StatusCode::CREATED, "{:?}", inside.body);
    assert!(inside.body["distance_m"].as_f64().unwrap() > 270.0);
    assert_eq!(
        inside.body["items_given"],
        json!([{"item": "quilt", "count": 2}, {"item": "food", "count": 2}])
    );
    assert_eq!(inside.body["campaign"], "winter-2026");
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(changed.error_code(), "id_conflict");
    assert_eq!(outside.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(outside.error_code(), "too_far_from_hotspot");
    assert_eq!(bad_items.error_code(), "invalid_item_count");
    assert_eq!(hotline.status, StatusCode::FORBIDDEN);
    assert_eq!(unknown.error_code(), "hotspot_not_found");
    assert_eq!(app.count("hotspot_checkins", "true").await, 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn sightings_record_supplies_handed_out(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let patrol = app.patrol().await;
    let body = with(
        with(
            sighting(app.now(), XINTAI_CENTRE),
            "action_taken",
            json!("declined_help"),
        ),
        "items_given",
        json!([{"item": "coat", "count": 1}, {"item": "water", "count": 2}]),
    );

    let reply = app.post(&patrol, "/api/v1/sightings", &body).await;
    let plain = app
        .post(
            &patrol,
            "/api/v1/sightings",
            &sighting(app.now(), XINTAI_CENTRE),
        )
        .await;

    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(
        reply.body["items_given"],
        json!([{"item": "coat", "count": 1}, {"item": "water", "count": 2}])
    );
    assert_eq!(plain.body["items_given"], json!([]));
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn campaigns_are_listed_by_year_with_local_date_bounds(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let who = app.patrol().await;

    let reply = app.get_as(&who, "/api/v1/campaigns?year=2026").await;
    let default_year = app.get_as(&who, "/api/v1/campaigns").await;
    let bad = app.get_as(&who, "/api/v1/campaigns?year=twenty").await;

    let c = &reply.body["campaigns"];
    assert_eq!(reply.body["timezone"], "Asia/Shanghai");
    assert_eq!(
        (
            c[0]["id"].as_str(),
            c[0]["starts_on"].as_str(),
            c[0]["ends_on"].as_str()
        ),
        (Some("summer-2026"), Some("2026-07-01"), Some("2026-09-30"))
    );
    assert_eq!(
        (
            c[1]["id"].as_str(),
            c[1]["starts_on"].as_str(),
            c[1]["ends_on"].as_str()
        ),
        (Some("winter-2026"), Some("2026-11-01"), Some("2027-03-31"))
    );
    assert_eq!(c[1]["starts_at"], "2026-10-31T16:00:00Z");
    assert_eq!(c[1]["ends_at"], "2027-03-31T16:00:00Z");
    assert_eq!(default_year.body["campaigns"][1]["id"], "winter-2026");
    assert_eq!(bad.error_code(), "invalid_year");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn reports_are_attributed_to_campaigns_by_local_midnight(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let local = |y, m, d, h, min| {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    let mut seen = Vec::new();

    for (now, at) in [
        (local(2026, 7, 1, 1, 0), local(2026, 6, 30, 23, 59)),
        (local(2026, 7, 1, 1, 0), local(2026, 7, 1, 0, 0)),
        (local(2027, 4, 1, 1, 0), local(2027, 3, 31, 23, 59)),
        (local(2027, 4, 1, 1, 0), local(2027, 4, 1, 0, 0)),
    ] {
        app.clock.set(now);
        // Logged in after the clock moves: a week-old token would have expired.
        let patrol = app.patrol().await;
        let body = with(
            sighting(now, XINTAI_CENTRE),
            "observed_at",
            json!(at.to_rfc3339()),
        );
        seen.push(app.post(&patrol, "/api/v1/sightings", &body).await.body["campaign"].clone());
    }

    assert_eq!(
        seen,
        [
            Value::Null,
            json!("summer-2026"),
            json!("winter-2026"),
            Value::Null
        ]
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn alert_coverage_follows_check_ins_and_half_way_pushes_the_unvisited_once(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let supervisor = app.supervisor().await;
    let county_supervisor = app.account(mobile_api::Role::Supervisor, None).await;
    sqlx::query("update users set county_code = '370982' where id = $1")
        .bind(county_supervisor.id)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("insert into push_subscriptions (user_id, endpoint, p256dh, auth) values ($1, 'https://push.example/s', 'k', 'a')")
        .bind(county_supervisor.id).execute(&app.pool).await.unwrap();
    let patrol = app.patrol().await;
    let start = app.now();
    let alert = app.post(&supervisor, "/api/v1/alerts", &json!({"id": Uuid::new_v4(), "kind": "cold_wave", "counties": ["370982"],
        "starts_at": start.to_rfc3339(), "ends_at": (start + Duration::hours(4)).to_rfc3339(), "note": "寒潮蓝色预警"})).await;
    let id = alert.body["id"].as_str().unwrap().to_owned();
    let station = hotspot(&app, &patrol, "新泰市 railway").await;

    app.clock.advance(Duration::hours(1));
    let at = (
        station["lat"].as_f64().unwrap(),
        station["lon"].as_f64().unwrap(),
    );
    app.post(
        &patrol,
        &format!(
            "/api/v1/hotspots/{}/checkins",
            station["id"].as_str().unwrap()
        ),
        &checkin(app.now(), at),
    )
    .await;
    let coverage = app
        .get_as(&supervisor, &format!("/api/v1/alerts/{id}/coverage"))
        .await;
    let patrol_view = app
        .get_as(&patrol, &format!("/api/v1/alerts/{id}/coverage"))
        .await;
    let early = halfway::run_once(&app.state).await.unwrap();
    app.clock.advance(Duration::hours(1));
    let at_halfway = halfway::run_once(&app.state).await.unwrap();
    let again = halfway::run_once(&app.state).await.unwrap();

    assert_eq!(alert.status, StatusCode::CREATED);
    assert_eq!(
        alert.body["halfway_at"],
        (start + Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    );
    assert_eq!(
        (
            coverage.body["total"].as_u64(),
            coverage.body["visited"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let rows = coverage.body["hotspots"].as_array().unwrap();
    assert_eq!(rows[0]["visited"], false, "unvisited first");
    assert_eq!(rows[1]["last_checkin_by"], patrol.username.as_str());
    let patrol_rows = patrol_view.body["hotspots"].as_array().unwrap();
    assert_eq!(patrol_rows[1]["visited"], true);
    assert!(
        patrol_rows[1]["last_checkin_by"].is_null(),
        "officers are named to duty and supervisors only"
    );
    assert_eq!((early, at_halfway, again), (0, 1, 0));
    let payload: Value = sqlx::query_scalar("select payload from push_outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(payload["type"], "alert_unvisited");
    assert_eq!(payload["unvisited"], 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn bad_alerts_are_refused(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let supervisor = app.supervisor().await;
    let now = app.now();
    let base = json!({"id": Uuid::new_v4(), "kind": "heat_wave", "counties": ["370902"], "starts_at": now.to_rfc3339(), "ends_at": (now + Duration::hours(6)).to_rfc3339()});

    let unknown = app
        .post(
            &supervisor,
            "/api/v1/alerts",
            &with(base.clone(), "counties", json!(["110101"])),
        )
        .await;
    let none = app
        .post(
            &supervisor,
            "/api/v1/alerts",
            &with(base.clone(), "counties", json!([])),
        )
        .await;
    let backwards = app
        .post(
            &supervisor,
            "/api/v1/alerts",
            &with(
                base.clone(),
                "ends_at",
                json!((now - Duration::hours(1)).to_rfc3339()),
            ),
        )
        .await;
    let kind = app
        .post(
            &supervisor,
            "/api/v1/alerts",
            &with(base.clone(), "kind", json!("drizzle")),
        )
        .await;
    let patrol = app.post(&app.patrol().await, "/api/v1/alerts", &base).await;

    assert_eq!(unknown.error_code(), "unknown_county");
    assert_eq!(none.error_code(), "unknown_county");
    assert_eq!(backwards.error_code(), "invalid_alert_window");
    assert_eq!(kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(patrol.status, StatusCode::FORBIDDEN);
}
