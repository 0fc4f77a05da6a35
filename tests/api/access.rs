//! Who may do and see what.

use mobile_api::Role;
use reqwest::StatusCode;

use sqlx::PgPool;

use crate::helpers::places::*;
use crate::helpers::{Account, TestApp, referral, sighting};

async fn file_referral(app: &TestApp, by: &Account, at: (f64, f64)) -> String {
    let reply = app
        .post(by, "/api/v1/referrals", &referral(app.now(), at))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn each_role_may_write_only_what_it_needs(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let patrol = app.patrol().await;
    let hotline = app.hotline().await;
    let duty = app.duty("xintai").await;
    let supervisor = app.supervisor().await;
    let admin = app.account(Role::Admin, None).await;

    for (who, name, expected) in [
        (&patrol, "patrol", 201),
        (&hotline, "hotline", 403),
        (&duty, "duty", 403),
        (&supervisor, "supervisor", 403),
        (&admin, "admin", 403),
    ] {
        let reply = app
            .post(
                who,
                "/api/v1/sightings",
                &sighting(app.now(), XINTAI_CENTRE),
            )
            .await;
        assert_eq!(reply.status.as_u16(), expected, "{name} POST sightings");
        if expected == 403 {
            assert_eq!(reply.error_code(), "forbidden");
        }
    }
    for (who, name, expected) in [
        (&patrol, "patrol", 201),
        (&hotline, "hotline", 201),
        // A duty officer records only the station's own calls (station_desk.rs).
        (&duty, "duty", 422),
        (&supervisor, "supervisor", 201),
        (&admin, "admin", 403),
    ] {
        let reply = app
            .post(
                who,
                "/api/v1/referrals",
                &referral(app.now(), XINTAI_CENTRE),
            )
            .await;
        assert_eq!(reply.status.as_u16(), expected, "{name} POST referrals");
    }
    for (who, name, expected) in [
        (&patrol, "patrol", 200),
        (&hotline, "hotline", 403),
        (&duty, "duty", 200),
        (&supervisor, "supervisor", 200),
        (&admin, "admin", 403),
    ] {
        assert_eq!(
            app.get_as(who, "/api/v1/sightings").await.status.as_u16(),
            expected,
            "{name} GET sightings"
        );
    }
    for (who, name, expected) in [
        (&patrol, "patrol", 200),
        (&hotline, "hotline", 200),
        (&duty, "duty", 200),
        (&supervisor, "supervisor", 200),
        (&admin, "admin", 403),
    ] {
        assert_eq!(
            app.get_as(who, "/api/v1/referrals").await.status.as_u16(),
            expected,
            "{name} GET referrals"
        );
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn callers_phones_and_descriptions_reach_only_hotline_supervisors_and_the_owning_station(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let id = file_referral(&app, &hotline, XINTAI_CENTRE).await;
    let path = format!("/api/v1/referrals/{id}");

    let as_hotline = app.get_as(&app.hotline().await, &path).await;
    let as_supervisor = app.get_as(&app.supervisor().await, &path).await;
    let as_owning_duty = app.get_as(&app.duty("xintai").await, &path).await;
    let as_other_duty = app.get_as(&app.duty("taian").await, &path).await;

    for reply in [&as_hotline, &as_supervisor, &as_owning_duty] {
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body["caller_phone"], "13800138000");
        assert!(
            reply.body["description"]
                .as_str()
                .unwrap()
                .contains("thin jacket")
        );
    }
    assert_eq!(
        as_other_duty.status,
        StatusCode::NOT_FOUND,
        "out of scope is absent"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_patrol_officer_reads_their_own_referral_without_the_personal_fields(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let id = file_referral(&app, &officer, XINTAI_CENTRE).await;

    let own = app
        .get_as(&officer, &format!("/api/v1/referrals/{id}"))
        .await;
    let someone_elses = app
        .get_as(&app.patrol().await, &format!("/api/v1/referrals/{id}"))
        .await;
    let listed = app.get_as(&officer, "/api/v1/referrals").await;

    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.get("caller_phone").is_none());
    assert!(own.body.get("description").is_none());
    assert_eq!(someone_elses.status, StatusCode::NOT_FOUND);
    assert_eq!(listed.body["referrals"].as_array().unwrap().len(), 1);
    assert!(listed.body["referrals"][0].get("caller_phone").is_none());
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn sighting_lists_are_scoped_patrol_own_duty_station_supervisor_all(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let a = app.patrol().await;
    let b = app.patrol().await;
    app.post(&a, "/api/v1/sightings", &sighting(app.now(), XINTAI_CENTRE))
        .await;
    app.post(
        &a,
        "/api/v1/sightings",
        &sighting(app.now(), FEICHENG_CENTRE),
    )
    .await;
    app.post(&b, "/api/v1/sightings", &sighting(app.now(), XINTAI_CENTRE))
        .await;
    let count = |r: &crate::helpers::Reply| r.body["sightings"].as_array().map_or(0, Vec::len);

    let own = app.get_as(&a, "/api/v1/sightings").await;
    let xintai = app
        .get_as(&app.duty("xintai").await, "/api/v1/sightings")
        .await;
    let all = app
        .get_as(&app.supervisor().await, "/api/v1/sightings")
        .await;
    let prying = app
        .get_as(
            &app.duty("xintai").await,
            "/api/v1/sightings?station=feicheng",
        )
        .await;

    assert_eq!(count(&own), 2);
    assert_eq!(count(&xintai), 2);
    assert_eq!(count(&all), 3);
    assert_eq!(prying.status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn list_filters_narrow_by_time_box_station_and_status(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let supervisor = app.supervisor().await;
    app.post(
        &officer,
        "/api/v1/sightings",
        &sighting(app.now(), XINTAI_CENTRE),
    )
    .await;
    app.post(
        &officer,
        "/api/v1/sightings",
        &sighting(app.now() - chrono::Duration::days(2), FEICHENG_CENTRE),
    )
    .await;
    file_referral(&app, &app.hotline().await, XINTAI_CENTRE).await;
    let n =
        |r: &crate::helpers::Reply, key: &str| r.body[key].as_array().map_or(usize::MAX, Vec::len);
    let since = (app.now() - chrono::Duration::days(1))
        .to_rfc3339()
        .replace('+', "%2B");

    let recent = app
        .get_as(&supervisor, &format!("/api/v1/sightings?from={since}"))
        .await;
    let in_box = app
        .get_as(&supervisor, "/api/v1/sightings?bbox=117.5,35.8,117.9,36.0")
        .await;
    let feicheng = app
        .get_as(&supervisor, "/api/v1/sightings?station=feicheng")
        .await;
    let routed = app
        .get_as(
            &supervisor,
            "/api/v1/referrals?status=routed&station=xintai",
        )
        .await;
    let closed = app
        .get_as(&supervisor, "/api/v1/referrals?status=closed")
        .await;
    let geojson = app.get_as(&supervisor, "/api/v1/sightings.geojson").await;

    assert_eq!(n(&recent, "sightings"), 1);
    assert_eq!(n(&in_box, "sightings"), 1);
    assert_eq!(n(&feicheng, "sightings"), 1);
    assert_eq!(n(&routed, "referrals"), 1);
    assert_eq!(n(&closed, "referrals"), 0);
    assert_eq!(geojson.content_type, "application/geo+json");
    assert_eq!(geojson.body["features"].as_array().unwrap().len(), 2);
    assert_eq!(geojson.body["features"][0]["geometry"]["type"], "Point");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn bad_list_filters_are_400(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let supervisor = app.supervisor().await;

    for (path, code) in [
        ("/api/v1/sightings?from=yesterday", "invalid_time"),
        ("/api/v1/sightings?bbox=1,2,3", "invalid_bbox"),
        ("/api/v1/sightings?bbox=118,36,117,35", "invalid_bbox"),
        ("/api/v1/sightings?limit=0", "invalid_page"),
        ("/api/v1/referrals?status=lost", "invalid_status"),
        ("/api/v1/referrals/not-a-uuid", "invalid_path"),
    ] {
        let reply = app.get_as(&supervisor, path).await;

        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(reply.error_code(), code, "{path}");
    }
    let missing = app
        .get_as(
            &supervisor,
            &format!("/api/v1/referrals/{}", uuid::Uuid::new_v4()),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "referral_not_found");
}
