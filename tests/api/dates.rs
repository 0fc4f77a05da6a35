//! Dates at the edges (issue 28, 8): a date of something that happened outside 2000-01-01 …
//! tomorrow is 422, a date in a query or a plan outside 2000 … 2100 is 400 `invalid_time`, a row
//! already stored far out never breaks a read, and no date anywhere makes a 500.

use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::places::*;
use crate::helpers::{Account, TestApp};

/// Dates a fuzzer would try first, then random ones over chrono's whole range (and past it).
fn extreme_dates(samples: usize) -> Vec<String> {
    let mut dates: Vec<String> = [
        "+262142-12-31",
        "-262143-01-01",
        "0000-01-01",
        "0001-01-01",
        "1899-12-31",
        "1999-12-31",
        "2000-01-01",
        "2100-12-31",
        "2101-01-01",
        "9999-12-31",
        "+300000-01-01",
        "2026-02-30",
        "2026-13-01",
        "",
        "today",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut rng = rand::rngs::StdRng::seed_from_u64(28);
    for _ in 0..samples {
        let year: i32 = rng.random_range(-300_000..300_000);
        let month: u32 = rng.random_range(1..=12);
        let day: u32 = rng.random_range(1..=28);
        dates.push(if (0..10_000).contains(&year) {
            format!("{year:04}-{month:02}-{day:02}")
        } else {
            format!("{year:+}-{month:02}-{day:02}")
        });
    }
    dates
}

fn instant(date: &str) -> String {
    format!("{date}T03:00:00Z")
}

async fn person(app: &TestApp, duty: &Account) -> String {
    let body = json!({"id": Uuid::new_v4(), "name": "日期", "sex": "female", "age_estimate": 70});
    let reply = app.post(duty, "/api/v1/people", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

fn never_a_server_error(what: &str, reply: &crate::helpers::Reply) {
    assert!(
        reply.status.is_success() || reply.status.is_client_error(),
        "{what}: {} {:?}",
        reply.status,
        reply.body
    );
    // Open311 answers its own error shape; ours carry a code.
    if reply.status.is_client_error() && !what.starts_with("/open311") {
        assert!(
            reply.body["error"]["code"].is_string(),
            "{what}: {:?}",
            reply.body
        );
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_return_dated_far_out_is_refused_and_a_stored_one_breaks_no_read(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let duty = app.duty("xintai").await;
    let id = person(&app, &duty).await;
    let path = format!("/api/v1/people/{id}/returns");
    for bad in ["+262142-12-31", "1999-12-31", "2026-12-17"] {
        let reply = app.post(&duty, &path, &json!({"returned_on": bad})).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(reply.error_code(), "invalid_date", "{bad}");
    }
    assert_eq!(app.count("returns", "true").await, 0, "nothing stored");
    let tomorrow = app
        .post(&duty, &path, &json!({"returned_on": "2026-12-16"}))
        .await;
    assert_eq!(tomorrow.status, StatusCode::CREATED, "{:?}", tomorrow.body);

    // A row stored before the check, at the last day chrono can hold.
    sqlx::query("update returns set returned_on = '262142-12-31'")
        .execute(&app.pool)
        .await
        .unwrap();
    for read in [
        "/api/v1/returns".to_owned(),
        "/api/v1/returns?format=csv".to_owned(),
        "/api/v1/revisits/due?before=2100-12-31".to_owned(),
        format!("/api/v1/people/{id}"),
    ] {
        let reply = app.get_as(&duty, &read).await;
        assert_eq!(reply.status, StatusCode::OK, "{read}: {:?}", reply.body);
    }

    for (query, code) in [
        ("/api/v1/revisits/due?before=2101-01-01", "invalid_time"),
        ("/api/v1/revisits/due?before=1999-12-31", "invalid_time"),
        ("/api/v1/revisits/due?before=someday", "invalid_date"),
        ("/api/v1/returns?from=%2B262142-12-31", "invalid_time"),
        (
            "/api/v1/referrals?from=9999-01-01T00:00:00Z",
            "invalid_time",
        ),
    ] {
        let reply = app.get_as(&duty, query).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.error_code(), code, "{query}");
    }
    let city = app.supervisor().await;
    let annex = app
        .get_as(&city, "/api/v1/reports/annex1?as_of=2101-01-01")
        .await;
    assert_eq!(annex.error_code(), "invalid_time");
    let tracing = app
        .post(
            &duty,
            &format!("/api/v1/people/{id}/tracing"),
            &json!({"id": Uuid::new_v4(), "step": "notice_published", "at": "1999-12-31T12:00:00Z"}),
        )
        .await;
    assert_eq!(tracing.error_code(), "invalid_date");
    let alert = app
        .post(
            &city,
            "/api/v1/alerts",
            &json!({"id": Uuid::new_v4(), "kind": "cold_wave", "counties": ["370982"],
                    "starts_at": "2101-01-01T00:00:00Z", "ends_at": "2101-01-02T00:00:00Z"}),
        )
        .await;
    assert_eq!(alert.status, StatusCode::BAD_REQUEST);
    assert_eq!(alert.error_code(), "invalid_time");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn no_date_sent_to_any_endpoint_that_takes_one_makes_a_server_error(pool: PgPool) {
    let app = TestApp::unlimited(pool).await;
    let duty = app.duty("xintai").await;
    let city = app.supervisor().await;
    let patrol = app.patrol().await;
    let hotline = app.hotline().await;
    let id = person(&app, &duty).await;
    let hotspots = app.get_as(&patrol, "/api/v1/hotspots").await;
    let hotspot = hotspots.body["hotspots"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (lat, lon) = XINTAI_CENTRE;
    let location = json!({"lat": lat, "lon": lon, "accuracy_m": 10.0});

    for date in extreme_dates(40) {
        let at = instant(&date);
        let enc = |s: &str| s.replace('+', "%2B");
        for query in [
            format!("/api/v1/revisits/due?before={}", enc(&date)),
            format!("/api/v1/returns?from={}&to={}", enc(&date), enc(&date)),
            format!("/api/v1/reports/annex1?as_of={}", enc(&date)),
            format!("/api/v1/reports/annex1/status?as_of={}", enc(&date)),
            format!("/api/v1/referrals?from={}", enc(&at)),
            format!("/api/v1/sightings?to={}", enc(&at)),
            format!("/api/v1/incidents?from={}", enc(&at)),
            format!("/api/v1/audit/access?from={}", enc(&at)),
            format!("/api/v1/accountability?from={}", enc(&at)),
            format!("/api/v1/heatmap?from={}&to=2026-12-15T00:00:00Z", enc(&at)),
            format!("/open311/v2/requests.json?start_date={}", enc(&at)),
        ] {
            never_a_server_error(&query, &app.get_as(&city, &query).await);
        }
        let writes: Vec<(&Account, String, Value)> = vec![
            (
                &duty,
                format!("/api/v1/people/{id}/returns"),
                json!({"returned_on": date}),
            ),
            (
                &duty,
                format!("/api/v1/people/{id}/tracing"),
                json!({"id": Uuid::new_v4(), "step": "media_search", "at": at}),
            ),
            (
                &duty,
                format!("/api/v1/people/{id}/revisits"),
                json!({"id": Uuid::new_v4(), "at": at, "outcome": "at_home"}),
            ),
            (
                &city,
                "/api/v1/alerts".to_owned(),
                json!({"id": Uuid::new_v4(), "kind": "cold_wave", "counties": ["370982"],
                    "starts_at": at, "ends_at": "2026-12-16T00:00:00Z"}),
            ),
            (
                &duty,
                "/api/v1/incidents".to_owned(),
                json!({"id": Uuid::new_v4(), "kind": "other", "occurred_at": at, "location": location,
                    "station": "xintai", "description": "x"}),
            ),
            (
                &patrol,
                "/api/v1/sightings".to_owned(),
                json!({"id": Uuid::new_v4(), "observed_at": at, "location": location, "people_count": 1,
                    "categories": [], "action_taken": "informed_of_station"}),
            ),
            (
                &hotline,
                "/api/v1/referrals".to_owned(),
                json!({"id": Uuid::new_v4(), "channel": "12345", "reported_at": at, "location": location,
                    "people_count": 1, "categories": []}),
            ),
            (
                &patrol,
                format!("/api/v1/hotspots/{hotspot}/checkins"),
                json!({"id": Uuid::new_v4(), "at": at, "location": location, "people_found": 0}),
            ),
        ];
        for (who, path, body) in writes {
            never_a_server_error(&path, &app.post(who, &path, &body).await);
        }
        // Whatever was taken, every read still answers.
        for read in [
            "/api/v1/returns",
            "/api/v1/revisits/due",
            "/api/v1/incidents",
            "/api/v1/alerts",
        ] {
            let reply = app.get_as(&city, read).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{read} after {date}: {:?}",
                reply.body
            );
        }
    }
}
