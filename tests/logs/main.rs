#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! Personal data never reaches the logs. A process of its own: the capturing subscriber is the
//! global one, so every thread's events reach it, whatever other tests do meanwhile.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use sqlx::PgPool;

use crate::helpers::places::*;
use crate::helpers::{PASSWORD, TestApp, referral, sighting, with};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn phones_descriptions_notes_passwords_and_tokens_are_never_logged(pool: PgPool) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("trace,sqlx=trace")
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    let app = TestApp::seeded(pool).await;
    let hotline = app.hotline().await;
    let officer = app.patrol().await;

    app.post(
        &hotline,
        "/api/v1/referrals",
        &with(
            with(
                referral(app.now(), XINTAI_CENTRE),
                "caller_phone",
                json!("13912345678"),
            ),
            "description",
            json!("MARKER-DESCRIPTION 白发老人"),
        ),
    )
    .await;
    app.post(
        &officer,
        "/api/v1/sightings",
        &with(
            with(
                sighting(app.now(), FEICHENG_CENTRE),
                "notes",
                json!("MARKER-NOTES 小女孩"),
            ),
            "categories",
            json!(["minor"]),
        ),
    )
    .await;
    app.post_anon(
        "/api/v1/auth/login",
        &json!({"username": "nobody", "password": "MARKER-PASSWORD"}),
    )
    .await;

    // Reads of personal fields, and their log, are not logged with what they showed.
    let duty = app.duty("xintai").await;
    app.get_as(&duty, "/api/v1/stations/xintai/queue").await;
    app.get_as(&duty, "/api/v1/sightings").await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("referral routed"), "the capture works");
    assert!(
        logs.contains("referral raised by a sighting"),
        "the capture works"
    );
    for secret in [
        "13912345678",
        "MARKER-DESCRIPTION",
        "白发老人",
        "MARKER-NOTES",
        "小女孩",
        "MARKER-PASSWORD",
        PASSWORD,
        &hotline.token,
        &officer.token,
    ] {
        assert!(!logs.contains(secret), "{secret:?} appeared in the logs");
    }
}
