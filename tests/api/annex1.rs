//! Annex 1 as the counties file it: computed columns on a hand-built scenario, entries typed and
//! refused, a filing freezing its row, county scope, and the XLSX read back with calamine.

use chrono::Duration;
use mobile_api::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;
use xunjiu_server::features::users;

use crate::duty::act;
use crate::helpers::places::*;
use crate::helpers::{PASSWORD, TestApp, referral, sighting};

const AS_OF: &str = "2026-12-31";

fn row<'a>(report: &'a Value, unit: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"] == unit)
        .unwrap()
}

fn cell(report: &Value, unit: &str, key: &str) -> (String, Value) {
    let c = &row(report, unit)["cells"][key];
    (c["source"].as_str().unwrap().to_owned(), c["value"].clone())
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn computed_columns_follow_the_records(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let duty = app.duty("xintai").await;
    // A police patrol reports in 新泰市; nobody patrols 肥城市.
    let patrol = app.patrol().await;
    app.post(
        &patrol,
        "/api/v1/sightings",
        &sighting(app.now(), XINTAI_CENTRE),
    )
    .await;
    // Two people admitted at 新泰: one still unidentified, one identified.
    let mut people = vec![];
    for name in ["甲", "乙"] {
        let person = app
            .post(
                &duty,
                "/api/v1/people",
                &json!({"id": Uuid::new_v4(), "name": name, "sex": "male"}),
            )
            .await;
        let pid = person.body["id"].as_str().unwrap().to_owned();
        let hotline = app.hotline().await;
        let r = app
            .post(
                &hotline,
                "/api/v1/referrals",
                &referral(app.now(), XINTAI_CENTRE),
            )
            .await;
        let rid = r.body["id"].as_str().unwrap().to_owned();
        app.post(
            &duty,
            &format!("/api/v1/referrals/{rid}/person"),
            &json!({"person_id": pid}),
        )
        .await;
        for step in ["accept", "en-route", "on-scene"] {
            act(&app, &duty, &rid, step, json!({})).await;
        }
        act(
            &app,
            &duty,
            &rid,
            "resolve",
            json!({"outcome": "admitted_to_station"}),
        )
        .await;
        people.push(pid);
    }
    let found = json!({"id": Uuid::new_v4(), "step": "identity_found", "at": app.now()});
    app.post(
        &duty,
        &format!("/api/v1/people/{}/tracing", people[1]),
        &found,
    )
    .await;
    // 新泰's station keeps the register.
    app.post(
        &duty,
        &format!("/api/v1/people/{}/register", people[0]),
        &json!({"reason": "x", "township_code": "370982001"}),
    )
    .await;
    // 新泰's station keeps the returnee ledger too.
    let ret = app
        .post(
            &duty,
            &format!("/api/v1/people/{}/returns", people[1]),
            &json!({"destination_county_code": "370982"}),
        )
        .await;
    assert_eq!(ret.status, StatusCode::CREATED, "{:?}", ret.body);
    // Every township of 泰山区 has a liaison: the four-level network is built there.
    let townships: Vec<String> =
        sqlx::query_scalar("select code from townships where county_code = '370902'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for (i, t) in townships.iter().enumerate() {
        users::add(
            &app.pool,
            users::NewAccount {
                username: format!("liaison-{i}"),
                password: PASSWORD.into(),
                role: Role::Liaison,
                station: None,
                agency: None,
                unit: None,
                county_code: Some("370902".into()),
                channel: None,
                township_code: Some(t.clone()),
                village: None,
            },
        )
        .await
        .unwrap();
    }

    app.clock.advance(Duration::days(11));
    let city = app.supervisor().await;
    let report = app
        .get_as(&city, &format!("/api/v1/reports/annex1?as_of={AS_OF}"))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    assert_eq!(report.body["columns"].as_array().unwrap().len(), 27);
    assert_eq!(
        report.body["rows"].as_array().unwrap().len(),
        6 + 1 + 1,
        "six counties, the city station, the total"
    );
    let s = |unit, key| cell(&report.body, unit, key);
    assert_eq!(
        s("370982", "counties_with_street_patrol"),
        ("system".into(), json!(1))
    );
    assert_eq!(
        s("370983", "counties_with_street_patrol"),
        ("system".into(), json!(0))
    );
    assert_eq!(
        s("370982", "unidentified_over_10_days"),
        ("system".into(), json!(1))
    );
    assert_eq!(s("370982", "identified"), ("system".into(), json!(1)));
    assert_eq!(
        s("370982", "stations_with_risk_register"),
        ("system".into(), json!(1))
    );
    assert_eq!(
        s("370983", "stations_with_risk_register"),
        ("system".into(), json!(0))
    );
    assert_eq!(
        s("370902", "four_level_network"),
        ("system".into(), json!(1))
    );
    assert_eq!(
        s("370982", "four_level_network"),
        ("system".into(), json!(0))
    );
    assert_eq!(s("370982", "staff_total"), ("missing".into(), Value::Null));
    assert_eq!(s("city", "counties_total").0, "missing");
    assert_eq!(s("total", "counties_total").1, json!(6));
    assert_eq!(s("total", "counties_with_street_patrol").1, json!(1));

    // Before the ten days had passed, nobody was stranded.
    let early = app
        .get_as(&city, "/api/v1/reports/annex1?as_of=2026-12-15")
        .await;
    assert_eq!(
        cell(&early.body, "370982", "unidentified_over_10_days").1,
        json!(0)
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn entries_are_typed_a_filing_freezes_the_row_and_counties_see_their_own(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let county = app.county_supervisor("370982").await;
    let city = app.supervisor().await;
    let path = "/api/v1/reports/annex1/370982/entries";
    for (values, code) in [
        (json!({"staff_total": "twelve"}), "invalid_value"),
        (json!({"staff_total": -1}), "invalid_value"),
        (json!({"pay_incentive": 3}), "invalid_value"),
        (json!({"counties_total": 1}), "invalid_value"),
        (json!({"no_such_column": 1}), "unknown_column"),
    ] {
        let reply = app
            .put(&county, path, &json!({"as_of": AS_OF, "values": values}))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{values}");
        assert_eq!(reply.error_code(), code, "{values}");
    }
    let typed = app
        .put(
            &county,
            path,
            &json!({"as_of": AS_OF, "values": {"staff_total": 12, "pay_incentive": "已落实"}}),
        )
        .await;
    assert_eq!(typed.status, StatusCode::OK, "{:?}", typed.body);
    assert_eq!(
        typed.body["cells"]["staff_total"],
        json!({"source": "entered", "value": 12})
    );
    app.put(
        &county,
        path,
        &json!({"as_of": AS_OF, "values": {"staff_total": 13}}),
    )
    .await;
    assert_eq!(
        app.count("annex1_entries", "unit = '370982'").await,
        3,
        "every entry is kept"
    );

    // Scope: a county's supervisor reads and files their county alone.
    let own = app
        .get_as(&county, &format!("/api/v1/reports/annex1?as_of={AS_OF}"))
        .await;
    let units: Vec<&str> = own.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unit"].as_str().unwrap())
        .collect();
    assert_eq!(units, vec!["370982"]);
    assert_eq!(cell(&own.body, "370982", "staff_total").1, json!(13));
    let other = app
        .put(
            &county,
            "/api/v1/reports/annex1/370983/entries",
            &json!({"as_of": AS_OF, "values": {}}),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_as(&app.duty("xintai").await, "/api/v1/reports/annex1")
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Filing freezes the row: a later sighting does not move it, entries and refiling are refused.
    let filed = app
        .post(
            &county,
            "/api/v1/reports/annex1/370982/file",
            &json!({"as_of": AS_OF, "filed_by_name": "王局长"}),
        )
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{:?}", filed.body);
    assert_eq!(filed.body["filed"]["filed_by_name"], "王局长");
    let patrol = app.patrol().await;
    app.post(
        &patrol,
        "/api/v1/sightings",
        &sighting(app.now(), XINTAI_CENTRE),
    )
    .await;
    let after = app
        .get_as(&city, &format!("/api/v1/reports/annex1?as_of={AS_OF}"))
        .await;
    assert_eq!(
        cell(&after.body, "370982", "counties_with_street_patrol").1,
        json!(0),
        "frozen at filing"
    );
    assert_eq!(
        cell(&after.body, "370983", "counties_with_street_patrol").1,
        json!(0)
    );
    let live = app
        .get_as(&city, "/api/v1/reports/annex1?as_of=2027-01-01")
        .await;
    assert_eq!(
        cell(&live.body, "370982", "counties_with_street_patrol").1,
        json!(1),
        "another date is live"
    );
    assert_eq!(
        app.put(
            &county,
            path,
            &json!({"as_of": AS_OF, "values": {"staff_total": 1}})
        )
        .await
        .error_code(),
        "already_filed"
    );
    assert_eq!(
        app.post(
            &city,
            "/api/v1/reports/annex1/370982/file",
            &json!({"as_of": AS_OF, "filed_by_name": "x"})
        )
        .await
        .error_code(),
        "already_filed"
    );
    let status = app
        .get_as(
            &city,
            &format!("/api/v1/reports/annex1/status?as_of={AS_OF}"),
        )
        .await;
    let filed_units: Vec<&str> = status.body["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| !u["filed"].is_null())
        .map(|u| u["unit"].as_str().unwrap())
        .collect();
    assert_eq!(filed_units, vec!["370982"]);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_xlsx_has_the_annexs_title_and_headings(pool: PgPool) {
    use calamine::Reader;
    let app = TestApp::seeded(pool).await;
    let city = app.supervisor().await;
    let bytes = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/reports/annex1?as_of={AS_OF}&format=xlsx")))
        .bearer_auth(&city.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names();
    assert_eq!(names[0], "汇总");
    assert_eq!(
        names.len(),
        1 + 7,
        "the summary, six counties and the city station"
    );
    let sheet = book.worksheet_range("汇总").unwrap();
    let at = |r: u32, c: u32| {
        sheet
            .get_value((r, c))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(at(0, 0), "救助管理服务质量大提升专项行动情况汇总表");
    assert!(at(1, 0).starts_with("填表单位："));
    let annex: String = include_str!("../fixtures/annex1.txt")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut headings = 0;
    for r in 2..5 {
        for c in 0..28 {
            let text = at(r, c);
            if !text.is_empty() {
                assert!(annex.contains(&text), "{text:?} is not the annex's wording");
                headings += 1;
            }
        }
    }
    assert_eq!(
        headings,
        1 + 7 + 2 + 27,
        "序号, seven groups, two parents, every column"
    );
    assert_eq!(at(5 + 7, 0), "合计", "the total after the seven units");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn units_that_have_not_filed_are_reminded_three_days_before_the_date(pool: PgPool) {
    use axum::http::StatusCode as AxumStatus;
    use xunjiu_server::features::annex1::reminders;

    use crate::push::{browser, deliver, push_app, subscribe};
    let app = push_app(pool).await;
    let (xintai, feicheng) = (
        app.county_supervisor("370982").await,
        app.county_supervisor("370983").await,
    );
    let (xb, fb) = (
        browser(AxumStatus::CREATED).await,
        browser(AxumStatus::CREATED).await,
    );
    subscribe(&app, &xintai, &xb).await;
    subscribe(&app, &feicheng, &fb).await;
    // 肥城 files early for 31 March.
    let filed = app
        .post(
            &feicheng,
            "/api/v1/reports/annex1/370983/file",
            &json!({"as_of": "2027-03-31", "filed_by_name": "李"}),
        )
        .await;
    assert_eq!(filed.status, StatusCode::CREATED);

    // 15 December: no date is three days off.
    assert_eq!(reminders::run_once(&app.state).await.unwrap(), 0);
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 3, 28, 1, 0, 0).unwrap());
    assert_eq!(
        reminders::run_once(&app.state).await.unwrap(),
        1,
        "新泰's supervisor only"
    );
    assert_eq!(reminders::run_once(&app.state).await.unwrap(), 0, "once");
    deliver(&app).await;
    assert_eq!(xb.inbox.0.lock().unwrap().len(), 1);
    assert!(fb.inbox.0.lock().unwrap().is_empty(), "肥城 has filed");
    assert_eq!(
        app.count("annex1_reminders", "due = '2027-03-31'").await,
        6,
        "every unit not filed is on record"
    );
}
