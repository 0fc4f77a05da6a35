#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! The real binary as it is deployed: HTTPS with a certificate of the test's own, a bounded
//! shutdown with event streams open, `serve` as a role without schema rights, and a database
//! reached over TLS with `sslmode=verify-full`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use sqlx::PgPool;

mod support;
use support::{database_url, serve};

/// A CA, and a server certificate for `localhost` / 127.0.0.1 it signed, as PEM files in a
/// fresh folder: `(folder, ca_pem)`.
fn certificates() -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("xunjiu-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Xunjiu test CA");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    (dir, ca.pem())
}

async fn seed_and_account(url: &str, username: &str, role: &str, extra: &[&str]) {
    let exe = env!("CARGO_BIN_EXE_xunjiu");
    let seeded = Command::new(exe)
        .arg("seed")
        .env("DATABASE_URL", url)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(seeded.success());
    let added = Command::new(exe)
        .args(["users", "add", "--username", username, "--role", role])
        .args(extra)
        .env("DATABASE_URL", url)
        .env("XUNJIU_PASSWORD", "a long passphrase")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(added.success());
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> String {
    let answer: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": "a long passphrase"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"].as_str().expect("a token").to_owned()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_binary_speaks_https_with_the_operators_certificate_and_sends_hsts(pool: PgPool) {
    let url = database_url(&pool);
    let (dir, ca) = certificates();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let server = serve(
        &url,
        &[
            ("XUNJIU_TLS_CERT", cert.to_str().unwrap()),
            ("XUNJIU_TLS_KEY", key.to_str().unwrap()),
        ],
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
        .build()
        .unwrap();

    let health = trusting
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .unwrap();
    let untrusting = reqwest::Client::new()
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await;
    let plain = reqwest::Client::new()
        .get(format!("http://localhost:{port}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;

    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(
        health.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    assert!(
        untrusting.is_err(),
        "a certificate the client does not trust"
    );
    assert!(
        plain.map_or(true, |r| !r.status().is_success()),
        "no plain HTTP on the TLS port"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn sigterm_ends_open_event_streams_and_the_process_within_the_grace_period(pool: PgPool) {
    let url = database_url(&pool);
    seed_and_account(&url, "duty.xintai", "duty", &["--station", "xintai"]).await;
    let mut server = serve(&url, &[("XUNJIU_SHUTDOWN_GRACE_S", "10")]);
    let client = reqwest::Client::new();
    let token = login(&client, &server.base, "duty.xintai").await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        let response = client
            .get(format!(
                "{}/api/v1/stations/xintai/queue/events",
                server.base
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let mut body = response.bytes_stream();
        let first = body.next().await.unwrap().unwrap();
        assert!(String::from_utf8_lossy(&first).contains("ready"));
        streams.push(body);
    }

    let asked = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for mut body in streams {
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(_)) = body.next().await {}
        })
        .await;
        assert!(ended.is_ok(), "an open stream ends at shutdown");
    }
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(asked.elapsed() < Duration::from_secs(15), "still running");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    assert!(status.success(), "{status}");
    assert!(
        asked.elapsed() < Duration::from_secs(12),
        "exited in {:?}",
        asked.elapsed()
    );
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains("shutting down") && log.contains("shut down"));
}

/// The application role of `scripts/app-role.sql`, made for the test's database with psql.
fn app_role(url: &str, role: &str) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/app-role.sql");
    let made = Command::new("psql")
        .args([url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v"])
        .arg(format!("app={role}"))
        .args(["-f", script])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success(), "psql -f scripts/app-role.sql");
    url.replacen("://postgres@", &format!("://{role}@"), 1)
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn serve_runs_as_a_role_that_writes_rows_but_cannot_change_the_schema(pool: PgPool) {
    let url = database_url(&pool);
    seed_and_account(&url, "patrol.li", "patrol", &["--agency", "police"]).await;
    let app_url = app_role(&url, "xunjiu_app_test");

    let server = serve(&app_url, &[("XUNJIU_MIGRATE_ON_START", "false")]);
    let client = reqwest::Client::new();
    let token = login(&client, &server.base, "patrol.li").await;
    let report = client
        .post(format!("{}/api/v1/sightings", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "id": uuid::Uuid::new_v4(), "observed_at": chrono::Utc::now().to_rfc3339(),
            "location": {"lat": 35.9104, "lon": 117.7602}, "people_count": 1, "categories": ["elderly"],
            "action_taken": "informed_of_station"}))
        .send()
        .await
        .unwrap();
    let as_app = sqlx::PgPool::connect(&app_url).await.unwrap();
    let alter = sqlx::query("alter table referrals add column sneaky text")
        .execute(&as_app)
        .await;
    let drop_trigger = sqlx::query("drop trigger referral_events_no_update on referral_events")
        .execute(&as_app)
        .await;
    let create = sqlx::query("create table sneaky (x int)")
        .execute(&as_app)
        .await;
    let migrating = Command::new(env!("CARGO_BIN_EXE_xunjiu"))
        .arg("migrate")
        .env("DATABASE_URL", &app_url)
        .stderr(Stdio::null())
        .status()
        .unwrap();

    assert_eq!(report.status().as_u16(), 201, "rows are written");
    for refused in [alter.err(), drop_trigger.err(), create.err()] {
        let err = refused.expect("refused").to_string();
        assert!(
            err.contains("must be owner") || err.contains("permission denied"),
            "{err}"
        );
    }
    assert!(
        !migrating.success(),
        "the application role cannot migrate either"
    );
}

/// `scripts/test` starts a PostgreSQL with `ssl = on` and a certificate of its own CA, and
/// names it here; elsewhere the test says how to run it.
fn tls_database_url() -> Option<String> {
    let url = std::env::var("XUNJIU_TLS_DATABASE_URL").ok();
    if url.is_none() {
        assert!(
            std::env::var_os("XUNJIU_REQUIRE_TLS_TEST").is_none(),
            "XUNJIU_TLS_DATABASE_URL is not set: scripts/tls-postgres starts one"
        );
        eprintln!("skipped: set XUNJIU_TLS_DATABASE_URL (scripts/tls-postgres) to run this test");
    }
    url
}

#[tokio::test]
async fn the_database_is_reached_over_tls_with_verify_full() {
    let Some(url) = tls_database_url() else {
        return;
    };
    let args = |url: &str| xunjiu_server::plumbing::config::DbArgs {
        database_url: url.to_owned(),
        db_max_connections: 2,
        db_acquire_timeout_s: 5,
    };
    let pool = xunjiu_server::plumbing::db::pool(&args(&url)).unwrap();

    let encrypted: bool =
        sqlx::query_scalar("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
            .fetch_one(&pool)
            .await
            .unwrap();
    // The certificate names localhost: the same server by its address fails the name check.
    let by_address = url.replacen("@localhost:", "@127.0.0.1:", 1);
    let wrong_name = xunjiu_server::plumbing::db::pool(&args(&by_address))
        .unwrap()
        .acquire()
        .await;
    // Without the CA, the server's certificate is not trusted.
    let no_root = url
        .split('&')
        .filter(|p| !p.starts_with("sslrootcert="))
        .collect::<Vec<_>>()
        .join("&");
    let untrusted = xunjiu_server::plumbing::db::pool(&args(&no_root))
        .unwrap()
        .acquire()
        .await;

    assert!(encrypted);
    assert!(wrong_name.is_err(), "verify-full checks the host name");
    assert!(untrusted.is_err(), "verify-full checks the certificate");
}
