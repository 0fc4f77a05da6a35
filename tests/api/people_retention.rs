//! People's personal data is kept no longer than needed (issue 28, 5): the retention worker,
//! under a moved clock, redacts a person whose entries all ended and who has not been seen for
//! the retention period (Annex 1 unchanged), keeps one still on the register, empties alert
//! messages after 30 days and drops positions in their original datum; `erase` redacts a person
//! and every report linked to them at once.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;
use xunjiu_server::features::retention::{self, Record};

use crate::helpers::places::*;
use crate::helpers::{Account, TestApp, sighting};

const QINGYUN: &str = "370982001";

async fn person(app: &TestApp, who: &Account, name: &str) -> String {
    let body = json!({"id": Uuid::new_v4(), "name": name, "alias": "老" , "sex": "male", "age_estimate": 70,
                      "id_number": "370902199001011235", "home_address": "新泰市青云街道某村",
                      "description": "左腿有伤"});
    let reply = app.post(who, "/api/v1/people", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn liaison(app: &TestApp) -> Account {
    app.liaison_of("370982", QINGYUN).await
}

/// Register, revisit, trace and return `id`, each with its notes.
async fn with_history(app: &TestApp, duty: &Account, liaison: &Account, id: &str) -> String {
    let path = format!("/api/v1/people/{id}");
    let reg = app
        .post(
            duty,
            &format!("{path}/register"),
            &json!({"reason": "患阿尔茨海默症", "township_code": QINGYUN, "village": "东关村"}),
        )
        .await;
    assert_eq!(reg.status, StatusCode::CREATED, "{:?}", reg.body);
    let visit =
        json!({"id": Uuid::new_v4(), "at": app.now(), "outcome": "at_home", "note": "与女儿同住"});
    assert_eq!(
        app.post(liaison, &format!("{path}/revisits"), &visit)
            .await
            .status,
        StatusCode::CREATED
    );
    let step =
        json!({"id": Uuid::new_v4(), "step": "media_search", "at": app.now(), "note": "头条寻人"});
    assert_eq!(
        app.post(duty, &format!("{path}/tracing"), &step)
            .await
            .status,
        StatusCode::CREATED
    );
    let entry = app
        .post(
            duty,
            &format!("{path}/returns"),
            &json!({"handed_over_to": "其女儿", "family_situation": "务农"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    entry.body["id"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_person_long_gone_is_redacted_and_one_on_the_register_is_kept(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;
    let liaison = liaison(&app).await;
    let gone = person(&app, &duty, "王甲").await;
    let kept = person(&app, &duty, "李乙").await;
    let gone_return = with_history(&app, &duty, &liaison, &gone).await;
    with_history(&app, &duty, &liaison, &kept).await;
    // A position sent in GCJ-02, kept beside the report, and an alert message to a robot.
    let patrol = app.patrol().await;
    let mut report = sighting(app.now(), XINTAI_CENTRE);
    report["location"]["crs"] = json!("gcj02");
    assert_eq!(
        app.post(&patrol, "/api/v1/sightings", &report).await.status,
        StatusCode::CREATED
    );
    sqlx::query(
        "with c as (insert into notify_channels (id, name, kind, city, webhook, created_at)
                    values (gen_random_uuid(), 'city-robot', 'wecom', true, 'xj1:x', $1) returning id),
              o as (insert into notify_outbox (channel_id, event, message, next_attempt_at, created_at, delivered_at)
                    select id, 'incident', '{\"title\": \"紧急事件\", \"lines\": [\"新泰\"]}', $1, $1, $1 from c returning id)
         insert into notify_attempts (outbox_id, at, ok, code, detail) select id, $1, true, '200 errcode=0', 'ok' from o",
    )
    .bind(app.now())
    .execute(&app.pool)
    .await
    .unwrap();

    app.clock.advance(Duration::days(31));
    let month = retention::run_once(&app.state).await.unwrap();
    assert_eq!(month.channel_messages, 1);
    assert_eq!(
        app.count(
            "notify_outbox",
            "message = '{}'::jsonb and delivered_at is not null"
        )
        .await,
        1
    );
    assert_eq!(
        app.count(
            "notify_attempts",
            "detail is null and ok and code = '200 errcode=0'"
        )
        .await,
        1
    );
    assert_eq!(month.people, 0);

    // A year on, the first person's entries end; the second stays on the register.
    app.clock.advance(Duration::days(335));
    let city = app.login(&app.supervisor().await.username).await;
    let path = format!("/api/v1/people/{gone}");
    for end in [
        format!("{path}/register/end"),
        format!("/api/v1/returns/{gone_return}/end"),
    ] {
        let reply = app.post(&city, &end, &json!({"reason": "稳定"})).await;
        assert_eq!(reply.status, StatusCode::OK, "{end}: {:?}", reply.body);
    }
    app.clock.advance(Duration::days(366));
    let city = app.login(&city.username).await;
    let annex = "/api/v1/reports/annex1?as_of=2028-12-01";
    let before: Value = app.get_as(&city, annex).await.body;
    assert!(before["rows"].is_array(), "{before}");

    let pass = retention::run_once(&app.state).await.unwrap();

    assert_eq!(pass.people, 1, "{pass:?}");
    assert_eq!(pass.position_originals, 1);
    assert_eq!(
        app.get_as(&city, annex).await.body,
        before,
        "Annex 1 does not change"
    );
    let record = app.get_as(&city, &path).await.body;
    for field in ["name", "alias", "id_number", "home_address", "description"] {
        assert!(record[field].is_null(), "{field}: {record}");
    }
    assert_eq!(record["age_estimate"], 70, "counts and ages stay");
    assert_eq!(record["register"][0]["reason"], "");
    assert!(record["register"][0]["village"].is_null());
    assert!(
        record["returns"][0]["handed_over_to"].is_null()
            && record["returns"][0]["family_situation"].is_null()
    );
    assert!(record["revisits"][0]["note"].is_null());
    assert!(record["tracing"][0]["note"].is_null());
    assert!(
        record["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "redacted")
    );
    let stored: (Option<String>, Option<String>) =
        sqlx::query_as("select name, id_number from people where id = $1::uuid")
            .bind(&gone)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, (None, None), "blank in the database itself");
    let other = app
        .get_as(&city, &format!("/api/v1/people/{kept}"))
        .await
        .body;
    assert_eq!(other["name"], "李乙", "still on the register: kept");
    assert_eq!(other["revisits"][0]["note"], "与女儿同住");
    assert_eq!(
        retention::run_once(&app.state).await.unwrap().people,
        0,
        "once"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn erasing_a_person_redacts_their_record_and_every_report_linked_to_them(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;
    let liaison = liaison(&app).await;
    let id = person(&app, &duty, "张丙").await;
    with_history(&app, &duty, &liaison, &id).await;
    let hotline = app.hotline().await;
    let referral = app
        .post(
            &hotline,
            "/api/v1/referrals",
            &crate::helpers::referral(app.now(), XINTAI_CENTRE),
        )
        .await;
    let referral = referral.body["id"].as_str().unwrap().to_owned();
    let patrol = app.patrol().await;
    let seen = app
        .post(
            &patrol,
            "/api/v1/sightings",
            &sighting(app.now(), XINTAI_CENTRE),
        )
        .await;
    let seen = seen.body["id"].as_str().unwrap().to_owned();
    for (kind, report) in [("referrals", &referral), ("sightings", &seen)] {
        let linked = app
            .post(
                &duty,
                &format!("/api/v1/{kind}/{report}/person"),
                &json!({"person_id": id}),
            )
            .await;
        assert_eq!(linked.status, StatusCode::OK);
    }

    let n = retention::erase(
        &app.pool,
        Record::Person(id.parse().unwrap()),
        "PIPL 第47条 申请",
        app.now(),
    )
    .await
    .unwrap();

    assert_eq!(n, 3, "the person, the referral and the sighting");
    let city = app.supervisor().await;
    let record = app
        .get_as(&city, &format!("/api/v1/people/{id}"))
        .await
        .body;
    assert!(record["name"].is_null() && record["id_number"].is_null());
    let event = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "redacted")
        .cloned()
        .unwrap();
    assert!(
        event["detail"]["reason"]
            .as_str()
            .unwrap()
            .contains("PIPL 第47条")
    );
    let r = app
        .get_as(&city, &format!("/api/v1/referrals/{referral}"))
        .await
        .body;
    assert!(r["caller_phone"].is_null() && r["description"] == "", "{r}");
    assert_eq!(
        app.count(
            "sightings",
            &format!("id = '{seen}' and notes = '' and redacted_at is not null")
        )
        .await,
        1
    );
    assert!(
        retention::erase(&app.pool, Record::Person(Uuid::new_v4()), "x", app.now())
            .await
            .is_err()
    );
}
