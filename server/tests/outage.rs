#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! The database goes away under load: the real binary answers 503 `database_unavailable`
//! (never a 500), `/healthz` fails, nothing panics, and it recovers by itself when the database
//! returns. The outage is a proxy between server and PostgreSQL that cuts every connection and
//! refuses new ones, so the shared test cluster keeps serving the other tests.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

mod support;
use support::serve;

/// A TCP proxy to PostgreSQL that can be cut and restored. It runs on a runtime of its own, so
/// the test's blocking moments never stall the server's database traffic.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Dropping a runtime inside the test's own would block it.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Proxy {
    fn start(target: String) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links = Arc::new(Mutex::new(Vec::new()));
        let (up2, links2) = (up.clone(), links.clone());
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound); // as a stopped server would: the connection dies at once
                    continue;
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links2.lock().unwrap().push(link);
            }
        });
        Self {
            port,
            up,
            links,
            runtime: Some(runtime),
        }
    }

    /// Stop: every open connection is dropped and new ones die at once.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn sighting(i: usize) -> Value {
    json!({
        "id": uuid::Uuid::new_v4(),
        "observed_at": chrono::Utc::now().to_rfc3339(),
        "location": {"lat": 36.1866 + (i % 40) as f64 * 1e-4, "lon": 117.1032},
        "people_count": 1,
        "categories": if i.is_multiple_of(7) { json!(["ill_or_injured"]) } else { json!([]) },
        "action_taken": "informed_of_station",
    })
}

/// What the phones saw: (status, error code) per write, and the bodies acknowledged.
#[derive(Default)]
struct Seen {
    answers: Vec<(u16, String)>,
    acknowledged: Vec<Value>,
    refused: Vec<Value>,
}

async fn wait_for(what: &str, mut ok: impl AsyncFnMut() -> bool) {
    for _ in 0..300 {
        if ok().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gave up waiting: {what}");
}

#[sqlx::test(migrations = false)]
async fn a_lost_database_means_503_and_the_server_recovers_by_itself(pool: PgPool) {
    let options = pool.connect_options();
    let name = options.get_database().unwrap().to_owned();
    let direct = format!(
        "postgres://{}@{}:{}/{name}",
        options.get_username(),
        options.get_host(),
        options.get_port()
    );
    let exe = env!("CARGO_BIN_EXE_xunjiu");
    let quiet = |args: &[&str]| {
        Command::new(exe)
            .args(args)
            .env("DATABASE_URL", &direct)
            .env("XUNJIU_PASSWORD", "outage test passphrase")
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    assert!(quiet(&["seed"]));
    assert!(quiet(&[
        "users",
        "add",
        "--username",
        "phone",
        "--role",
        "patrol",
        "--agency",
        "police"
    ]));

    let proxy = Proxy::start(format!("{}:{}", options.get_host(), options.get_port()));
    let via_proxy = format!(
        "postgres://{}@127.0.0.1:{}/{name}",
        options.get_username(),
        proxy.port
    );
    let server = serve(&via_proxy, &[("XUNJIU_DB_ACQUIRE_TIMEOUT_S", "1")]);
    let client = reqwest::Client::new();
    let health = |client: reqwest::Client, base: String| async move {
        let res = client.get(format!("{base}/healthz")).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap())
    };
    let login: Value = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"username": "phone", "password": "outage test passphrase"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    assert_eq!(health(client.clone(), server.base.clone()).await.0, 200);

    // Four phones write until told to stop.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let phones: Vec<_> = (0..4)
        .map(|_| {
            let (client, token, base) = (client.clone(), token.clone(), server.base.clone());
            let (seen, stop, next) = (seen.clone(), stop.clone(), next.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let body = sighting(next.fetch_add(1, Ordering::SeqCst));
                    let res = client
                        .post(format!("{base}/api/v1/sightings"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .expect("the server stays up");
                    let status = res.status().as_u16();
                    let reply: Value = res.json().await.unwrap_or(Value::Null);
                    let code = reply["error"]["code"].as_str().unwrap_or("").to_owned();
                    let mut seen = seen.lock().unwrap();
                    seen.answers.push((status, code));
                    if status == 201 {
                        seen.acknowledged.push(body);
                    } else {
                        seen.refused.push(body);
                    }
                }
            })
        })
        .collect();
    let acknowledged = || seen.lock().unwrap().acknowledged.len();
    wait_for("writes before the outage", async || acknowledged() >= 40).await;

    proxy.cut();
    wait_for("503 database_unavailable under load", async || {
        seen.lock()
            .unwrap()
            .answers
            .iter()
            .any(|(s, c)| *s == 503 && c == "database_unavailable")
    })
    .await;
    let (status, body) = health(client.clone(), server.base.clone()).await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "database_unavailable");
    let during = seen.lock().unwrap().answers.len();
    wait_for("more writes refused during the outage", async || {
        seen.lock().unwrap().answers.len() >= during + 8
    })
    .await;

    proxy.restore();
    let before = acknowledged();
    wait_for("healthz recovers", async || {
        health(client.clone(), server.base.clone()).await.0 == 200
    })
    .await;
    wait_for("writes succeed again", async || {
        acknowledged() >= before + 20
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    futures::future::join_all(phones).await;

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let statuses: std::collections::BTreeSet<u16> = seen.answers.iter().map(|a| a.0).collect();
    assert_eq!(
        statuses,
        [201, 503].into(),
        "only committed or unavailable, never a 500"
    );
    assert!(
        seen.answers
            .iter()
            .all(|(s, c)| *s != 503 || c == "database_unavailable")
    );

    // Every acknowledged write is stored; a refused one retried now is stored exactly once.
    let ids = |bodies: &[Value]| -> Vec<uuid::Uuid> {
        bodies
            .iter()
            .map(|b| b["id"].as_str().unwrap().parse().unwrap())
            .collect()
    };
    let stored: i64 = sqlx::query_scalar("select count(*) from sightings where id = any($1)")
        .bind(ids(&seen.acknowledged))
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored as usize, seen.acknowledged.len());
    for body in &seen.refused {
        let res = client
            .post(format!("{}/api/v1/sightings", server.base))
            .bearer_auth(&token)
            .json(body)
            .send()
            .await
            .unwrap();
        assert!(matches!(res.status().as_u16(), 200 | 201));
    }
    let total: i64 = sqlx::query_scalar("select count(*) from sightings")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(total as usize, seen.acknowledged.len() + seen.refused.len());
    let log = server.log.lock().unwrap().join("\n");
    assert!(!log.contains("panicked"), "{log}");
    assert!(log.contains("database unavailable"));
}
