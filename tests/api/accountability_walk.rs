//! Property: whatever officers try, in whatever order, a referral always has exactly one
//! accountable station, and the event log alone tells its status and who answers for it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::duty::{act, routed_referral};
use crate::helpers::TestApp;
use crate::helpers::places::XINTAI_CENTRE;

const STATIONS: [&str; 3] = ["xintai", "feicheng", "taian"];
const OUTCOMES: [&str; 7] = [
    "admitted_to_station",
    "escorted_home",
    "medical_transfer",
    "handed_to_police",
    "declined_help",
    "not_found",
    "other",
];

/// Status and accountable station as the event log tells them, folded independently of the
/// server's own columns.
fn fold(events: &[Value]) -> (String, String, String) {
    let (mut status, mut accountable, mut holder) = (String::new(), String::new(), String::new());
    for e in events {
        let station = e["station"].as_str().unwrap_or_default().to_owned();
        match e["kind"].as_str().unwrap() {
            "routed" => {
                accountable.clone_from(&station);
                holder = station;
            }
            "accepted" => {
                accountable.clone_from(&station);
                holder = station;
            }
            "transferred" => {
                let note = e["note"].as_str().unwrap();
                holder = note
                    .trim_start_matches("to ")
                    .split(':')
                    .next()
                    .unwrap()
                    .to_owned();
            }
            "transfer_refused" => holder.clone_from(&accountable),
            _ => {}
        }
        if let Some(to) = e["to_status"].as_str() {
            status = to.to_owned();
        }
    }
    (status, accountable, holder)
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn random_walks_never_leave_a_referral_without_exactly_one_accountable_station(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let supervisor = app.supervisor().await;
    let mut actors = vec![supervisor.clone(), app.patrol().await];
    let mut duty = std::collections::HashMap::new();
    for s in STATIONS {
        let officer = app.duty(s).await;
        duty.insert(s.to_owned(), officer.clone());
        actors.push(officer);
    }
    let mut rng = StdRng::seed_from_u64(0x5ea2_0209);
    let mut steps_taken = 0;
    let mut succeeded = 0;

    for _walk in 0..30 {
        let id = routed_referral(&app, XINTAI_CENTRE).await;
        let mut events_before = 2;
        let mut involved = vec!["xintai".to_owned()];
        let (mut status_now, mut pending_now) = ("routed".to_owned(), false);
        for _ in 0..15 {
            // Mostly someone of a station involved, so that many steps are legal; sometimes
            // anyone at all, so that refusals are exercised too.
            let who = if rng.random_bool(0.75) {
                &duty[&involved[rng.random_range(0..involved.len())]]
            } else {
                &actors[rng.random_range(0..actors.len())]
            };
            let natural = match (status_now.as_str(), pending_now) {
                (_, true) => [0, 6][rng.random_range(0..2)],
                ("routed", false) => [0, 5][rng.random_range(0..2)],
                ("accepted", _) => 1,
                ("en_route", _) => 2,
                ("on_scene", _) => 3,
                _ => 4,
            };
            let choice = if rng.random_bool(0.5) {
                natural
            } else {
                rng.random_range(0..7)
            };
            let (step, body) = match choice {
                0 => ("accept", json!({})),
                1 => ("en-route", json!({})),
                2 => ("on-scene", json!({})),
                3 => (
                    "resolve",
                    json!({"outcome": OUTCOMES[rng.random_range(0..OUTCOMES.len())]}),
                ),
                4 => ("close", json!({})),
                5 => (
                    "transfer",
                    json!({"to_station": STATIONS[rng.random_range(0..3)], "reason": "walk"}),
                ),
                _ => ("refuse-transfer", json!({"reason": "walk"})),
            };

            let reply = act(&app, who, &id, step, body).await;

            steps_taken += 1;
            assert!(
                reply.status.is_success() || reply.status.is_client_error(),
                "{step}: {}",
                reply.status
            );
            let now = app
                .get_as(&supervisor, &format!("/api/v1/referrals/{id}"))
                .await
                .body;
            let events = now["events"].as_array().unwrap();
            let expected_events = events_before + usize::from(reply.status.is_success());
            assert_eq!(
                events.len(),
                expected_events,
                "{step} by {}: one event per step taken",
                who.username
            );
            events_before = expected_events;
            if reply.status.is_success() {
                succeeded += 1;
            }

            let accountable = now["accountable_station"].as_str().unwrap();
            let holder = now["station"]["code"].as_str().unwrap();
            assert!(STATIONS.contains(&accountable));
            let (status, folded_accountable, folded_holder) = fold(events);
            assert_eq!(
                now["status"].as_str().unwrap(),
                status.as_str(),
                "status from the log"
            );
            assert_eq!(
                accountable, folded_accountable,
                "accountable station from the log"
            );
            assert_eq!(holder, folded_holder, "holding station from the log");
            assert_eq!(
                now["pending_transfer_to"].is_string(),
                holder != accountable
            );
            involved = vec![accountable.to_owned(), holder.to_owned()];
            status_now = status;
            pending_now = holder != accountable;
        }
    }
    let one_row_each: i64 = sqlx::query_scalar(
        "select count(*) from referrals where accountable_station is not null and (pending_transfer = (station_code <> accountable_station))",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(one_row_each, 30);
    assert!(
        succeeded > 100,
        "the walk exercised real transitions ({succeeded} of {steps_taken})"
    );
}
