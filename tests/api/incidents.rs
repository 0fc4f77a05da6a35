//! Incidents: recorded, pushed at once to the county's and the city's supervisors (decrypted
//! here by the independent push reader), pushed again when nobody acknowledges them, read
//! within scope, and counted in the stage report.

use axum::http::StatusCode as AxumStatus;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;
use xunjiu_server::features::incidents::repush;

use crate::duty::{act, routed_referral};
use crate::helpers::places::*;
use crate::helpers::{TestApp, with};
use crate::push::{Browser, browser, decrypt, deliver, push_app, subscribe};

const XINTAI_COUNTY: &str = "370982";
const FEICHENG_COUNTY: &str = "370983";

fn incident(app: &TestApp, kind: &str, at: (f64, f64), station: &str) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "kind": kind,
        "occurred_at": app.now() - Duration::minutes(20),
        "location": {"lat": at.0, "lon": at.1, "accuracy_m": 10.0},
        "station": station,
        "description": "elderly man found unresponsive under the bridge, 120 called",
    })
}

fn payloads(b: &Browser) -> Vec<Value> {
    b.inbox
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| decrypt(b, body))
        .collect()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn an_incident_is_pushed_to_county_and_city_supervisors_and_again_when_ignored(pool: PgPool) {
    let app = push_app(pool).await;
    let city = app.supervisor().await;
    let xintai_county = app.county_supervisor(XINTAI_COUNTY).await;
    let feicheng_county = app.county_supervisor(FEICHENG_COUNTY).await;
    let (city_b, county_b, other_b) = (
        browser(AxumStatus::CREATED).await,
        browser(AxumStatus::CREATED).await,
        browser(AxumStatus::CREATED).await,
    );
    subscribe(&app, &city, &city_b).await;
    subscribe(&app, &xintai_county, &county_b).await;
    subscribe(&app, &feicheng_county, &other_b).await;

    let patrol = app.patrol().await;
    let death = incident(&app, "death", XINTAI_CENTRE, "xintai");
    let filed = app.post(&patrol, "/api/v1/incidents", &death).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{:?}", filed.body);
    assert_eq!(filed.body["county_code"], XINTAI_COUNTY);
    assert_eq!(filed.body["reported_by"], patrol.username.as_str());
    assert!(filed.body["acknowledged_at"].is_null());
    let id = filed.body["id"].as_str().unwrap().to_owned();

    assert_eq!(
        deliver(&app).await,
        2,
        "the city's and Xintai's supervisors"
    );
    assert!(other_b.inbox.0.lock().unwrap().is_empty(), "not Feicheng's");
    for b in [&city_b, &county_b] {
        let got = payloads(b);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["type"], "incident");
        assert_eq!(got[0]["incident_id"], id.as_str());
        assert_eq!(got[0]["kind"], "death");
        assert!(
            !got[0].to_string().contains("unresponsive"),
            "no description in a push"
        );
    }

    // A second incident is acknowledged in time; the first is ignored.
    let injury = app
        .post(
            &patrol,
            "/api/v1/incidents",
            &incident(&app, "serious_injury", XINTAI_CENTRE, "xintai"),
        )
        .await;
    let injury_id = injury.body["id"].as_str().unwrap().to_owned();
    deliver(&app).await;
    let ack = app
        .post(
            &xintai_county,
            &format!("/api/v1/incidents/{injury_id}/acknowledge"),
            &json!({"note": "called the hospital"}),
        )
        .await;
    assert_eq!(ack.status, StatusCode::OK, "{:?}", ack.body);
    assert_eq!(ack.body["acknowledged_by"], xintai_county.username.as_str());
    assert_eq!(
        app.count(
            "access_log",
            &format!("record_id = '{injury_id}' and via = '/api/v1/incidents/{{id}}/acknowledge'")
        )
        .await,
        1,
        "the answer shows the description: logged"
    );
    let again = app
        .post(
            &city,
            &format!("/api/v1/incidents/{injury_id}/acknowledge"),
            &json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        again.body["acknowledged_by"],
        xintai_county.username.as_str(),
        "the first acknowledgement stands"
    );
    let by_patrol = app
        .post(
            &patrol,
            &format!("/api/v1/incidents/{id}/acknowledge"),
            &json!({}),
        )
        .await;
    assert_eq!(by_patrol.status, StatusCode::FORBIDDEN);

    app.clock.advance(Duration::minutes(29));
    assert_eq!(repush::run_once(&app.state).await.unwrap(), 0, "not yet");
    app.clock.advance(Duration::minutes(2));
    assert_eq!(
        repush::run_once(&app.state).await.unwrap(),
        2,
        "the death, to both"
    );
    assert_eq!(repush::run_once(&app.state).await.unwrap(), 0, "once");
    deliver(&app).await;
    let last = payloads(&county_b).pop().unwrap();
    assert_eq!(last["type"], "incident_repushed");
    assert_eq!(last["incident_id"], id.as_str());
    let read = app.get_as(&city, &format!("/api/v1/incidents/{id}")).await;
    assert!(read.body["repushed_at"].is_string());
    let unacked = app
        .get_as(&city, "/api/v1/incidents?unacknowledged=true")
        .await;
    let ids: Vec<&str> = unacked.body["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str()]);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn incidents_are_read_within_scope_and_retries_are_idempotent(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let xintai = app.duty("xintai").await;
    let feicheng = app.duty("feicheng").await;
    let body = incident(&app, "missing_from_care", XINTAI_CENTRE, "xintai");
    let first = app.post(&xintai, "/api/v1/incidents", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let replay = app.post(&xintai, "/api/v1/incidents", &body).await;
    assert_eq!(replay.status, StatusCode::OK);
    assert_eq!(replay.body["id"], first.body["id"]);
    let changed = app
        .post(
            &xintai,
            "/api/v1/incidents",
            &with(body.clone(), "kind", json!("other")),
        )
        .await;
    assert_eq!(changed.status, StatusCode::CONFLICT);
    assert_eq!(changed.error_code(), "id_conflict");
    assert_eq!(app.count("incidents", "true").await, 1);

    let path = format!("/api/v1/incidents/{}", body["id"].as_str().unwrap());
    let seen = app.get_as(&xintai, &path).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.body["description"], body["description"]);
    for outsider in [
        feicheng.clone(),
        app.county_supervisor(FEICHENG_COUNTY).await,
        app.patrol().await,
        app.hotline().await,
    ] {
        let reply = app.get_as(&outsider, &path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", outsider.username);
        assert_eq!(reply.error_code(), "incident_not_found");
        let list = app.get_as(&outsider, "/api/v1/incidents").await;
        assert_eq!(list.body["incidents"], json!([]), "{}", outsider.username);
    }
    let county = app.county_supervisor(XINTAI_COUNTY).await;
    assert_eq!(app.get_as(&county, &path).await.status, StatusCode::OK);
    assert_eq!(
        app.count("access_log", "record_kind = 'incident'").await,
        2,
        "each read of the description is logged"
    );
    let city = app.supervisor().await;
    let log = app
        .get_as(
            &city,
            &format!(
                "/api/v1/audit/access?incident={}",
                body["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        log.body["entries"].as_array().unwrap().len(),
        2,
        "{:?}",
        log.body
    );

    let hotline = app.hotline().await;
    let refused = app
        .post(
            &hotline,
            "/api/v1/incidents",
            &incident(&app, "death", XINTAI_CENTRE, "xintai"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    for (field, value, code) in [
        ("station", json!("nowhere"), "unknown_station"),
        ("description", json!("   "), "description_required"),
        ("kind", json!("fire"), "invalid_body"),
        (
            "location",
            json!({"lat": BEIJING.0, "lon": BEIJING.1}),
            "outside_service_area",
        ),
        (
            "occurred_at",
            json!(app.now() + Duration::hours(1)),
            "time_in_future",
        ),
        ("referral_id", json!(Uuid::new_v4()), "referral_not_found"),
    ] {
        let bad = with(
            incident(&app, "death", XINTAI_CENTRE, "xintai"),
            field,
            value,
        );
        let reply = app.post(&xintai, "/api/v1/incidents", &bad).await;
        assert!(reply.status.is_client_error(), "{field}: {:?}", reply.body);
        assert_eq!(reply.error_code(), code, "{field}");
    }
    assert_eq!(app.count("incidents", "true").await, 1, "nothing partial");

    // After the retention period the description is erased; the record stays.
    app.clock.advance(Duration::days(366));
    let pass = xunjiu_server::features::retention::run_once(&app.state)
        .await
        .unwrap();
    assert_eq!(pass.incidents, 1);
    let xintai = app.login(&xintai.username).await;
    let kept = app.get_as(&xintai, &path).await;
    assert_eq!(kept.status, StatusCode::OK);
    assert!(kept.body["description"].is_null());
    assert_eq!(kept.body["kind"], "missing_from_care");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_death_ends_a_referral_and_the_stage_report_counts_incidents_by_kind(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;
    let id = routed_referral(&app, XINTAI_CENTRE).await;
    for step in ["accept", "en-route", "on-scene"] {
        assert_eq!(
            act(&app, &duty, &id, step, json!({})).await.status,
            StatusCode::OK
        );
    }
    let resolved = act(&app, &duty, &id, "resolve", json!({"outcome": "died"})).await;
    assert_eq!(resolved.status, StatusCode::OK, "{:?}", resolved.body);
    assert_eq!(resolved.body["outcome"], "died");
    let linked = with(
        incident(&app, "death", XINTAI_CENTRE, "xintai"),
        "referral_id",
        json!(id),
    );
    assert_eq!(
        app.post(&duty, "/api/v1/incidents", &linked).await.status,
        StatusCode::CREATED
    );
    app.post(
        &duty,
        "/api/v1/incidents",
        &incident(&app, "violence", FEICHENG_CENTRE, "xintai"),
    )
    .await;

    let supervisor = app.supervisor().await;
    let report = app
        .get_as(&supervisor, "/api/v1/reports/campaign?campaign=winter-2026")
        .await;
    let row = |code: &str| {
        report.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["county_code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(row(XINTAI_COUNTY)["incidents"], json!({"death": 1}));
    assert_eq!(
        row(FEICHENG_COUNTY)["incidents"],
        json!({"violence": 1}),
        "where it happened"
    );
    assert_eq!(
        row("370900")["incidents"],
        json!({"death": 1, "violence": 1})
    );
    assert_eq!(row("370900")["outcomes"]["died"], 1);
    let text = reqwest::Client::new()
        .get(app.url("/api/v1/reports/campaign?campaign=winter-2026&format=csv"))
        .bearer_auth(&supervisor.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let head: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert!(head.ends_with(&[
        "incidents_death",
        "incidents_serious_injury",
        "incidents_missing_from_care",
        "incidents_violence",
        "incidents_other"
    ]));
}
