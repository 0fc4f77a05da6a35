//! A running server on 127.0.0.1:0 against the test's own database, accounts to call it with,
//! and builders for the reports tests send.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use mobile_api::{Agency, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;
use xunjiu_server::features::{seed, users};
use xunjiu_server::plumbing::clock::ManualClock;
use xunjiu_server::plumbing::config::Settings;
use xunjiu_server::{AppState, app};

/// A fixed "now" for tests: 15 December 2026, 10:00 in Tai'an, inside the winter campaign.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 15, 2, 0, 0).unwrap()
}

/// Places with known answers.
pub mod places {
    /// (lat, lon) of the Xintai county seat: routes to `xintai`.
    pub const XINTAI_CENTRE: (f64, f64) = (35.9104, 117.7602);
    /// Eight metres from the 泰山站 hotspot: routes to `taian`.
    pub const TAISHAN_STATION: (f64, f64) = (36.1866, 117.1032);
    /// Feicheng county seat.
    pub const FEICHENG_CENTRE: (f64, f64) = (36.1855, 116.7580);
    /// A field in 东平县 far from any hotspot.
    pub const DONGPING_FIELD: (f64, f64) = (35.9800, 116.3500);
    pub const BEIJING: (f64, f64) = (39.9042, 116.4074);
}

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: PgPool,
    pub clock: ManualClock,
    pub state: AppState,
    client: reqwest::Client,
}

/// A logged-in account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: Uuid,
    pub username: String,
    pub token: String,
}

/// A response: status, content type, and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `error.code` of an error body.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }
}

impl TestApp {
    /// Seed the reference data, then start the server.
    pub async fn seeded(pool: PgPool) -> Self {
        Self::seeded_with(pool, Settings::default()).await
    }

    /// Seeded, with write limits out of the way (tests of large batches, not of limits).
    pub async fn unlimited(pool: PgPool) -> Self {
        let settings = Settings {
            writes_per_minute: 1_000_000,
            write_burst: 1_000_000,
            ..Settings::default()
        };
        Self::seeded_with(pool, settings).await
    }

    pub async fn seeded_with(pool: PgPool, settings: Settings) -> Self {
        seed::run(&pool, settings.service_margin_m)
            .await
            .expect("seeding");
        Self::start_with(pool, settings).await
    }

    /// Start the server on whatever the database holds.
    pub async fn start(pool: PgPool) -> Self {
        Self::start_with(pool, Settings::default()).await
    }

    pub async fn start_with(pool: PgPool, mut settings: Settings) -> Self {
        // One sealing key for every test, outside the checkout.
        settings
            .secret_key_file
            .get_or_insert_with(|| std::env::temp_dir().join("xunjiu-test-secret.key"));
        let clock = ManualClock::at(test_now());
        let state = AppState::load(pool.clone(), settings, Arc::new(clock.clone()))
            .await
            .expect("loading state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = app(state.clone());
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
        Self {
            addr,
            pool,
            clock,
            state,
            client: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn now(&self) -> DateTime<Utc> {
        use xunjiu_server::plumbing::clock::Clock;
        self.clock.now()
    }

    /// Create an account with `role` and log it in.
    pub async fn account(&self, role: Role, station: Option<&str>) -> Account {
        let username = format!(
            "{}-{}",
            xunjiu_server::rules::wire::name(&role),
            &Uuid::new_v4().simple().to_string()[..8]
        );
        self.account_named(role, station, &username).await
    }

    /// Like [`Self::account`], with a chosen username (the same officer on two servers).
    pub async fn account_named(
        &self,
        role: Role,
        station: Option<&str>,
        username: &str,
    ) -> Account {
        let agency = (role == Role::Patrol).then_some(Agency::Police);
        self.create_account(users::NewAccount {
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
            role,
            station: station.map(str::to_owned),
            agency,
            unit: agency.map(|_| "泰山区公安分局".to_owned()),
            county_code: None,
            // The test referrals come through 12345.
            channel: (role == Role::Hotline).then(|| "12345".to_owned()),
            township_code: None,
            village: None,
        })
        .await
    }

    /// Create the account as given and log it in.
    pub async fn create_account(&self, account: users::NewAccount) -> Account {
        let username = account.username.clone();
        users::add(&self.pool, account)
            .await
            .expect("creating an account");
        self.login(&username).await
    }

    /// Log an existing account in.
    pub async fn login(&self, username: &str) -> Account {
        let reply = self
            .post_anon(
                "/api/v1/auth/login",
                &json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "login: {:?}", reply.body);
        Account {
            id: reply.body["user"]["id"].as_str().unwrap().parse().unwrap(),
            username: username.to_owned(),
            token: reply.body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// A supervisor of one county (`--county CODE`).
    pub async fn county_supervisor(&self, county: &str) -> Account {
        let username = format!(
            "county-{county}-{}",
            &Uuid::new_v4().simple().to_string()[..6]
        );
        self.create_account(users::NewAccount {
            username,
            password: PASSWORD.to_owned(),
            role: Role::Supervisor,
            station: None,
            agency: None,
            unit: None,
            county_code: Some(county.to_owned()),
            channel: None,
            township_code: None,
            village: None,
        })
        .await
    }

    /// A hotline operator of `channel` (110, 12345).
    pub async fn hotline_of(&self, channel: &str) -> Account {
        let username = format!(
            "hotline{channel}-{}",
            &Uuid::new_v4().simple().to_string()[..6]
        );
        self.create_account(users::NewAccount {
            username,
            password: PASSWORD.to_owned(),
            role: Role::Hotline,
            station: None,
            agency: None,
            unit: None,
            county_code: None,
            channel: Some(channel.to_owned()),
            township_code: None,
            village: None,
        })
        .await
    }

    /// A township liaison (救助联络员) of `township`, in `county`.
    pub async fn liaison_of(&self, county: &str, township: &str) -> Account {
        let username = format!("liaison-{}", &Uuid::new_v4().simple().to_string()[..6]);
        self.create_account(users::NewAccount {
            username,
            password: PASSWORD.to_owned(),
            role: Role::Liaison,
            station: None,
            agency: None,
            unit: None,
            county_code: Some(county.to_owned()),
            channel: None,
            township_code: Some(township.to_owned()),
            village: Some("东关村".to_owned()),
        })
        .await
    }

    pub async fn patrol(&self) -> Account {
        self.account(Role::Patrol, None).await
    }

    pub async fn hotline(&self) -> Account {
        self.account(Role::Hotline, None).await
    }

    pub async fn duty(&self, station: &str) -> Account {
        self.account(Role::Duty, Some(station)).await
    }

    pub async fn supervisor(&self) -> Account {
        self.account(Role::Supervisor, None).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        reply(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn get_as(&self, who: &Account, path: &str) -> Reply {
        reply(
            self.client
                .get(self.url(path))
                .bearer_auth(&who.token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A JSON body sent with `method` as `who`.
    async fn send_json(
        &self,
        method: reqwest::Method,
        who: &Account,
        path: &str,
        body: &Value,
    ) -> Reply {
        let request = self.client.request(method, self.url(path));
        reply(
            request
                .bearer_auth(&who.token)
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, who: &Account, path: &str, body: &Value) -> Reply {
        self.send_json(reqwest::Method::POST, who, path, body).await
    }

    pub async fn put(&self, who: &Account, path: &str, body: &Value) -> Reply {
        self.send_json(reqwest::Method::PUT, who, path, body).await
    }

    pub async fn patch(&self, who: &Account, path: &str, body: &Value) -> Reply {
        self.send_json(reqwest::Method::PATCH, who, path, body)
            .await
    }

    pub async fn post_anon(&self, path: &str, body: &Value) -> Reply {
        reply(
            self.client
                .post(self.url(path))
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post_raw(&self, who: &Account, path: &str, body: Vec<u8>) -> Reply {
        let req = self
            .client
            .post(self.url(path))
            .bearer_auth(&who.token)
            .header("content-type", "application/json")
            .body(body);
        reply(req.send().await.unwrap()).await
    }

    /// Rows in a table, counted in the database itself.
    pub async fn count(&self, table: &str, condition: &str) -> i64 {
        // Table names and conditions come from the tests themselves, never from input.
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from {table} where {condition}"
        )))
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }
}

/// A sighting body at `(lat, lon)`, observed a minute before `now`.
pub fn sighting(now: DateTime<Utc>, (lat, lon): (f64, f64)) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "observed_at": (now - Duration::minutes(1)).to_rfc3339(),
        "location": {"lat": lat, "lon": lon, "accuracy_m": 12.0},
        "people_count": 1,
        "categories": [],
        "action_taken": "informed_of_station",
        "notes": "sleeping under a coat"
    })
}

/// A hotline referral body at `(lat, lon)`.
pub fn referral(now: DateTime<Utc>, (lat, lon): (f64, f64)) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "channel": "12345",
        "external_ref": "TA-2026-0001",
        "reported_at": (now - Duration::minutes(2)).to_rfc3339(),
        "location": {"lat": lat, "lon": lon},
        "address_text": "泰山大街与灵山大街路口",
        "caller_phone": "13800138000",
        "people_count": 1,
        "categories": [],
        "description": "a man in a thin jacket, about 60"
    })
}

/// `body` with `field` set to `value`.
pub fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

async fn reply(res: reqwest::Response) -> Reply {
    let status = res.status();
    let headers = res.headers().clone();
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = res.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        headers,
        body,
    }
}
