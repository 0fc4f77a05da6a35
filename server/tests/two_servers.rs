#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! Two `xunjiu serve` processes on one database behave as one: a change made through one reaches
//! a console streaming from the other within 2 s, a token revoked through one stops working on
//! the other within seconds, and the escalation worker of both escalates each step once.

use std::process::{Command, Stdio};
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
