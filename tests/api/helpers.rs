//! A running server on 127.0.0.1:0 against the test's own database, and an HTTP client for it.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use xunjiu_server::clock::ManualClock;
use xunjiu_server::config::Settings;
use xunjiu_server::{AppState, app, seed};

/// A fixed "now" for tests: 15 December 2026, 10:00 in Tai'an, inside the winter campaign.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 15, 2, 0, 0).unwrap()
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: PgPool,
    pub state: AppState,
    client: reqwest::Client,
}

/// A response: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
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
        seed::run(&pool, Settings::default().service_margin_m)
            .await
            .expect("seeding");
        Self::start(pool).await
    }

    /// Start the server on whatever the database holds.
    pub async fn start(pool: PgPool) -> Self {
        let clock = ManualClock::at(test_now());
        let state = AppState::load(pool.clone(), Settings::default(), Arc::new(clock))
            .await
            .expect("loading state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = app(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            addr,
            pool,
            state,
            client: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> Reply {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        reply(res).await
    }
}

async fn reply(res: reqwest::Response) -> Reply {
    let status = res.status();
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = res.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        body,
    }
}
