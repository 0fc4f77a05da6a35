//! Alerts to DingTalk, WeCom and SMS, against stand-ins of the three services that check each
//! request as the service does: the DingTalk signature and the Aliyun signature recomputed here
//! with `ring` (not the server's `hmac` crate) from the documented algorithms, the JSON shapes,
//! the parameters. Each stand-in answers success or an error as the test asks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Form;
use axum::extract::{Query, State};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use xunjiu_server::features::notify::channels::{self, Audience, NewChannel};
use xunjiu_server::features::notify::sender;
use xunjiu_server::plumbing::config::{Secret, Settings};

use crate::helpers::places::*;
use crate::helpers::{TestApp, referral, with};

const DING_SECRET: &str = "SECdingtalk-test-secret";
const SMS_KEY_ID: &str = "LTAI-test-key";
const SMS_KEY_SECRET: &str = "aliyun-test-secret";

/// What a stand-in received (the whole request as text), and whether it should fail.
#[derive(Clone, Default)]
struct Service {
    received: Arc<Mutex<Vec<String>>>,
    fail: Arc<Mutex<bool>>,
    problems: Arc<Mutex<Vec<String>>>,
}

impl Service {
    fn bodies(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
    fn problems(&self) -> Vec<String> {
        self.problems.lock().unwrap().clone()
    }
    fn failing(&self, yes: bool) {
        *self.fail.lock().unwrap() = yes;
    }
}

fn b64_hmac(algorithm: ring::hmac::Algorithm, key: &str, data: &str) -> String {
    let key = ring::hmac::Key::new(algorithm, key.as_bytes());
    STANDARD.encode(ring::hmac::sign(&key, data.as_bytes()).as_ref())
}

/// Percent-encoding as Aliyun's documentation spells it: UTF-8, then every byte outside
/// `A-Z a-z 0-9 - _ . ~` as `%XX` in upper case.
fn aliyun_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn dingtalk(
    State(s): State<Service>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<Value>,
) -> axum::Json<Value> {
    let mut problems = vec![];
    let timestamp = q.get("timestamp").cloned().unwrap_or_default();
    let expected = b64_hmac(
        ring::hmac::HMAC_SHA256,
        DING_SECRET,
        &format!("{timestamp}\n{DING_SECRET}"),
    );
    if q.get("sign") != Some(&expected) {
        problems.push(format!("sign {:?} != {expected}", q.get("sign")));
    }
    if q.get("access_token").map(String::as_str) != Some("ding-token") {
        problems.push("access_token".to_owned());
    }
    if body["msgtype"] != "markdown"
        || !body["markdown"]["title"].is_string()
        || !body["markdown"]["text"].is_string()
    {
        problems.push(format!("shape {body}"));
    }
    s.problems.lock().unwrap().extend(problems.clone());
    s.received.lock().unwrap().push(body.to_string());
    if *s.fail.lock().unwrap() || !problems.is_empty() {
        axum::Json(json!({"errcode": 310000, "errmsg": "sign not match"}))
    } else {
        axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
    }
}

async fn wecom(
    State(s): State<Service>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<Value>,
) -> axum::Json<Value> {
    if q.get("key").map(String::as_str) != Some("wecom-key")
        || body["msgtype"] != "markdown"
        || !body["markdown"]["content"].is_string()
    {
        s.problems
            .lock()
            .unwrap()
            .push(format!("wecom request {q:?} {body}"));
    }
    s.received.lock().unwrap().push(body.to_string());
    if *s.fail.lock().unwrap() {
        axum::Json(json!({"errcode": 93000, "errmsg": "invalid webhook url"}))
    } else {
        axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
    }
}

async fn aliyun(
    State(s): State<Service>,
    Form(form): Form<Vec<(String, String)>>,
) -> axum::Json<Value> {
    let mut problems = vec![];
    let mut params: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| k != "Signature")
        .cloned()
        .collect();
    params.sort();
    let canonical = params
        .iter()
        .map(|(k, v)| format!("{}={}", aliyun_encode(k), aliyun_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let to_sign = format!("POST&%2F&{}", aliyun_encode(&canonical));
    let expected = b64_hmac(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        &format!("{SMS_KEY_SECRET}&"),
        &to_sign,
    );
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if get("Signature") != expected {
        problems.push("Signature".to_owned());
    }
    for (k, v) in [
        ("Action", "SendSms"),
        ("AccessKeyId", SMS_KEY_ID),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Version", "2017-05-25"),
        ("SignName", "泰安救助"),
        ("TemplateCode", "SMS_123456"),
    ] {
        if get(k) != v {
            problems.push(format!("{k}={}", get(k)));
        }
    }
    if serde_json::from_str::<Value>(&get("TemplateParam")).map_or(true, |p| !p["id"].is_string()) {
        problems.push("TemplateParam".to_owned());
    }
    s.problems.lock().unwrap().extend(problems);
    s.received.lock().unwrap().push(format!("{form:?}"));
    if *s.fail.lock().unwrap() {
        axum::Json(
            json!({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控", "RequestId": "x"}),
        )
    } else {
        axum::Json(json!({"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "x"}))
    }
}

struct Services {
    base: String,
    ding: Service,
    wecom: Service,
    sms: Service,
}

async fn services() -> Services {
    let (ding, wecom_s, sms) = (Service::default(), Service::default(), Service::default());
    let router = axum::Router::new()
        .route("/robot/send", post(dingtalk).with_state(ding.clone()))
        .route(
            "/cgi-bin/webhook/send",
            post(wecom).with_state(wecom_s.clone()),
        )
        .route("/sms/", post(aliyun).with_state(sms.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Services {
        base: format!("http://{addr}"),
        ding,
        wecom: wecom_s,
        sms,
    }
}

async fn app_with(pool: PgPool, s: &Services) -> TestApp {
    let settings = Settings {
        public_url: Some("https://xunjiu.example.cn".into()),
        sms_endpoint: format!("{}/sms/", s.base),
        sms_access_key_id: Some(SMS_KEY_ID.into()),
        sms_access_key_secret: Some(Secret(SMS_KEY_SECRET.into())),
        sms_sign_name: Some("泰安救助".into()),
        sms_template: Some("SMS_123456".into()),
        ..Default::default()
    };
    TestApp::seeded_with(pool, settings).await
}

async fn add(
    app: &TestApp,
    name: &str,
    kind: mobile_api::ChannelKind,
    audience: Audience,
    s: &Services,
) {
    let (webhook, secret, phones) = match kind {
        mobile_api::ChannelKind::Dingtalk => (
            Some(format!("{}/robot/send?access_token=ding-token", s.base)),
            Some(DING_SECRET.to_owned()),
            vec![],
        ),
        mobile_api::ChannelKind::Wecom => (
            Some(format!("{}/cgi-bin/webhook/send?key=wecom-key", s.base)),
            None,
            vec![],
        ),
        mobile_api::ChannelKind::Sms => (None, None, vec!["13912345678".to_owned()]),
    };
    let channel = NewChannel {
        name: name.into(),
        kind,
        audience,
        webhook,
        secret,
        phones,
    };
    channels::add(&app.pool, &app.state.secrets, &channel, true, app.now())
        .await
        .unwrap();
}

async fn add_all(
    app: &TestApp,
    s: &Services,
    channels: Vec<(&str, mobile_api::ChannelKind, Audience)>,
) {
    for (name, kind, audience) in channels {
        add(app, name, kind, audience, s).await;
    }
}

async fn deliver(app: &TestApp) -> usize {
    sender::deliver_once(&app.state, &sender::client())
        .await
        .unwrap()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_routed_referral_reaches_its_stations_robot_and_phones_and_no_other_station(
    pool: PgPool,
) {
    use mobile_api::ChannelKind::*;
    let s = services().await;
    let app = app_with(pool, &s).await;
    add_all(
        &app,
        &s,
        vec![
            ("xintai-ding", Dingtalk, Audience::Station("xintai".into())),
            ("xintai-sms", Sms, Audience::Station("xintai".into())),
            (
                "feicheng-wecom",
                Wecom,
                Audience::Station("feicheng".into()),
            ),
        ],
    )
    .await;

    let hotline = app.hotline().await;
    let body = with(
        referral(app.now(), XINTAI_CENTRE),
        "categories",
        json!(["elderly"]),
    );
    let created = app.post(&hotline, "/api/v1/referrals", &body).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(deliver(&app).await, 2);

    assert_eq!(s.ding.problems(), Vec::<String>::new());
    assert_eq!(s.sms.problems(), Vec::<String>::new());
    assert_eq!(s.ding.bodies().len(), 1);
    assert_eq!(s.sms.bodies().len(), 1);
    assert!(s.wecom.bodies().is_empty(), "not Feicheng's channel");
    let text = &s.ding.bodies()[0];
    assert!(text.contains(&id[..8]), "{text}");
    assert!(text.contains("新泰市救助管理站") && text.contains("紧急"));
    for word in ["老年人", "elderly", "类别", "人数", "县市区"] {
        assert!(
            !text.contains(word),
            "nothing of who the person is: {word} in {text}"
        );
    }
    assert!(text.contains(&format!(
        "https://xunjiu.example.cn/console/#/referrals/{id}"
    )));
    for body in s.ding.bodies().iter().chain(&s.sms.bodies()) {
        assert!(!body.contains("13800138000"), "no caller phone: {body}");
        assert!(!body.contains("thin jacket"), "no description: {body}");
        assert!(!body.contains("灵山大街"), "no address: {body}");
    }

    let duty = app.duty("xintai").await;
    let listed = app
        .get_as(&duty, &format!("/api/v1/referrals/{id}/notifications"))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let deliveries = listed.body["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    for d in deliveries {
        assert_eq!(d["status"], "delivered");
        assert_eq!(d["event"], "referral_routed");
        assert_eq!(d["attempts"][0]["ok"], true);
    }
    assert_eq!(deliveries[0]["attempts"][0]["code"], "200 errcode=0");
    assert_eq!(deliveries[1]["attempts"][0]["code"], "200 Code=OK");
    let other = app.duty("feicheng").await;
    assert_eq!(
        app.get_as(&other, &format!("/api/v1/referrals/{id}/notifications"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_as(&hotline, &format!("/api/v1/referrals/{id}/notifications"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_failing_channel_is_retried_with_backoff_then_recorded_as_failed(pool: PgPool) {
    let s = services().await;
    let app = app_with(pool, &s).await;
    add_all(
        &app,
        &s,
        vec![(
            "xintai-wecom",
            mobile_api::ChannelKind::Wecom,
            Audience::Station("xintai".into()),
        )],
    )
    .await;
    s.wecom.failing(true);
    let hotline = app.hotline().await;
    let created = app
        .post(
            &hotline,
            "/api/v1/referrals",
            &referral(app.now(), XINTAI_CENTRE),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();

    assert_eq!(deliver(&app).await, 1);
    assert_eq!(deliver(&app).await, 0, "not before its backoff");
    for _ in 1..xunjiu_server::plumbing::delivery::MAX_ATTEMPTS {
        app.clock.advance(Duration::hours(1));
        assert_eq!(deliver(&app).await, 1);
    }
    app.clock.advance(Duration::hours(1));
    assert_eq!(deliver(&app).await, 0, "given up");
    assert_eq!(s.wecom.bodies().len(), 8);

    let supervisor = app.supervisor().await;
    let listed = app
        .get_as(
            &supervisor,
            &format!("/api/v1/referrals/{id}/notifications"),
        )
        .await;
    let d = &listed.body["deliveries"][0];
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"].as_array().unwrap().len(), 8);
    assert_eq!(d["attempts"][7]["code"], "200 errcode=93000");
    assert_eq!(d["attempts"][7]["detail"], "invalid webhook url");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn an_urgent_referral_no_channel_reached_is_escalated_at_once(pool: PgPool) {
    use mobile_api::ChannelKind::*;
    let s = services().await;
    let app = app_with(pool, &s).await;
    add_all(
        &app,
        &s,
        vec![
            ("xintai-ding", Dingtalk, Audience::Station("xintai".into())),
            ("xintai-sms", Sms, Audience::Station("xintai".into())),
            ("county-xintai", Wecom, Audience::County("370982".into())),
        ],
    )
    .await;
    s.ding.failing(true);
    s.sms.failing(true);
    let hotline = app.hotline().await;
    let file =
        |categories: Value| with(referral(app.now(), XINTAI_CENTRE), "categories", categories);

    let normal = app
        .post(&hotline, "/api/v1/referrals", &file(json!([])))
        .await;
    let urgent = app
        .post(&hotline, "/api/v1/referrals", &file(json!(["minor"])))
        .await;
    deliver(&app).await;
    let duty = app.duty("xintai").await;
    let read = |id: &Value| {
        let path = format!("/api/v1/referrals/{}", id.as_str().unwrap());
        let (app, duty) = (&app, &duty);
        async move { app.get_as(duty, &path).await.body }
    };
    let urgent_now = read(&urgent.body["id"]).await;
    assert_eq!(
        urgent_now["escalation_level"], 1,
        "escalated before its deadline"
    );
    let note = urgent_now["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "escalated")
        .unwrap()["note"]
        .clone();
    assert!(
        note.as_str().unwrap().contains("every alert channel"),
        "{note}"
    );
    assert_eq!(
        read(&normal.body["id"]).await["escalation_level"],
        0,
        "a normal one waits for its deadline"
    );
    // The county's channel hears of the escalation.
    deliver(&app).await;
    assert!(
        s.wecom
            .bodies()
            .iter()
            .any(|b| b.contains("超时升级") || b.contains("Escalation"))
    );

    // When one channel gets through, nothing is escalated early.
    s.sms.failing(false);
    let reached = app
        .post(&hotline, "/api/v1/referrals", &file(json!(["minor"])))
        .await;
    deliver(&app).await;
    assert_eq!(read(&reached.body["id"]).await["escalation_level"], 0);
}
