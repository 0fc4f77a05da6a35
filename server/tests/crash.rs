#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! `kill -9` while phones write: after a restart every sighting that got a 2xx is stored, every
//! retry with the same id is answered without a duplicate, and every referral has its station.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::Mutex;

mod support;
use support::{database_url, serve};

fn sighting(i: usize) -> Value {
    // Every fifth is an elderly person, which raises an urgent referral in the same transaction.
    let categories = if i.is_multiple_of(5) {
        json!(["elderly"])
    } else {
        json!([])
    };
    json!({
        "id": uuid::Uuid::new_v4(),
        "observed_at": chrono::Utc::now().to_rfc3339(),
        "location": {"lat": 35.9104 + (i % 50) as f64 * 1e-4, "lon": 117.7602},
        "people_count": 1, "categories": categories, "action_taken": "informed_of_station",
    })
}

#[sqlx::test(migrations = false)]
async fn a_killed_server_loses_no_acknowledged_write_and_retries_make_no_duplicates(pool: PgPool) {
    let url = database_url(&pool);
    let exe = env!("CARGO_BIN_EXE_xunjiu");
    assert!(
        Command::new(exe)
            .arg("seed")
            .env("DATABASE_URL", &url)
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    );
    let added = Command::new(exe)
        .args([
            "users",
            "add",
            "--username",
            "phone",
            "--role",
            "patrol",
            "--agency",
            "police",
        ])
        .env("DATABASE_URL", &url)
        .env("XUNJIU_PASSWORD", "crash test passphrase")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(added.success());
    let mut server = serve(&url, &[]);
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"username": "phone", "password": "crash test passphrase"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();

    // Four phones write until 150 writes have been acknowledged, then the server is killed.
    let acknowledged = Arc::new(Mutex::new(Vec::<Value>::new()));
    let attempted = Arc::new(Mutex::new(Vec::<Value>::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let phones: Vec<_> = (0..4)
        .map(|_| {
            let (client, token, base) = (client.clone(), token.clone(), server.base.clone());
            let (acknowledged, attempted, next) =
                (acknowledged.clone(), attempted.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let body = sighting(next.fetch_add(1, Ordering::SeqCst));
                    attempted.lock().await.push(body.clone());
                    let res = client
                        .post(format!("{base}/api/v1/sightings"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status().is_success() => acknowledged.lock().await.push(body),
                        Ok(r) => panic!("unexpected {}", r.status()),
                        Err(_) => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().await.len() < 150 {
        tokio::task::yield_now().await;
    }
    server.child.kill().unwrap(); // SIGKILL: no graceful shutdown, no flushing
    server.child.wait().unwrap();
    futures::future::join_all(phones).await;

    let acknowledged = acknowledged.lock().await.clone();
    let attempted = attempted.lock().await.clone();
    let ids: Vec<uuid::Uuid> = acknowledged
        .iter()
        .map(|b| b["id"].as_str().unwrap().parse().unwrap())
        .collect();
    let stored: i64 = sqlx::query_scalar("select count(*) from sightings where id = any($1)")
        .bind(&ids)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        stored as usize,
        acknowledged.len(),
        "every 2xx survived the kill"
    );

    // The phones retry everything they ever sent, against the restarted server.
    let server = serve(&url, &[]);
    for body in &attempted {
        let res = client
            .post(format!("{}/api/v1/sightings", server.base))
            .bearer_auth(&token)
            .json(body)
            .send()
            .await
            .unwrap();
        assert!(
            matches!(res.status().as_u16(), 200 | 201),
            "retry answered {}",
            res.status()
        );
    }
    let sightings: i64 = sqlx::query_scalar("select count(*) from sightings")
        .fetch_one(&pool)
        .await
        .unwrap();
    let special = attempted
        .iter()
        .filter(|b| b["categories"].as_array().is_some_and(|c| !c.is_empty()))
        .count();
    let referrals: i64 = sqlx::query_scalar("select count(*) from referrals")
        .fetch_one(&pool)
        .await
        .unwrap();
    // A referral whose row committed without its timeline, or with a station other than its
    // sighting's, would be one the crash split.
    let broken: i64 = sqlx::query_scalar(
        "select count(*) from referrals r join sightings s on s.id = r.sighting_id
         where r.accountable_station <> s.station_code
            or (select count(*) from referral_events e
                where e.referral_id = r.id and e.kind in ('created', 'routed')) <> 2",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        sightings as usize,
        attempted.len(),
        "one row per id, however often it was sent"
    );
    assert_eq!(
        referrals as usize, special,
        "one referral per special sighting"
    );
    assert_eq!(
        broken, 0,
        "every referral has its sighting's station and its created and routed events"
    );
}
