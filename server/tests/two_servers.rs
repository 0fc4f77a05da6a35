#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! Two `xunjiu serve` processes on one database behave as one: a change made through one reaches
//! a console streaming from the other within 2 s, a token revoked through one stops working on
//! the other within seconds, and the workers of both (escalation, push delivery, retention, heat
//! rollups) do each piece of work once.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use sqlx::PgPool;

mod support;
use support::{database_url, serve};

const PASSWORD: &str = "two servers passphrase";

fn xunjiu(url: &str, args: &[&str]) {
    let ok = Command::new(env!("CARGO_BIN_EXE_xunjiu"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("XUNJIU_PASSWORD", PASSWORD)
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success(), "{args:?}");
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> String {
    let answer: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"].as_str().unwrap().to_owned()
}

fn referral() -> Value {
    json!({"id": uuid::Uuid::new_v4(), "channel": "12345",
           "reported_at": chrono::Utc::now() - chrono::Duration::minutes(1),
           "location": {"lat": 35.9104, "lon": 117.7602}, "people_count": 1, "categories": []})
}

#[sqlx::test(migrations = false)]
async fn two_servers_on_one_database_behave_as_one(pool: PgPool) {
    let url = database_url(&pool);
    xunjiu(&url, &["seed"]);
    xunjiu(
        &url,
        &[
            "users",
            "add",
            "--username",
            "duty",
            "--role",
            "duty",
            "--station",
            "xintai",
        ],
    );
    xunjiu(
        &url,
        &[
            "users",
            "add",
            "--username",
            "hotline",
            "--role",
            "hotline",
            "--channel",
            "12345",
        ],
    );
    // Deadlines of zero minutes: every referral is overdue at once, and both levels are due.
    let env = [
        ("XUNJIU_ACCEPT_MINUTES", "0"),
        ("XUNJIU_ACCEPT_URGENT_MINUTES", "0"),
        ("XUNJIU_ESCALATION_INTERVAL_S", "1"),
    ];
    let (a, b) = (serve(&url, &env), serve(&url, &env));
    let client = reqwest::Client::new();

    // A console streaming from B hears of a referral filed through A.
    let duty_on_b = login(&client, &b.base, "duty").await;
    let stream = client
        .get(format!("{}/api/v1/stations/xintai/queue/events", b.base))
        .bearer_auth(&duty_on_b)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut body = stream.bytes_stream();
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        while !seen.contains("event: ready") {
            seen.push_str(&String::from_utf8_lossy(
                &body.next().await.unwrap().unwrap(),
            ));
        }
    })
    .await
    .unwrap();
    let hotline_on_a = login(&client, &a.base, "hotline").await;
    let filed = client
        .post(format!("{}/api/v1/referrals", a.base))
        .bearer_auth(&hotline_on_a)
        .json(&referral())
        .send()
        .await
        .unwrap();
    assert_eq!(filed.status(), 201);
    let id = filed.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(2), async {
        while !seen.contains(&id) {
            seen.push_str(&String::from_utf8_lossy(
                &body.next().await.unwrap().unwrap(),
            ));
        }
    })
    .await
    .expect("the change reached the other server's stream within 2 s");
    assert!(started.elapsed() < Duration::from_secs(2));

    // Both servers' escalation workers race for the overdue referral: each level is written once.
    let escalated = |pool: PgPool, id: String| async move {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from referral_events where referral_id = $1::uuid and kind = 'escalated'",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while escalated(pool.clone(), id.clone()).await < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        escalated(pool.clone(), id.clone()).await,
        2,
        "level 1 and level 2, once each"
    );

    // A token revoked through A stops working on B within seconds.
    let token = login(&client, &a.base, "duty").await;
    let me = |base: String, token: String| {
        let client = client.clone();
        async move {
            client
                .get(format!("{base}/api/v1/auth/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(me(b.base.clone(), token.clone()).await, 200);
    let out = client
        .post(format!("{}/api/v1/auth/logout", a.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(out.status().is_success());
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut status = me(b.base.clone(), token.clone()).await;
    while status == 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = me(b.base.clone(), token.clone()).await;
    }
    assert_eq!(status, 401, "revoked on the other server too");
    drop((a, b));
}

/// A push service on loopback that counts what it is sent; its endpoint URL.
async fn push_service() -> (String, Arc<AtomicUsize>) {
    let received = Arc::new(AtomicUsize::new(0));
    let count = received.clone();
    let router = axum::Router::new().route(
        "/push/duty",
        axum::routing::post(move || {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::CREATED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/push/duty"), received)
}

/// Poll `count` until it reaches `want` or 15 s pass, then give a straggler 2 s more to show.
async fn settle<F, Fut>(want: i64, count: F) -> i64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = i64>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while count().await < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    count().await
}

async fn scalar(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn the_workers_of_two_servers_do_each_piece_of_work_once(pool: PgPool) {
    let url = database_url(&pool);
    xunjiu(&url, &["seed"]);
    for args in [
        &["--role", "duty", "--station", "xintai"][..],
        &["--role", "hotline", "--channel", "12345"],
        &["--role", "patrol", "--agency", "police"],
    ] {
        let mut all = vec!["users", "add", "--username", args[1]];
        all.extend_from_slice(args);
        xunjiu(&url, &all);
    }
    let client = reqwest::Client::new();
    let sighting = |minutes_ago: i64| {
        json!({"id": uuid::Uuid::new_v4(),
               "observed_at": chrono::Utc::now() - chrono::Duration::minutes(minutes_ago),
               "location": {"lat": 35.9104 + 0.01 * minutes_ago as f64 / 60.0, "lon": 117.7602},
               "people_count": 1, "categories": [], "action_taken": "informed_of_station",
               "notes": "asleep by the heating pipe"})
    };

    // Sightings old enough for retention, made before either server starts, so that both
    // servers' first retention passes race for them.
    {
        let first = serve(&url, &[]);
        let patrol = login(&client, &first.base, "patrol").await;
        for i in 0..6 {
            let made = client
                .post(format!("{}/api/v1/sightings", first.base))
                .bearer_auth(&patrol)
                .json(&sighting(60 + i))
                .send()
                .await
                .unwrap();
            assert_eq!(made.status(), 201);
        }
    }
    sqlx::query("update sightings set received_at = received_at - interval '400 days'")
        .execute(&pool)
        .await
        .unwrap();

    let env = [
        ("XUNJIU_PUSH_ALLOW_LOOPBACK", "true"),
        ("XUNJIU_RETENTION_DAYS", "365"),
    ];
    let (a, b) = (serve(&url, &env), serve(&url, &env));

    // Retention: each old sighting redacted, and its redaction recorded, once.
    let redacted = settle(6, || {
        scalar(
            &pool,
            "select count(*) from sighting_events where kind = 'redacted'",
        )
    })
    .await;
    assert_eq!(redacted, 6, "one redaction event per old sighting");
    assert_eq!(
        scalar(
            &pool,
            "select count(*) from sightings where redacted_at is not null and notes = ''"
        )
        .await,
        6
    );

    // Push: the duty officer's browser is told of each referral once, whichever server sends.
    let (endpoint, received) = push_service().await;
    let duty = login(&client, &b.base, "duty").await;
    // The P-256 base point: a valid public key that needs no key generation here.
    let p256dh =
        "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU";
    let subscribed = client
        .post(format!("{}/api/v1/push/subscriptions", b.base))
        .bearer_auth(&duty)
        .json(&json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": "AAECAwQFBgcICQoLDA0ODw"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(subscribed.status(), 201, "{:?}", subscribed.text().await);
    let hotline = (
        login(&client, &a.base, "hotline").await,
        login(&client, &b.base, "hotline").await,
    );
    for i in 0..8 {
        let (base, token) = if i % 2 == 0 {
            (&a.base, &hotline.0)
        } else {
            (&b.base, &hotline.1)
        };
        let filed = client
            .post(format!("{base}/api/v1/referrals"))
            .bearer_auth(token)
            .json(&referral())
            .send()
            .await
            .unwrap();
        assert_eq!(filed.status(), 201);
    }
    let queued = scalar(&pool, "select count(*) from push_outbox").await;
    assert!(queued >= 8, "a push per referral at least, {queued} queued");
    let delivered = settle(queued, || {
        scalar(
            &pool,
            "select count(*) from push_outbox where delivered_at is not null",
        )
    })
    .await;
    assert_eq!(delivered, queued, "every notification delivered");
    assert_eq!(
        received.load(Ordering::SeqCst) as i64,
        queued,
        "and each sent once"
    );
    assert_eq!(
        scalar(
            &pool,
            "select coalesce(max(attempts), 0)::int8 from push_outbox"
        )
        .await,
        1
    );

    // Rollups: sightings through both servers are counted in the heat-map once each.
    let patrol = (
        login(&client, &a.base, "patrol").await,
        login(&client, &b.base, "patrol").await,
    );
    for i in 0..20 {
        let (base, token) = if i % 2 == 0 {
            (&a.base, &patrol.0)
        } else {
            (&b.base, &patrol.1)
        };
        let made = client
            .post(format!("{base}/api/v1/sightings"))
            .bearer_auth(token)
            .json(&sighting(i))
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), 201);
    }
    let emptied = settle(0, || async {
        -scalar(&pool, "select count(*) from heat_inbox").await
    })
    .await;
    assert_eq!(emptied, 0, "the inbox is emptied");
    assert_eq!(
        scalar(
            &pool,
            "select coalesce(sum(reports), 0)::int8 from heat_cells where layer = 'sightings' and resolution = 9"
        )
        .await,
        scalar(&pool, "select count(*) from sightings").await,
        "each sighting counted once in the daily rollup"
    );
    drop((a, b));
}
