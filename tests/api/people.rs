//! People: records with the resident-ID check and masking, reports linked and the repeat mark,
//! the register and its revisit schedule under a moved clock, a revisit that raises a referral,
//! the returnee ledger from a resolution, family tracing, the roster, and every role's scope.

use axum::http::StatusCode as AxumStatus;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;
use xunjiu_server::features::people::schedule;

use crate::duty::act;
use crate::helpers::places::*;
use crate::helpers::{Account, TestApp, referral, with};
use crate::push::{browser, deliver, push_app, subscribe};

const XINTAI_COUNTY: &str = "370982";
const QINGYUN: &str = "370982001";
const XINWEN: &str = "370982002";
/// A valid resident ID (check digit 5).
const ID_NUMBER: &str = "370902199001011235";

fn person(name: &str) -> Value {
    json!({"id": Uuid::new_v4(), "name": name, "sex": "male", "age_estimate": 60,
           "id_number": ID_NUMBER, "home_address": "新泰市青云街道某村", "description": "left leg injured"})
}

async fn create(app: &TestApp, who: &Account, body: &Value) -> String {
    let reply = app.post(who, "/api/v1/people", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn liaison(app: &TestApp, township: &str) -> Account {
    app.liaison_of(XINTAI_COUNTY, township).await
}

async fn referral_at(app: &TestApp, at: (f64, f64)) -> String {
    let hotline = app.hotline().await;
    let reply = app
        .post(&hotline, "/api/v1/referrals", &referral(app.now(), at))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    reply.body["id"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn id_numbers_are_checked_and_shown_whole_only_to_city_supervisors(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;
    let body = person("王某");
    let id = create(&app, &duty, &body).await;
    assert_eq!(
        app.post(&duty, "/api/v1/people", &body).await.status,
        StatusCode::OK,
        "a retry"
    );
    let changed = app
        .post(
            &duty,
            "/api/v1/people",
            &with(body.clone(), "name", json!("李某")),
        )
        .await;
    assert_eq!(changed.error_code(), "id_conflict");

    for bad in [
        "370902199001011234",
        "37090219900101123",
        "370902199013011235",
        "3709021990010112X5",
    ] {
        let reply = app
            .post(
                &duty,
                "/api/v1/people",
                &with(person("x"), "id_number", json!(bad)),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(reply.error_code(), "invalid_id_number", "{bad}");
    }
    let x = app
        .post(
            &duty,
            "/api/v1/people",
            &with(person("x"), "id_number", json!("11010519491231002x")),
        )
        .await;
    assert_eq!(
        x.status,
        StatusCode::CREATED,
        "a lower-case X is the same check character"
    );
    let both = with(
        with(person("y"), "birth_year", json!(1950)),
        "age_estimate",
        json!(70),
    );
    assert_eq!(
        app.post(&duty, "/api/v1/people", &both).await.error_code(),
        "invalid_age"
    );

    let path = format!("/api/v1/people/{id}");
    let masked = app.get_as(&duty, &path).await;
    assert_eq!(masked.body["id_number"], "3709**********1235");
    assert_eq!(masked.body["description"], "left leg injured");
    let city = app.supervisor().await;
    assert_eq!(app.get_as(&city, &path).await.body["id_number"], ID_NUMBER);
    // The search by the ID's last four finds them; the masked form never shows more.
    let found = app.get_as(&duty, "/api/v1/people?q=1235").await;
    assert_eq!(found.body["people"][0]["id"], id.as_str());

    // A correction is kept as an event naming the fields, not their values.
    let patched = app
        .patch(&duty, &path, &json!({"name": "王某某", "home_address": ""}))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(patched.body["name"], "王某某");
    assert!(patched.body["home_address"].is_null());
    let last = patched.body["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "corrected");
    assert_eq!(last["detail"]["fields"], json!(["name", "home_address"]));
    assert!(app.count("access_log", "record_kind = 'person'").await >= 3);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn linked_reports_make_a_repeat_case_and_open_the_person_to_the_stations_concerned(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let xintai = app.duty("xintai").await;
    let feicheng = app.duty("feicheng").await;
    let id = create(&app, &xintai, &person("张某")).await;
    let path = format!("/api/v1/people/{id}");
    assert_eq!(
        app.get_as(&feicheng, &path).await.status,
        StatusCode::NOT_FOUND
    );
    for outsider in [
        app.patrol().await,
        app.hotline().await,
        app.county_supervisor("370983").await,
    ] {
        assert_eq!(
            app.get_as(&outsider, &path).await.status,
            StatusCode::NOT_FOUND
        );
    }

    let mut answers = vec![];
    for _ in 0..3 {
        let r = referral_at(&app, XINTAI_CENTRE).await;
        let link = app
            .post(
                &xintai,
                &format!("/api/v1/referrals/{r}/person"),
                &json!({"person_id": id}),
            )
            .await;
        assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
        answers.push(link.body);
    }
    assert_eq!(answers[1]["repeat"], false);
    assert_eq!(
        answers[2]["repeat"], true,
        "three reports in 90 days: 反复流浪"
    );
    assert_eq!(answers[2]["reports_90d"], 3);

    // Feicheng cannot link Xintai's referral, nor its own to a person it cannot read by id: only
    // by the resident ID it has in hand, after which it sees the person and its own report.
    let theirs = referral_at(&app, FEICHENG_CENTRE).await;
    let refused = app
        .post(
            &feicheng,
            &format!(
                "/api/v1/referrals/{}/person",
                answers[0]["report_id"].as_str().unwrap()
            ),
            &json!({"person_id": id}),
        )
        .await;
    assert_eq!(refused.error_code(), "referral_not_found");
    let link_theirs = format!("/api/v1/referrals/{theirs}/person");
    let unknown = app
        .post(
            &feicheng,
            &link_theirs,
            &json!({"person_id": Uuid::new_v4()}),
        )
        .await;
    assert_eq!(unknown.error_code(), "person_not_found");
    let out_of_scope = app
        .post(&feicheng, &link_theirs, &json!({"person_id": id}))
        .await;
    assert_eq!(out_of_scope.status, StatusCode::NOT_FOUND);
    assert_eq!(
        out_of_scope.body, unknown.body,
        "the same answer either way"
    );
    let by_number = app
        .post(&feicheng, &link_theirs, &json!({"id_number": ID_NUMBER}))
        .await;
    assert_eq!(by_number.status, StatusCode::OK, "{:?}", by_number.body);
    assert_eq!(by_number.body["person_id"], id.as_str());
    let seen = app.get_as(&feicheng, &path).await;
    assert_eq!(seen.status, StatusCode::OK);
    let reports = seen.body["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "only Feicheng's own report: {reports:?}");
    assert_eq!(reports[0]["id"], theirs.as_str());
    assert_eq!(seen.body["reports_elsewhere"], 3);
    let across = seen.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["detail"]["across_scope"] == true)
        .expect("an event for the link across scopes");
    assert_eq!(across["detail"]["station"], "feicheng");
    assert_eq!(
        app.get_as(&app.county_supervisor("370983").await, &path)
            .await
            .status,
        StatusCode::OK
    );

    // A patrol's sighting links the same way, within the station's scope.
    let patrol = app.patrol().await;
    let seen_by_patrol = app
        .post(
            &patrol,
            "/api/v1/sightings",
            &crate::helpers::sighting(app.now(), XINTAI_CENTRE),
        )
        .await;
    let sighting = seen_by_patrol.body["id"].as_str().unwrap().to_owned();
    let path_s = format!("/api/v1/sightings/{sighting}/person");
    assert_eq!(
        app.post(&feicheng, &path_s, &json!({"person_id": id}))
            .await
            .error_code(),
        "sighting_not_found"
    );
    let linked = app.post(&xintai, &path_s, &json!({"person_id": id})).await;
    assert_eq!(linked.status, StatusCode::OK, "{:?}", linked.body);
    assert_eq!(
        linked.body["reports_90d"], 5,
        "four referrals and the sighting"
    );

    // Ninety days on, the old reports no longer make a repeat case.
    app.clock.advance(Duration::days(91));
    let feicheng = app.login(&feicheng.username).await;
    assert_eq!(app.get_as(&feicheng, &path).await.body["repeat"], false);
    let near = app
        .get_as(
            &feicheng,
            &format!(
                "/api/v1/people?near={},{}&radius_m=300",
                FEICHENG_CENTRE.0, FEICHENG_CENTRE.1
            ),
        )
        .await;
    assert_eq!(near.body["people"].as_array().unwrap().len(), 1);
    let far = app
        .get_as(
            &feicheng,
            &format!(
                "/api/v1/people?near={},{}&radius_m=300",
                DONGPING_FIELD.0, DONGPING_FIELD.1
            ),
        )
        .await;
    assert_eq!(far.body["people"], json!([]));
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn revisits_fall_due_are_pushed_once_when_overdue_and_end_after_the_period(pool: PgPool) {
    let app = push_app(pool).await;
    let duty = app.duty("xintai").await;
    let id = create(&app, &duty, &person("赵某")).await;
    let reg = app
        .post(
            &duty,
            &format!("/api/v1/people/{id}/register"),
            &json!({"reason": "多次走失", "township_code": QINGYUN, "village": "东关村"}),
        )
        .await;
    assert_eq!(reg.status, StatusCode::CREATED, "{:?}", reg.body);
    let again = app
        .post(
            &duty,
            &format!("/api/v1/people/{id}/register"),
            &json!({"reason": "x", "township_code": QINGYUN}),
        )
        .await;
    assert_eq!(again.error_code(), "already_registered");
    let bad = app
        .post(
            &duty,
            &format!("/api/v1/people/{id}/register"),
            &json!({"reason": "x", "township_code": "999999999"}),
        )
        .await;
    assert_eq!(bad.error_code(), "unknown_township");

    let liaison = liaison(&app, QINGYUN).await;
    let other = liaison_other(&app).await;
    let path = format!("/api/v1/people/{id}");
    assert_eq!(app.get_as(&liaison, &path).await.status, StatusCode::OK);
    assert_eq!(
        app.get_as(&other, &path).await.status,
        StatusCode::NOT_FOUND,
        "another township's liaison"
    );
    let county = app.county_supervisor(XINTAI_COUNTY).await;
    let (lb, cb) = (
        browser(AxumStatus::CREATED).await,
        browser(AxumStatus::CREATED).await,
    );
    subscribe(&app, &liaison, &lb).await;
    subscribe(&app, &county, &cb).await;

    // Due in 60 days: not before, listed by `before`, overdue after.
    assert_eq!(
        app.get_as(&liaison, "/api/v1/revisits/due").await.body["revisits"],
        json!([])
    );
    let soon = app
        .get_as(&liaison, "/api/v1/revisits/due?before=2027-02-14")
        .await;
    assert_eq!(soon.body["revisits"][0]["person_id"], id.as_str());
    assert_eq!(soon.body["revisits"][0]["overdue"], false);
    assert_eq!(
        app.get_as(&other, "/api/v1/revisits/due?before=2027-12-31")
            .await
            .body["revisits"],
        json!([])
    );
    assert_eq!(schedule::push_overdue(&app.state).await.unwrap(), 0);

    app.clock.advance(Duration::days(61));
    let (liaison, county) = (
        app.login(&liaison.username).await,
        app.login(&county.username).await,
    );
    let due = app.get_as(&county, "/api/v1/revisits/due").await;
    assert_eq!(due.body["revisits"][0]["overdue"], true);
    assert_eq!(
        schedule::push_overdue(&app.state).await.unwrap(),
        2,
        "the liaison and the county"
    );
    assert_eq!(
        schedule::push_overdue(&app.state).await.unwrap(),
        0,
        "once per due date"
    );
    deliver(&app).await;
    assert_eq!(lb.inbox.0.lock().unwrap().len(), 1);
    // The lock screen learns a revisit is late in the township, not whose.
    let (_, sent) = lb.inbox.0.lock().unwrap()[0].clone();
    let payload = crate::push::decrypt(&lb, &sent);
    assert_eq!(payload["url"], "/console/#/revisits");
    assert!(payload.get("person_id").is_none(), "{payload}");
    assert!(!payload.to_string().contains(&id), "{payload}");
    assert!(!payload.to_string().contains("赵某"), "{payload}");

    // A revisit resets the schedule; the person's record shows it.
    let visit = json!({"id": Uuid::new_v4(), "at": app.now(), "outcome": "at_home", "note": "with his daughter"});
    let recorded = app
        .post(&liaison, &format!("{path}/revisits"), &visit)
        .await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{:?}", recorded.body);
    assert_eq!(
        app.post(&liaison, &format!("{path}/revisits"), &visit)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get_as(&liaison, "/api/v1/revisits/due").await.body["revisits"],
        json!([])
    );
    let record = app.get_as(&liaison, &path).await;
    assert_eq!(record.body["revisits"].as_array().unwrap().len(), 1);
    assert_eq!(record.body["registered"], true);

    // A supervisor ends it, but not within the year.
    let end = format!("{path}/register/end");
    let early = app
        .post(&county, &end, &json!({"reason": "stable at home"}))
        .await;
    assert_eq!(early.error_code(), "too_early_to_end");
    app.clock.advance(Duration::days(305));
    let county = app.login(&county.username).await;
    let ended = app
        .post(&county, &end, &json!({"reason": "stable at home"}))
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{:?}", ended.body);
    assert!(ended.body["ended_at"].is_string());
    assert_eq!(
        app.get_as(&county, "/api/v1/revisits/due?before=2030-01-01")
            .await
            .body["revisits"],
        json!([])
    );
}

async fn liaison_other(app: &TestApp) -> Account {
    liaison(app, XINWEN).await
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn found_wandering_again_at_a_revisit_raises_a_referral_at_the_townships_station(
    pool: PgPool,
) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;
    let id = create(&app, &duty, &person("孙某")).await;
    app.post(
        &duty,
        &format!("/api/v1/people/{id}/register"),
        &json!({"reason": "走失", "township_code": QINGYUN}),
    )
    .await;
    let liaison = liaison(&app, QINGYUN).await;
    let visit = json!({"id": Uuid::new_v4(), "at": app.now(), "outcome": "wandering_again"});
    let first = app
        .post(&liaison, &format!("/api/v1/people/{id}/revisits"), &visit)
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let raised = first.body["referral_id"].as_str().unwrap().to_owned();
    let retry = app
        .post(&liaison, &format!("/api/v1/people/{id}/revisits"), &visit)
        .await;
    assert_eq!(retry.body["referral_id"], raised.as_str());
    assert_eq!(
        app.count("referrals", "channel = 'liaison'").await,
        1,
        "one referral"
    );

    let r = app
        .get_as(&duty, &format!("/api/v1/referrals/{raised}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["station"]["code"], "xintai");
    assert_eq!(r.body["channel"], "liaison");
    assert_eq!(r.body["priority"], "normal");
    assert_eq!(
        app.get_as(&liaison, &format!("/api/v1/referrals/{raised}"))
            .await
            .status,
        StatusCode::OK,
        "its filer reads it"
    );

    // Liaisons file with their own channel; nobody else uses it.
    let own = app
        .post(
            &liaison,
            "/api/v1/referrals",
            &with(
                referral(app.now(), XINTAI_CENTRE),
                "channel",
                json!("liaison"),
            ),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
    let wrong = app
        .post(
            &liaison,
            "/api/v1/referrals",
            &referral(app.now(), XINTAI_CENTRE),
        )
        .await;
    assert_eq!(wrong.error_code(), "invalid_channel");
    let hotline = app.hotline().await;
    let theirs = app
        .post(
            &hotline,
            "/api/v1/referrals",
            &with(
                referral(app.now(), XINTAI_CENTRE),
                "channel",
                json!("liaison"),
            ),
        )
        .await;
    assert_eq!(theirs.error_code(), "invalid_channel");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn escorted_home_opens_a_ledger_entry_with_the_revisit_schedule(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;
    let id = create(&app, &duty, &person("周某")).await;
    let r = referral_at(&app, XINTAI_CENTRE).await;
    app.post(
        &duty,
        &format!("/api/v1/referrals/{r}/person"),
        &json!({"person_id": id}),
    )
    .await;
    for step in ["accept", "en-route", "on-scene"] {
        act(&app, &duty, &r, step, json!({})).await;
    }
    let resolved = act(
        &app,
        &duty,
        &r,
        "resolve",
        json!({"outcome": "escorted_home"}),
    )
    .await;
    assert_eq!(resolved.status, StatusCode::OK);
    let record = app.get_as(&duty, &format!("/api/v1/people/{id}")).await;
    let returns = record.body["returns"].as_array().unwrap();
    assert_eq!(returns.len(), 1);
    assert_eq!(returns[0]["referral_id"], r.as_str());

    let details = json!({"referral_id": r, "destination_county_code": XINTAI_COUNTY, "township_code": QINGYUN,
                         "handed_over_to": "其女儿", "family_situation": "女儿在本村务农，同意照料"});
    let filled = app
        .post(&duty, &format!("/api/v1/people/{id}/returns"), &details)
        .await;
    assert_eq!(filled.status, StatusCode::OK, "{:?}", filled.body);
    assert_eq!(filled.body["township"], "青云街道");
    let liaison = liaison(&app, QINGYUN).await;
    let ledger = app.get_as(&liaison, "/api/v1/returns").await;
    assert_eq!(
        ledger.body["returns"].as_array().unwrap().len(),
        1,
        "the township's liaison reads its ledger"
    );
    let due = app
        .get_as(&liaison, "/api/v1/revisits/due?before=2027-02-14")
        .await;
    assert_eq!(due.body["revisits"][0]["schedule"], "return");
    // The ledger names people and their families: others' liaisons and stations see none of it.
    for outsider in [liaison_other(&app).await, app.duty("feicheng").await] {
        let theirs = app.get_as(&outsider, "/api/v1/returns").await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert_eq!(theirs.body["returns"], json!([]), "{}", outsider.username);
    }
    let patrol = app.patrol().await;
    assert_eq!(
        app.get_as(&patrol, "/api/v1/returns").await.body["returns"],
        json!([])
    );

    let csv = reqwest::Client::new()
        .get(app.url("/api/v1/returns?format=csv"))
        .bearer_auth(&duty.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("其女儿") && csv.contains("370982001"), "{csv}");

    // A supervisor ends the entry's revisits, but not within the year.
    let entry = filled.body["id"].as_str().unwrap().to_owned();
    let city = app.supervisor().await;
    let end = format!("/api/v1/returns/{entry}/end");
    assert_eq!(
        app.post(&city, &end, &json!({"reason": "settled"}))
            .await
            .error_code(),
        "too_early_to_end"
    );
    assert_eq!(
        app.post(&liaison, &end, &json!({"reason": "settled"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    app.clock.advance(Duration::days(366));
    let city = app.login(&city.username).await;
    let ended = app.post(&city, &end, &json!({"reason": "settled"})).await;
    assert_eq!(ended.status, StatusCode::OK, "{:?}", ended.body);
    assert!(ended.body["next_revisit_due"].is_null());
    assert_eq!(
        app.post(&city, &end, &json!({"reason": "again"}))
            .await
            .error_code(),
        "already_ended"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_roster_lists_a_townships_register_and_tracing_finds_the_unidentified(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;
    let a = create(&app, &duty, &person("甲")).await;
    let b = create(&app, &duty, &with(person("乙"), "id_number", Value::Null)).await;
    for (p, township) in [(&a, QINGYUN), (&b, XINWEN)] {
        app.post(
            &duty,
            &format!("/api/v1/people/{p}/register"),
            &json!({"reason": "易走失", "township_code": township}),
        )
        .await;
    }
    let roster = |who: Account, query: &'static str| {
        let app = &app;
        async move {
            reqwest::Client::new()
                .get(app.url(&format!("/api/v1/register.csv{query}")))
                .bearer_auth(&who.token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let qingyun = roster(duty.clone(), "?township_code=370982001").await;
    let lines: Vec<&str> = qingyun.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("township_code,township,village,name"));
    assert_eq!(lines.len(), 2, "{qingyun}");
    assert!(lines[1].contains("甲") && lines[1].contains("3709**********1235"));
    let own = roster(liaison(&app, XINWEN).await, "").await;
    assert!(
        own.contains("乙") && !own.contains("甲"),
        "a liaison's roster is its township's"
    );

    // Admitted and unidentified for more than ten days (滞留超过10天), until identity is found.
    let r = referral_at(&app, XINTAI_CENTRE).await;
    app.post(
        &duty,
        &format!("/api/v1/referrals/{r}/person"),
        &json!({"person_id": b}),
    )
    .await;
    for step in ["accept", "en-route", "on-scene"] {
        act(&app, &duty, &r, step, json!({})).await;
    }
    act(
        &app,
        &duty,
        &r,
        "resolve",
        json!({"outcome": "admitted_to_station"}),
    )
    .await;
    app.clock.advance(Duration::days(11));
    let duty = app.login(&duty.username).await;
    let stuck = app
        .get_as(&duty, "/api/v1/people?unidentified_days=10")
        .await;
    assert_eq!(stuck.body["people"].as_array().unwrap().len(), 1);
    assert_eq!(stuck.body["people"][0]["id"], b.as_str());
    let step = json!({"id": Uuid::new_v4(), "step": "identity_found", "at": app.now(), "note": "DNA 比对成功"});
    let done = app
        .post(&duty, &format!("/api/v1/people/{b}/tracing"), &step)
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    assert_eq!(
        app.get_as(&duty, "/api/v1/people?unidentified_days=10")
            .await
            .body["people"],
        json!([])
    );
    assert_eq!(
        app.get_as(&duty, &format!("/api/v1/people/{b}")).await.body["identified"],
        true
    );
}
