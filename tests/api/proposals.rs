//! New hotspots from the street: a patrol proposes a place, checks in at it while it waits, and a
//! supervisor approves it (check-ins included) or rejects it.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::places::*;
use crate::helpers::{Account, TestApp, with};

const DONGPING: &str = "370923";

fn proposal(at: (f64, f64)) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "name": "东平湖大堤涵洞",
        "kind": "bridge_culvert",
        "location": {"lat": at.0, "lon": at.1, "accuracy_m": 15.0},
        "note": "bedding and ashes under the arch",
    })
}

fn checkin(now: DateTime<Utc>, at: (f64, f64)) -> Value {
    json!({"id": Uuid::new_v4(), "at": now, "location": {"lat": at.0, "lon": at.1, "accuracy_m": 8}, "people_found": 1})
}

async fn propose(app: &TestApp, patrol: &Account, body: &Value) -> String {
    let reply = app.post(patrol, "/api/v1/hotspots/proposals", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "pending");
    reply.body["id"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn an_approved_proposal_becomes_a_hotspot_with_the_check_ins_made_while_it_waited(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let patrol = app.patrol().await;
    let body = proposal(DONGPING_FIELD);
    let id = propose(&app, &patrol, &body).await;
    let replay = app.post(&patrol, "/api/v1/hotspots/proposals", &body).await;
    assert_eq!(replay.status, StatusCode::OK);
    let changed = app
        .post(
            &patrol,
            "/api/v1/hotspots/proposals",
            &with(body.clone(), "name", json!("other")),
        )
        .await;
    assert_eq!(changed.error_code(), "id_conflict");

    // Only the proposer may check in while it is pending.
    let path = format!("/api/v1/hotspots/{id}/checkins");
    let mine = app
        .post(&patrol, &path, &checkin(app.now(), DONGPING_FIELD))
        .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{:?}", mine.body);
    assert_eq!(mine.body["hotspot_id"], id.as_str());
    let other = app.patrol().await;
    let theirs = app
        .post(&other, &path, &checkin(app.now(), DONGPING_FIELD))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.error_code(), "hotspot_not_found");
    assert_eq!(
        app.count("hotspot_checkins", &format!("hotspot_id = '{id}'"))
            .await,
        0
    );
    assert_eq!(
        app.get_as(&patrol, &format!("/api/v1/hotspots/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "not a hotspot yet"
    );

    // Who sees it: Dongping's supervisors and the city's, its proposer; not Xintai's county.
    let county = app.county_supervisor(DONGPING).await;
    let pending = app
        .get_as(&county, "/api/v1/hotspots/proposals?status=pending")
        .await;
    assert_eq!(pending.body["proposals"][0]["id"], id.as_str());
    assert_eq!(pending.body["proposals"][0]["checkins"], 1);
    assert_eq!(pending.body["proposals"][0]["county_code"], DONGPING);
    let xintai = app.county_supervisor("370982").await;
    let approve_path = format!("/api/v1/hotspots/proposals/{id}/approve");
    let outsider = app.post(&xintai, &approve_path, &json!({})).await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_as(&xintai, "/api/v1/hotspots/proposals").await.body["proposals"],
        json!([])
    );
    assert_eq!(
        app.post(&patrol, &approve_path, &json!({})).await.status,
        StatusCode::FORBIDDEN
    );

    let approved = app
        .post(
            &county,
            &approve_path,
            &json!({"name": "东平湖大堤3号涵洞"}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["hotspot_id"], id.as_str());
    assert_eq!(approved.body["decided_by"], county.username.as_str());
    let hotspot = app.get_as(&other, &format!("/api/v1/hotspots/{id}")).await;
    assert_eq!(hotspot.status, StatusCode::OK);
    assert_eq!(
        hotspot.body["name"], "东平湖大堤3号涵洞",
        "the corrected name"
    );
    assert_eq!(hotspot.body["county_code"], DONGPING);
    assert_eq!(hotspot.body["active"], true);
    assert_eq!(
        app.count("hotspot_checkins", &format!("hotspot_id = '{id}'"))
            .await,
        1,
        "the check-in made while pending counts for the hotspot"
    );
    // Now anyone on patrol checks in there; a retried approval answers the same.
    let later = app
        .post(&other, &path, &checkin(app.now(), DONGPING_FIELD))
        .await;
    assert_eq!(later.status, StatusCode::CREATED);
    let retried = app.post(&county, &approve_path, &json!({})).await;
    assert_eq!(retried.status, StatusCode::OK);
    assert_eq!(
        retried.body["name"], "东平湖大堤涵洞",
        "the proposal keeps what was proposed"
    );
    let reject = app
        .post(
            &county,
            &format!("/api/v1/hotspots/proposals/{id}/reject"),
            &json!({"reason": "late"}),
        )
        .await;
    assert_eq!(reject.status, StatusCode::CONFLICT);
    assert_eq!(reject.error_code(), "proposal_decided");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_rejected_proposal_stays_a_record_and_takes_no_check_ins(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let patrol = app.patrol().await;
    let id = propose(&app, &patrol, &proposal(XINTAI_CENTRE)).await;
    let city = app.supervisor().await;
    let path = format!("/api/v1/hotspots/proposals/{id}/reject");

    let no_reason = app.post(&city, &path, &json!({"reason": " "})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.error_code(), "reason_required");
    let rejected = app
        .post(
            &city,
            &path,
            &json!({"reason": "a bus shelter, already covered by 新泰汽车站"}),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
    assert_eq!(rejected.body["status"], "rejected");
    assert!(rejected.body["hotspot_id"].is_null());
    let seen = app
        .get_as(&patrol, &format!("/api/v1/hotspots/proposals/{id}"))
        .await;
    assert_eq!(
        seen.body["reason"],
        "a bus shelter, already covered by 新泰汽车站"
    );
    let check = app
        .post(
            &patrol,
            &format!("/api/v1/hotspots/{id}/checkins"),
            &checkin(app.now(), XINTAI_CENTRE),
        )
        .await;
    assert_eq!(check.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(check.error_code(), "proposal_rejected");
    let approve = app
        .post(
            &city,
            &format!("/api/v1/hotspots/proposals/{id}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(approve.error_code(), "proposal_decided");
    assert_eq!(app.count("hotspots", &format!("id = '{id}'")).await, 0);

    // What a proposal must be.
    for (field, value, code) in [
        ("name", json!(""), "name_required"),
        (
            "location",
            json!({"lat": BEIJING.0, "lon": BEIJING.1}),
            "outside_service_area",
        ),
        ("kind", json!("tent"), "invalid_body"),
    ] {
        let reply = app
            .post(
                &patrol,
                "/api/v1/hotspots/proposals",
                &with(proposal(XINTAI_CENTRE), field, value),
            )
            .await;
        assert_eq!(reply.error_code(), code, "{field}");
    }
    let duty = app.duty("xintai").await;
    assert_eq!(
        app.post(
            &duty,
            "/api/v1/hotspots/proposals",
            &proposal(XINTAI_CENTRE)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let hotline = app.hotline().await;
    assert_eq!(
        app.get_as(&hotline, "/api/v1/hotspots/proposals")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad = app
        .get_as(&city, "/api/v1/hotspots/proposals?status=maybe")
        .await;
    assert_eq!(bad.error_code(), "invalid_query");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_proposal_cannot_take_a_hotspots_id_and_supervisors_edit_only_their_county(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let patrol = app.patrol().await;
    let hotspots = app.get_as(&patrol, "/api/v1/hotspots").await;
    let taian = hotspots.body["hotspots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["county_code"] != DONGPING)
        .expect("a hotspot outside Dongping")
        .clone();
    let existing = taian["id"].as_str().unwrap();
    let before = taian["name"].clone();

    let stolen = app
        .post(
            &patrol,
            "/api/v1/hotspots/proposals",
            &with(proposal(DONGPING_FIELD), "id", json!(existing)),
        )
        .await;
    assert_eq!(stolen.status, StatusCode::CONFLICT);
    assert_eq!(stolen.error_code(), "id_conflict");
    assert_eq!(
        app.count("hotspot_proposals", &format!("id = '{existing}'"))
            .await,
        0
    );

    // A Dongping supervisor cannot touch another county's hotspot, nor approve a place elsewhere.
    let dongping = app.county_supervisor(DONGPING).await;
    let edit = app
        .patch(
            &dongping,
            &format!("/api/v1/hotspots/{existing}"),
            &json!({"name": "改名"}),
        )
        .await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    assert_eq!(edit.error_code(), "hotspot_not_found");
    let after = app
        .get_as(&patrol, &format!("/api/v1/hotspots/{existing}"))
        .await;
    assert_eq!(after.body["name"], before);
    let id = propose(&app, &patrol, &proposal(DONGPING_FIELD)).await;
    let moved = app
        .post(
            &dongping,
            &format!("/api/v1/hotspots/proposals/{id}/approve"),
            &json!({"location": {"lat": XINTAI_CENTRE.0, "lon": XINTAI_CENTRE.1}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(moved.error_code(), "outside_county");
    let approved = app
        .post(
            &dongping,
            &format!("/api/v1/hotspots/proposals/{id}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let own = app
        .patch(
            &dongping,
            &format!("/api/v1/hotspots/{id}"),
            &json!({"name": "东平湖涵洞"}),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    // The city's supervisors edit any county's.
    let city = app.supervisor().await;
    let any = app
        .patch(
            &city,
            &format!("/api/v1/hotspots/{existing}"),
            &json!({"name": before}),
        )
        .await;
    assert_eq!(any.status, StatusCode::OK, "{:?}", any.body);
}
