//! A phone that was offline for days delivers its reports late, out of order, in odd batches
//! and more than once: the end state is the same as for one in-order delivery.

use chrono::Duration;
use mobile_api::Role;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{Connection, PgPool};

use crate::helpers::places::*;
use crate::helpers::{Account, TestApp, sighting, with};

/// A second database beside the test's own, for the second delivery; dropped on success.
struct Sibling {
    name: String,
    pool: PgPool,
}

impl Sibling {
    async fn create() -> Self {
        let master = std::env::var("DATABASE_URL").unwrap();
        // Test database names are long and mixed-case: PostgreSQL would fold and cut a suffixed
        // one (63 bytes) back onto the original.
        let name = format!("xunjiu_sibling_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&master).await.unwrap();
        for statement in [
            format!("drop database if exists {name} with (force)"),
            format!("create database {name}"),
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut admin)
                .await
                .unwrap();
        }
        let base = master.rsplit_once('/').unwrap().0;
        let pool = PgPool::connect(&format!("{base}/{name}")).await.unwrap();
        xunjiu_server::plumbing::db::MIGRATOR
            .run(&pool)
            .await
            .unwrap();
        Self { name, pool }
    }

    async fn drop_database(self) {
        self.pool.close().await;
        let mut admin = sqlx::PgConnection::connect(&std::env::var("DATABASE_URL").unwrap())
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "drop database if exists {} with (force)",
            self.name
        )))
        .execute(&mut admin)
        .await
        .unwrap();
    }
}

/// Sixty reports over the last six and a half days, across counties, hotspots and categories,
/// and two too old to accept; oldest first.
fn offline_week(app: &TestApp) -> Vec<Value> {
    let now = app.now();
    let places = [
        XINTAI_CENTRE,
        TAISHAN_STATION,
        FEICHENG_CENTRE,
        DONGPING_FIELD,
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261215);
    let mut items: Vec<Value> = (0..60)
        .map(|i| {
            let (lat, lon) = places[i % places.len()];
            let at = now - Duration::minutes(10 + (60 - i as i64) * 155);
            let mut body = sighting(at, (lat + rng.random_range(-0.002..0.002), lon));
            body["observed_at"] = json!((at - Duration::minutes(1)).to_rfc3339());
            body["people_count"] = json!(rng.random_range(1..4));
            body["categories"] = match i % 6 {
                0 => json!(["elderly"]),
                3 => json!(["minor", "ill_or_injured"]),
                _ => json!([]),
            };
            if i % 5 == 2 {
                body["action_taken"] = json!("referred");
            }
            if i % 4 == 1 {
                body["items_given"] = json!([{"item": "quilt", "count": 1}]);
            }
            body
        })
        .collect();
    for days in [8, 9] {
        items.insert(
            0,
            with(
                sighting(now - Duration::days(days), XINTAI_CENTRE),
                "people_count",
                json!(2),
            ),
        );
    }
    items
}

async fn phone(app: &TestApp) -> Account {
    app.account_named(Role::Patrol, None, "patrol-offline-phone")
        .await
}

/// Everything a reader can see of the outcome, without what the server made up on its own
/// (referral ids are random) and in a stable order.
async fn end_state(app: &TestApp) -> Value {
    let supervisor = app
        .account_named(Role::Supervisor, None, "supervisor-reader")
        .await;
    let mut sightings = app
        .get_as(&supervisor, "/api/v1/sightings?limit=1000")
        .await
        .body["sightings"]
        .as_array()
        .unwrap()
        .clone();
    for s in &mut sightings {
        if let Some(r) = s["referral"].as_object_mut() {
            r.remove("id");
        }
    }
    sightings.sort_by_key(|s| s["id"].as_str().unwrap().to_owned());
    let mut referrals = app
        .get_as(&supervisor, "/api/v1/referrals?limit=1000")
        .await
        .body["referrals"]
        .as_array()
        .unwrap()
        .clone();
    for r in &mut referrals {
        r.as_object_mut().unwrap().remove("id");
    }
    referrals.sort_by_key(|r| r["sighting_id"].as_str().unwrap_or("").to_owned());
    let heat = app
        .get_as(
            &supervisor,
            "/api/v1/heatmap?campaign=winter-2026&cell_m=250",
        )
        .await
        .body;
    let daily = app
        .get_as(
            &supervisor,
            "/api/v1/heatmap?from=2026-12-10T00:00:00Z&to=2026-12-13T07:00:00Z&cell_m=1000",
        )
        .await
        .body;
    let mut report = app
        .get_as(&supervisor, "/api/v1/reports/campaign?campaign=winter-2026")
        .await
        .body;
    report.as_object_mut().unwrap().remove("generated_at");
    json!({"sightings": sightings, "referrals": referrals, "heat": heat, "daily": daily, "report": report})
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn late_reordered_and_repeated_batches_end_as_one_in_order_delivery(pool: PgPool) {
    let sibling = Sibling::create().await;
    let in_order = TestApp::unlimited(pool).await;
    let scrambled = TestApp::unlimited(sibling.pool.clone()).await;
    let items = offline_week(&in_order);

    // One phone, in order, in batches of 25.
    let officer = phone(&in_order).await;
    for chunk in items.chunks(25) {
        let reply = in_order
            .post(
                &officer,
                "/api/v1/sightings/batch",
                &json!({"sightings": chunk}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }

    // The same phone elsewhere: shuffled, odd batch sizes, items repeated across batches, one
    // batch sent twice, a few sent one at a time, the oldest last.
    let officer = phone(&scrambled).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut order = items.clone();
    order.shuffle(&mut rng);
    let mut sent = 0;
    let mut last = Vec::new();
    while sent < order.len() {
        let size = rng.random_range(1..=17).min(order.len() - sent);
        let mut batch: Vec<Value> = order[sent..sent + size].to_vec();
        if sent > 0 {
            batch.push(order[rng.random_range(0..sent)].clone()); // already delivered
        }
        batch.shuffle(&mut rng);
        let reply = scrambled
            .post(
                &officer,
                "/api/v1/sightings/batch",
                &json!({"sightings": batch}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        last = batch;
        sent += size;
    }
    let again = scrambled
        .post(
            &officer,
            "/api/v1/sightings/batch",
            &json!({"sightings": last}),
        )
        .await;
    assert_eq!(again.body["created"], 0, "a repeated batch creates nothing");
    for item in items.iter().rev().take(5) {
        let single = scrambled.post(&officer, "/api/v1/sightings", item).await;
        assert_eq!(single.status, StatusCode::OK, "{:?}", single.body);
    }

    let expected = end_state(&in_order).await;
    let actual = end_state(&scrambled).await;
    assert_eq!(expected["sightings"].as_array().unwrap().len(), 60);
    let raising = items
        .iter()
        .skip(2)
        .filter(|i| i["categories"] != json!([]) || i["action_taken"] == "referred")
        .count();
    assert_eq!(expected["referrals"].as_array().unwrap().len(), raising);
    assert!(expected["heat"]["total"].as_i64().unwrap() >= 60);
    for part in ["sightings", "referrals", "heat", "daily", "report"] {
        assert_eq!(actual[part], expected[part], "{part} differ");
    }
    drop(scrambled);
    sibling.drop_database().await;
}
