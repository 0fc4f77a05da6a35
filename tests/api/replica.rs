//! Heavy reads on a streaming replica: with `XUNJIU_READ_DATABASE_URL` naming a real standby of
//! the test server (`scripts/replica-postgres`), maps and reports run there (its
//! `pg_stat_activity` shows their queries), writes still land on the primary, and a replica that
//! is down is skipped without an error.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sqlx::PgPool;
use xunjiu_server::plumbing::config::Settings;

use crate::helpers::places::*;
use crate::helpers::{TestApp, referral};

fn replica_base() -> Option<String> {
    let url = std::env::var("XUNJIU_REPLICA_DATABASE_URL").ok();
    if url.is_none() {
        assert!(
            std::env::var_os("XUNJIU_REQUIRE_REPLICA_TEST").is_none(),
            "XUNJIU_REPLICA_DATABASE_URL is not set: scripts/replica-postgres starts one"
        );
        eprintln!(
            "skipped: set XUNJIU_REPLICA_DATABASE_URL (scripts/replica-postgres) to run this test"
        );
    }
    url
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn maps_and_reports_read_from_the_replica_and_fall_back_when_it_is_down(pool: PgPool) {
    let Some(base) = replica_base() else { return };
    let name = pool.connect_options().get_database().unwrap().to_owned();
    let replica_url = format!("{base}/{name}");
    let settings = Settings {
        read_database_url: Some(replica_url.clone()),
        ..Default::default()
    };
    let app = TestApp::seeded_with(pool, settings).await;
    let replica = app.state.replica.clone().expect("a replica is configured");
    // The standby replays the test's new database and its seed within moments.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !replica.check().await {
        assert!(Instant::now() < deadline, "the replica did not catch up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let hotline = app.hotline().await;
    let filed = app
        .post(
            &hotline,
            "/api/v1/referrals",
            &referral(app.now(), XINTAI_CENTRE),
        )
        .await;
    assert_eq!(
        filed.status,
        StatusCode::CREATED,
        "writes go to the primary"
    );
    let supervisor = app.supervisor().await;
    let standby = PgPool::connect(&replica_url).await.unwrap();
    // Lists read the replica too: the standby's own statistics count their scans.
    let scans = |table: &'static str| {
        let standby = standby.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) from pg_stat_user_tables where relname = $1",
            )
            .bind(table)
            .fetch_one(&standby)
            .await
            .unwrap()
        }
    };
    let before = (scans("referrals").await, scans("sightings").await);
    for path in ["/api/v1/referrals", "/api/v1/sightings"] {
        let reply = app.get_as(&supervisor, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while scans("referrals").await == before.0 || scans("sightings").await == before.1 {
        assert!(
            Instant::now() < deadline,
            "the lists scanned referrals and sightings on the standby"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for path in [
        "/api/v1/heatmap?campaign=winter-2026&layer=referrals",
        "/api/v1/reports/campaign?campaign=winter-2026",
        "/api/v1/accountability",
    ] {
        let reply = app.get_as(&supervisor, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
    }
    let seen: Vec<String> = sqlx::query_scalar(
        "select query from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
    )
    .fetch_all(&standby)
    .await
    .unwrap();
    assert!(
        seen.iter().any(|q| q.contains("heat_cells")
            || q.contains("referral_events")
            || q.contains("sightings")),
        "the reads ran on the replica: {seen:?}"
    );
    let in_recovery: bool = sqlx::query_scalar("select pg_is_in_recovery()")
        .fetch_one(&standby)
        .await
        .unwrap();
    assert!(in_recovery, "a standby takes no writes");

    // A replica that cannot be reached is skipped; reads go to the primary without an error.
    let down = Settings {
        read_database_url: Some("postgres://postgres@127.0.0.1:9/none".into()),
        ..Default::default()
    };
    let fallback = TestApp::start_with(app.pool.clone(), down).await;
    assert!(!fallback.state.replica.clone().unwrap().check().await);
    let supervisor = fallback.supervisor().await;
    let reply = fallback
        .get_as(
            &supervisor,
            "/api/v1/heatmap?campaign=winter-2026&layer=referrals",
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body["features"].as_array().unwrap().len(),
        1,
        "the primary's answer, the referral in it"
    );
}
