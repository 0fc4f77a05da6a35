//! Open311 GeoReport v2: partners file referrals; the public reads status, never personal data.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use xunjiu_server::features::open311::partners;

use crate::duty::act;
use crate::helpers::TestApp;

/// Form fields of a POST.
type Form<'a> = Vec<(&'a str, &'a str)>;

struct Open311 {
    key: String,
    client: reqwest::Client,
}

async fn partner(app: &TestApp, name: &str) -> Open311 {
    let key = partners::add(&app.pool, name, mobile_api::Channel::Citizen12345)
        .await
        .unwrap();
    Open311 {
        key,
        client: reqwest::Client::new(),
    }
}

impl Open311 {
    async fn post(
        &self,
        app: &TestApp,
        format: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let res = self
            .client
            .post(app.url(&format!("/open311/v2/requests.{format}")))
            .form(form)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn file(&self, app: &TestApp, service: &str, lat: &str, lon: &str) -> String {
        let form = [
            ("api_key", self.key.as_str()),
            ("service_code", service),
            ("lat", lat),
            ("long", lon),
            ("phone", "13912345678"),
            ("description", "PRIVATE old man, grey coat"),
            ("attribute[people_count]", "2"),
        ];
        let (status, body) = self.post(app, "json", &form).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v[0]["service_request_id"].as_str().unwrap().to_owned()
    }
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = reqwest::get(app.url(path)).await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn discovery_services_and_definitions_in_json_and_xml(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let (_, discovery) = get(&app, "/open311/v2/discovery.json").await;
    let (_, discovery_xml) = get(&app, "/open311/v2/discovery.xml").await;
    let (_, services) = get(&app, "/open311/v2/services.json").await;
    let (_, services_xml) = get(&app, "/open311/v2/services.xml?jurisdiction_id=taian").await;
    let (_, definition_xml) = get(&app, "/open311/v2/services/minor_alone.xml").await;
    let (status, unknown) = get(&app, "/open311/v2/services/parking.json").await;

    let d: Value = serde_json::from_str(&discovery).unwrap();
    assert_eq!(
        d["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert!(
        discovery_xml.contains("<discovery>") && discovery_xml.contains("<endpoints><endpoint>")
    );
    let s: Value = serde_json::from_str(&services).unwrap();
    let codes: Vec<&str> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["service_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "sleeping_rough",
            "lost_or_confused",
            "minor_alone",
            "weather_danger"
        ]
    );
    assert!(
        s.as_array()
            .unwrap()
            .iter()
            .all(|x| x["metadata"] == true && x["type"] == "realtime")
    );
    assert!(services_xml.starts_with("<?xml") && services_xml.contains("<services><service>"));
    assert!(definition_xml.contains("<service_definition><attributes><attribute>"));
    assert!(definition_xml.contains("<values><value><key>minor</key>"));
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(unknown.contains("\"code\":404"));
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_posted_request_becomes_a_routed_referral_on_the_partners_channel(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let p = partner(&app, "泰安12345").await;
    let duty = app.duty("xintai").await;

    let id = p.file(&app, "sleeping_rough", "35.9104", "117.7602").await;

    let referral = app.get_as(&duty, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(referral.status, StatusCode::OK);
    assert_eq!(referral.body["channel"], "12345");
    assert_eq!(referral.body["station"]["code"], "xintai");
    assert_eq!(referral.body["status"], "routed");
    assert_eq!(referral.body["people_count"], 2);
    assert_eq!(
        referral.body["caller_phone"], "13912345678",
        "the owning station sees the caller"
    );
    assert_eq!(referral.body["events"][0]["actor_role"], "partner");
    let (status, body) = get(&app, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(status, StatusCode::OK);
    let r: Value = serde_json::from_str(&body).unwrap();
    assert!(r.is_array(), "requests/{{id}}.json is an array");
    assert_eq!(r[0]["service_request_id"], id.as_str());
    assert_eq!(r[0]["status"], "open");
    assert_eq!(r[0]["agency_responsible"], "新泰市救助管理站");
    assert_eq!(
        r[0]["lat"], 35.91,
        "the public sees the place to about 1 km"
    );
    assert!(
        !body.contains("13912345678") && !body.contains("PRIVATE"),
        "no phone or description for a public reader"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn status_follows_the_station_and_lists_filter_by_status(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let p = partner(&app, "volunteers").await;
    let duty = app.duty("xintai").await;
    let done = p.file(&app, "sleeping_rough", "35.9104", "117.7602").await;
    let open = p.file(&app, "weather_danger", "35.9104", "117.7602").await;
    for step in ["accept", "en-route", "on-scene"] {
        act(&app, &duty, &done, step, json!({})).await;
    }
    act(
        &app,
        &duty,
        &done,
        "resolve",
        json!({"outcome": "escorted_home"}),
    )
    .await;

    let (_, closed) = get(&app, "/open311/v2/requests.json?status=closed").await;
    let (_, opened) = get(&app, "/open311/v2/requests.xml?status=open").await;
    let (_, by_code) = get(
        &app,
        "/open311/v2/requests.json?service_code=weather_danger",
    )
    .await;

    let closed: Value = serde_json::from_str(&closed).unwrap();
    assert_eq!(closed.as_array().unwrap().len(), 1);
    assert_eq!(closed[0]["service_request_id"], done.as_str());
    assert_eq!(closed[0]["status"], "closed");
    assert!(opened.contains(&format!("<service_request_id>{open}</service_request_id>")));
    assert!(opened.contains("<status>open</status>") && !opened.contains(&done));
    assert_eq!(
        serde_json::from_str::<Value>(&by_code)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn requests_about_minors_are_hidden_from_the_public_but_not_from_the_partner(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let p = partner(&app, "taxi").await;

    let id = p.file(&app, "minor_alone", "36.1866", "117.1032").await;
    let (public_one, _) = get(&app, &format!("/open311/v2/requests/{id}.json")).await;
    let (_, public_list) = get(&app, "/open311/v2/requests.json").await;
    let (own, body) = get(
        &app,
        &format!("/open311/v2/requests/{id}.json?api_key={}", p.key),
    )
    .await;
    let urgent: String = sqlx::query_scalar("select priority from referrals")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    assert_eq!(public_one, StatusCode::NOT_FOUND);
    assert_eq!(public_list, "[]");
    assert_eq!(own, StatusCode::OK);
    assert!(body.contains("minor_alone"));
    assert_eq!(urgent, "urgent");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_public_sees_status_and_a_rounded_place_and_nothing_of_special_targets(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let p = partner(&app, "volunteers").await;
    let other = partner(&app, "taxis").await;
    let rough = p.file(&app, "sleeping_rough", "35.9104", "117.7602").await;
    let confused = p
        .file(&app, "lost_or_confused", "35.9104", "117.7602")
        .await;
    let (status, posted) = p
        .post(
            &app,
            "json",
            &[
                ("api_key", p.key.as_str()),
                ("service_code", "sleeping_rough"),
                ("lat", "36.1866"),
                ("long", "117.1032"),
                ("attribute[categories][]", "elderly"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let elderly = serde_json::from_str::<Value>(&posted).unwrap()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed_by = |key: Option<&str>| {
        let key = key.map(|k| format!("?api_key={k}")).unwrap_or_default();
        let app = &app;
        async move {
            let (_, body) = get(app, &format!("/open311/v2/requests.json{key}")).await;
            serde_json::from_str::<Value>(&body).unwrap()
        }
    };

    let public = listed_by(None).await;
    let own = listed_by(Some(&p.key)).await;
    let others = listed_by(Some(&other.key)).await;
    let (one_confused, _) = get(&app, &format!("/open311/v2/requests/{confused}.json")).await;
    let (one_elderly, _) = get(&app, &format!("/open311/v2/requests/{elderly}.xml")).await;
    let (other_confused, _) = get(
        &app,
        &format!("/open311/v2/requests/{confused}.json?api_key={}", other.key),
    )
    .await;

    let public = public.as_array().unwrap();
    assert_eq!(public.len(), 1, "only the plain request: {public:?}");
    let shown = &public[0];
    assert_eq!(shown["service_request_id"], rough.as_str());
    assert_eq!(
        (shown["lat"].as_f64(), shown["long"].as_f64()),
        (Some(35.91), Some(117.76))
    );
    assert!(shown["address"].is_null() && shown["description"].is_null());
    assert!(shown["media_url"].is_null());
    for key in [
        "status",
        "status_notes",
        "service_code",
        "service_name",
        "agency_responsible",
        "requested_datetime",
        "updated_datetime",
    ] {
        assert!(!shown[key].is_null(), "{key}");
    }
    assert_eq!(one_confused, StatusCode::NOT_FOUND);
    assert_eq!(one_elderly, StatusCode::NOT_FOUND);
    assert_eq!(other_confused, StatusCode::NOT_FOUND);
    assert_eq!(
        others,
        Value::Array(public.clone()),
        "another partner sees what the public sees"
    );
    let own = own.as_array().unwrap();
    assert_eq!(own.len(), 3);
    let own_rough = own
        .iter()
        .find(|r| r["service_request_id"] == rough.as_str())
        .unwrap();
    assert_eq!(own_rough["lat"], 35.9104);
    assert_eq!(own_rough["description"], "PRIVATE old man, grey coat");
    let logged: Vec<String> = sqlx::query_scalar(
        "select l.record_id::text from access_log l join partners p on p.id = l.partner_id
         where p.name = 'volunteers' order by 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut described = vec![rough.clone(), confused.clone()];
    described.sort();
    assert_eq!(
        logged, described,
        "full views with a description are logged"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn every_error_uses_the_spec_format_and_status(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let p = partner(&app, "charity").await;
    let revoked = partner(&app, "gone").await;
    partners::revoke(&app.pool, "gone", app.now())
        .await
        .unwrap();
    let k = p.key.as_str();

    let cases: Vec<(&str, Form, u16)> = vec![
        (
            "no key",
            vec![
                ("service_code", "sleeping_rough"),
                ("lat", "36.19"),
                ("long", "117.12"),
            ],
            403,
        ),
        (
            "bad key",
            vec![
                ("api_key", "xj311_nope"),
                ("service_code", "sleeping_rough"),
                ("lat", "36.19"),
                ("long", "117.12"),
            ],
            403,
        ),
        (
            "revoked key",
            vec![
                ("api_key", revoked.key.as_str()),
                ("service_code", "sleeping_rough"),
                ("lat", "36.19"),
                ("long", "117.12"),
            ],
            403,
        ),
        (
            "no service",
            vec![("api_key", k), ("lat", "36.19"), ("long", "117.12")],
            400,
        ),
        (
            "unknown service",
            vec![
                ("api_key", k),
                ("service_code", "potholes"),
                ("lat", "36.19"),
                ("long", "117.12"),
            ],
            400,
        ),
        (
            "address only",
            vec![
                ("api_key", k),
                ("service_code", "sleeping_rough"),
                ("address_string", "somewhere near the river"),
            ],
            400,
        ),
        (
            "bad lat",
            vec![
                ("api_key", k),
                ("service_code", "sleeping_rough"),
                ("lat", "north"),
                ("long", "117.12"),
            ],
            400,
        ),
        (
            "outside",
            vec![
                ("api_key", k),
                ("service_code", "sleeping_rough"),
                ("lat", "39.9"),
                ("long", "116.4"),
            ],
            400,
        ),
        (
            "people",
            vec![
                ("api_key", k),
                ("service_code", "sleeping_rough"),
                ("lat", "36.19"),
                ("long", "117.12"),
                ("attribute[people_count]", "0"),
            ],
            400,
        ),
        (
            "category",
            vec![
                ("api_key", k),
                ("service_code", "sleeping_rough"),
                ("lat", "36.19"),
                ("long", "117.12"),
                ("attribute[categories][]", "drunk"),
            ],
            400,
        ),
        (
            "jurisdiction",
            vec![
                ("api_key", k),
                ("service_code", "sleeping_rough"),
                ("lat", "36.19"),
                ("long", "117.12"),
                ("jurisdiction_id", "jinan"),
            ],
            404,
        ),
    ];
    for (name, form, status) in cases {
        let (got, body) = p.post(&app, "json", &form).await;
        assert_eq!(got.as_u16(), status, "{name}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v[0]["code"], status, "{name}");
        assert!(v[0]["description"].is_string(), "{name}");
    }
    let (xml_status, xml) = p
        .post(&app, "xml", &[("service_code", "sleeping_rough")])
        .await;
    assert_eq!(xml_status, StatusCode::FORBIDDEN);
    assert!(xml.contains("<errors><error><code>403</code><description>"));
    for (path, status) in [
        ("/open311/v2/requests/not-an-id.json", 404),
        ("/open311/v2/requests.json?status=lost", 400),
        (
            "/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z",
            400,
        ),
        (
            &format!("/open311/v2/requests/{}.json", uuid::Uuid::new_v4()),
            404,
        ),
        ("/open311/v2/requests.csv", 404),
    ] {
        assert_eq!(get(&app, path).await.0.as_u16(), status, "{path}");
    }
    assert_eq!(
        app.count("referrals", "true").await,
        0,
        "nothing stored by a refused request"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn an_address_string_alone_works_when_it_names_a_registered_hotspot(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let p = partner(&app, "sanitation").await;
    let name = "泰山站 (Taishan station; old Tai'an station on Jinghu railway)";

    let (status, body) = p
        .post(
            &app,
            "xml",
            &[
                ("api_key", p.key.as_str()),
                ("service_code", "weather_danger"),
                ("address_string", name),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.contains("<service_requests><request><account_id/>"));
    assert!(body.contains("泰安市救助管理站"));
    assert_eq!(
        app.count(
            "referrals",
            "station_code = 'taian' and priority = 'urgent'"
        )
        .await,
        1
    );
}
