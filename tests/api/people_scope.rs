//! Person records across scopes (issue 28): a link opens a person only by the full resident ID
//! in hand, a person's reports are listed as far as the reader may read reports, ended entries
//! stop granting access, and a referral raised by a sighting counts once.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::places::*;
use crate::helpers::{Account, TestApp, referral, sighting};

const XINTAI_COUNTY: &str = "370982";
const QINGYUN: &str = "370982001";
const XINWEN: &str = "370982002";
const ID_NUMBER: &str = "370902199001011235";

async fn new_person(app: &TestApp, who: &Account, name: &str, id_number: Option<&str>) -> String {
    let body = json!({"id": Uuid::new_v4(), "name": name, "sex": "male", "age_estimate": 60,
                      "id_number": id_number, "description": "左腿有伤"});
    let reply = app.post(who, "/api/v1/people", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn hotline_referral(app: &TestApp, at: (f64, f64)) -> String {
    let hotline = app.hotline().await;
    let reply = app
        .post(&hotline, "/api/v1/referrals", &referral(app.now(), at))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn liaison_of(app: &TestApp, township: &str) -> Account {
    app.liaison_of(XINTAI_COUNTY, township).await
}

fn events_of(person: &Value, kind: &str) -> Vec<Value> {
    person["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_stranger_cannot_be_linked_by_id_and_a_linked_report_moves_only_when_asked(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let xintai = app.duty("xintai").await;
    let feicheng = app.duty("feicheng").await;
    let stranger = new_person(&app, &xintai, "张某", Some(ID_NUMBER)).await;
    let own = new_person(&app, &feicheng, "李某", None).await;
    let report = hotline_referral(&app, FEICHENG_CENTRE).await;
    let link = format!("/api/v1/referrals/{report}/person");

    let refused = app
        .post(&feicheng, &link, &json!({"person_id": stranger}))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.error_code(), "person_not_found");
    assert_eq!(
        app.count(
            "referrals",
            &format!("id = '{report}' and person_id is not null")
        )
        .await,
        0,
        "nothing written"
    );
    for bad in ["370902199001011234", "3709021990", ""] {
        let reply = app.post(&feicheng, &link, &json!({"id_number": bad})).await;
        assert_eq!(reply.error_code(), "invalid_id_number", "{bad}");
    }
    let nobody = app
        .post(
            &feicheng,
            &link,
            &json!({"id_number": "11010519491231002X"}),
        )
        .await;
    assert_eq!(nobody.error_code(), "person_not_found");
    assert_eq!(
        app.post(
            &feicheng,
            &link,
            &json!({"person_id": own, "id_number": ID_NUMBER})
        )
        .await
        .error_code(),
        "invalid_person_link"
    );

    let first = app.post(&feicheng, &link, &json!({"person_id": own})).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(
        app.post(&feicheng, &link, &json!({"person_id": own}))
            .await
            .status,
        StatusCode::OK,
        "the same link again"
    );
    let taken = app
        .post(&feicheng, &link, &json!({"id_number": ID_NUMBER}))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.error_code(), "already_linked");
    let moved = app
        .post(
            &feicheng,
            &link,
            &json!({"id_number": ID_NUMBER, "replace": true}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["person_id"], stranger.as_str());

    let old = app
        .get_as(&feicheng, &format!("/api/v1/people/{own}"))
        .await;
    assert_eq!(events_of(&old.body, "unlinked_referral").len(), 1);
    let city = app.supervisor().await;
    let new = app
        .get_as(&city, &format!("/api/v1/people/{stranger}"))
        .await;
    let linked = events_of(&new.body, "linked_referral");
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0]["detail"]["station"], "feicheng");
    assert_eq!(linked[0]["detail"]["across_scope"], true);
    assert_eq!(linked[0]["detail"]["replaced"], true);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_persons_reports_are_listed_only_as_far_as_the_reader_reads_reports(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let xintai = app.duty("xintai").await;
    let person = new_person(&app, &xintai, "王某", Some(ID_NUMBER)).await;
    let patrol = app.patrol().await;
    let seen = app
        .post(
            &patrol,
            "/api/v1/sightings",
            &sighting(app.now(), XINTAI_CENTRE),
        )
        .await;
    let sighting_id = seen.body["id"].as_str().unwrap().to_owned();
    let linked = app
        .post(
            &xintai,
            &format!("/api/v1/sightings/{sighting_id}/person"),
            &json!({"person_id": person}),
        )
        .await;
    assert_eq!(linked.status, StatusCode::OK, "{:?}", linked.body);
    app.post(
        &xintai,
        &format!("/api/v1/people/{person}/register"),
        &json!({"reason": "易走失", "township_code": QINGYUN}),
    )
    .await;
    let elsewhere = hotline_referral(&app, DONGPING_FIELD).await;
    let city = app.supervisor().await;
    let moved = app
        .post(
            &city,
            &format!("/api/v1/referrals/{elsewhere}/person"),
            &json!({"person_id": person}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let path = format!("/api/v1/people/{person}");

    let all = app.get_as(&city, &path).await;
    assert_eq!(all.body["reports"].as_array().unwrap().len(), 2);
    assert_eq!(all.body["reports_elsewhere"], 0);
    // The township's liaison reads the person, never a place or time of their reports.
    let liaison = liaison_of(&app, QINGYUN).await;
    let theirs = app.get_as(&liaison, &path).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(theirs.body["reports"], json!([]));
    assert_eq!(theirs.body["reports_elsewhere"], 2);
    // Xintai's duty officer and county read their sighting, not Dongping's referral.
    for reader in [xintai.clone(), app.county_supervisor(XINTAI_COUNTY).await] {
        let body = app.get_as(&reader, &path).await.body;
        let reports = body["reports"].as_array().unwrap();
        assert_eq!(reports.len(), 1, "{}: {reports:?}", reader.username);
        assert_eq!(reports[0]["id"], sighting_id.as_str());
        assert_eq!(body["reports_elsewhere"], 1);
    }
    let dongping = app.duty("dongping").await;
    let body = app.get_as(&dongping, &path).await.body;
    assert_eq!(body["reports"][0]["id"], elsewhere.as_str());
    assert_eq!(body["reports_elsewhere"], 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn an_ended_entry_stops_granting_access_after_the_grace_days(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let xintai = app.duty("xintai").await;
    let person = new_person(&app, &xintai, "赵某", None).await;
    let path = format!("/api/v1/people/{person}");
    app.post(
        &xintai,
        &format!("{path}/register"),
        &json!({"reason": "易走失", "township_code": QINGYUN}),
    )
    .await;
    let qingyun = liaison_of(&app, QINGYUN).await;
    assert_eq!(app.get_as(&qingyun, &path).await.status, StatusCode::OK);

    // A year on, the person moves to Xinwen: a new entry there, the old one ended.
    app.clock.advance(Duration::days(366));
    let city = app.login(&app.supervisor().await.username).await;
    let ended = app
        .post(
            &city,
            &format!("{path}/register/end"),
            &json!({"reason": "迁居"}),
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{:?}", ended.body);
    let again = app
        .post(
            &city,
            &format!("{path}/register"),
            &json!({"reason": "易走失", "township_code": XINWEN}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
    let qingyun = app.login(&qingyun.username).await;
    let xinwen = liaison_of(&app, XINWEN).await;
    assert_eq!(
        app.get_as(&qingyun, &path).await.status,
        StatusCode::OK,
        "within the 30 days after the end"
    );

    app.clock.advance(Duration::days(31));
    let qingyun = app.login(&qingyun.username).await;
    let xinwen = app.login(&xinwen.username).await;
    assert_eq!(
        app.get_as(&qingyun, &path).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_as(&qingyun, "/api/v1/people?q=赵").await.body["people"],
        json!([])
    );
    assert_eq!(app.get_as(&xinwen, &path).await.status, StatusCode::OK);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_referral_raised_by_a_sighting_counts_once_whichever_was_linked(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let xintai = app.duty("xintai").await;
    let person = new_person(&app, &xintai, "孙某", None).await;
    let patrol = app.patrol().await;
    let mut referrals = vec![];
    for _ in 0..3 {
        // A minor: the sighting raises a referral at once.
        let body = crate::helpers::with(
            sighting(app.now(), XINTAI_CENTRE),
            "categories",
            json!(["minor"]),
        );
        let seen = app.post(&patrol, "/api/v1/sightings", &body).await;
        assert_eq!(seen.status, StatusCode::CREATED, "{:?}", seen.body);
        let referral = seen.body["referral"]["id"]
            .as_str()
            .expect("a referral")
            .to_owned();
        referrals.push((seen.body["id"].as_str().unwrap().to_owned(), referral));
    }
    let link = |kind: &str, id: &str| format!("/api/v1/{kind}/{id}/person");
    let body = json!({"person_id": person});
    // The first pair both linked, the second by its referral only, the third by its sighting.
    app.post(&xintai, &link("sightings", &referrals[0].0), &body)
        .await;
    app.post(&xintai, &link("referrals", &referrals[0].1), &body)
        .await;
    app.post(&xintai, &link("referrals", &referrals[1].1), &body)
        .await;
    let last = app
        .post(&xintai, &link("sightings", &referrals[2].0), &body)
        .await;
    assert_eq!(last.status, StatusCode::OK, "{:?}", last.body);
    assert_eq!(last.body["reports_90d"], 3, "three reports, each once");
    assert_eq!(last.body["repeat"], true);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn only_those_who_read_people_learn_which_person_a_referral_is_about(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let xintai = app.duty("xintai").await;
    let person = new_person(&app, &xintai, "钱某", None).await;
    let patrol = app.patrol().await;
    let body = crate::helpers::with(
        sighting(app.now(), XINTAI_CENTRE),
        "categories",
        json!(["elderly"]),
    );
    let seen = app.post(&patrol, "/api/v1/sightings", &body).await;
    let referral = seen.body["referral"]["id"].as_str().unwrap().to_owned();
    let hotline_filed = hotline_referral(&app, XINTAI_CENTRE).await;
    for r in [&referral, &hotline_filed] {
        let linked = app
            .post(
                &xintai,
                &format!("/api/v1/referrals/{r}/person"),
                &json!({"person_id": person}),
            )
            .await;
        assert_eq!(linked.status, StatusCode::OK, "{:?}", linked.body);
    }

    let duty_view = app
        .get_as(&xintai, &format!("/api/v1/referrals/{referral}"))
        .await;
    assert_eq!(duty_view.body["person_id"], person.as_str());
    let patrol_view = app
        .get_as(&patrol, &format!("/api/v1/referrals/{referral}"))
        .await;
    assert_eq!(patrol_view.status, StatusCode::OK);
    assert!(
        patrol_view.body.get("person_id").is_none(),
        "{:?}",
        patrol_view.body
    );
    let hotline = app.hotline().await;
    let one = app
        .get_as(&hotline, &format!("/api/v1/referrals/{hotline_filed}"))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body.get("person_id").is_none());
    let list = app.get_as(&hotline, "/api/v1/referrals").await;
    let rows = list.body["referrals"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r.get("person_id").is_none()),
        "{rows:?}"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_name_written_as_a_formula_is_exported_as_text(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let xintai = app.duty("xintai").await;
    let person = new_person(
        &app,
        &xintai,
        "=HYPERLINK(\"http://x.example\",\"点我\")",
        None,
    )
    .await;
    app.post(
        &xintai,
        &format!("/api/v1/people/{person}/register"),
        &json!({"reason": "@SUM(1)", "township_code": QINGYUN}),
    )
    .await;
    let csv = reqwest::Client::new()
        .get(app.url("/api/v1/register.csv"))
        .bearer_auth(&xintai.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(csv.contains("'@SUM(1)"), "{csv}");
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains("\"=HYPERLINK"),
        "{csv}"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn every_answer_with_a_persons_details_is_in_the_access_log(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let xintai = app.duty("xintai").await;
    let person = new_person(&app, &xintai, "周某", None).await;
    let path = format!("/api/v1/people/{person}");
    let reply = app
        .post(
            &xintai,
            &format!("{path}/register"),
            &json!({"reason": "易走失", "township_code": QINGYUN}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let liaison = liaison_of(&app, QINGYUN).await;
    let visit =
        json!({"id": Uuid::new_v4(), "at": app.now(), "outcome": "at_home", "note": "在家"});
    assert_eq!(
        app.post(&liaison, &format!("{path}/revisits"), &visit)
            .await
            .status,
        StatusCode::CREATED
    );
    let step = json!({"id": Uuid::new_v4(), "step": "notice_published", "at": app.now()});
    assert_eq!(
        app.post(&xintai, &format!("{path}/tracing"), &step)
            .await
            .status,
        StatusCode::CREATED
    );
    let entry = app
        .post(
            &xintai,
            &format!("{path}/returns"),
            &json!({"handed_over_to": "其子"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    for download in ["/api/v1/register.xlsx", "/api/v1/returns?format=xlsx"] {
        let reply = app.get_as(&xintai, download).await;
        assert_eq!(reply.status, StatusCode::OK, "{download}");
    }
    app.clock.advance(Duration::days(366));
    let city = app.login(&app.supervisor().await.username).await;
    let ended = app
        .post(
            &city,
            &format!("{path}/register/end"),
            &json!({"reason": "稳定"}),
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{:?}", ended.body);
    let entry_id = entry.body["id"].as_str().unwrap();
    let ended = app
        .post(
            &city,
            &format!("/api/v1/returns/{entry_id}/end"),
            &json!({"reason": "稳定"}),
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{:?}", ended.body);

    let log = app
        .get_as(&city, &format!("/api/v1/audit/access?person={person}"))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    let vias: Vec<&str> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["via"].as_str().unwrap())
        .collect();
    for via in [
        "/api/v1/people/{id}/register",
        "/api/v1/people/{id}/revisits",
        "/api/v1/people/{id}/tracing",
        "/api/v1/people/{id}/returns",
        "/api/v1/register.xlsx",
        "/api/v1/returns?format=xlsx",
        "/api/v1/people/{id}/register/end",
        "/api/v1/returns/{id}/end",
    ] {
        assert!(vias.contains(&via), "{via} not in {vias:?}");
    }
    let typo = app.get_as(&city, "/api/v1/audit/access?persn=x").await;
    assert_eq!(typo.status, StatusCode::BAD_REQUEST);
    assert_eq!(typo.error_code(), "invalid_filter");
}
