//! Plain reports that arrive together are written by one statement: each is still stored
//! exactly once, answered only when committed, and a row the database refuses fails alone.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;
use xunjiu_server::features::sightings::db::Insert;
use xunjiu_server::features::sightings::db::NewRow;
use xunjiu_server::features::sightings::writer::write_group;
use xunjiu_server::plumbing::error::ApiError;
use xunjiu_server::rules::geo::GeoPoint;

use crate::helpers::places::*;
use crate::helpers::{TestApp, sighting, with};

fn insert(app: &TestApp, reporter: Uuid, station: &str) -> Insert {
    let (lat, lon) = XINTAI_CENTRE;
    Insert {
        reporter,
        received_at: app.now(),
        row: NewRow {
            id: Uuid::new_v4(),
            observed_at: app.now() - Duration::minutes(5),
            point: GeoPoint::new(lat, lon).unwrap(),
            accuracy_m: Some(10.0),
            people_count: 1,
            categories: Vec::new(),
            action_taken: "informed_of_station".to_owned(),
            notes: String::new(),
            station_code: station.to_owned(),
            distance_m: 12.0,
            area_code: None,
            hotspot_id: None,
            request_hash: vec![7; 32],
            items_given: json!([]),
            h3_r9: None,
        },
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_row_the_database_refuses_fails_alone_and_a_repeated_id_is_written_once(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let good = insert(&app, officer.id, "xintai");
    // No such station: the foreign key refuses it, and with it the grouped statement.
    let refused = insert(&app, officer.id, "nowhere");
    let group = [
        good.clone(),
        insert(&app, officer.id, "taian"),
        refused,
        good.clone(),
        insert(&app, officer.id, "feicheng"),
    ];

    let results = write_group(&app.pool, &group).await;

    let stored: Vec<Option<Uuid>> = results
        .iter()
        .map(|r| r.as_ref().ok().and_then(|row| row.as_ref().map(|s| s.id)))
        .collect();
    assert_eq!(stored[0], Some(group[0].row.id));
    assert_eq!(stored[1], Some(group[1].row.id));
    assert!(matches!(results[2], Err(ApiError::Internal(_))));
    assert!(matches!(results[3], Ok(None)), "a repeat is stored once");
    assert_eq!(stored[4], Some(group[4].row.id));
    assert_eq!(app.count("sightings", "true").await, 3);
    assert_eq!(app.count("sightings", "station_code = 'nowhere'").await, 0);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn in_a_group_an_id_stored_before_answers_none_and_the_new_ones_are_stored(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officer = app.patrol().await;
    let earlier = insert(&app, officer.id, "xintai");
    write_group(&app.pool, std::slice::from_ref(&earlier)).await;
    let group = [
        insert(&app, officer.id, "taian"),
        earlier,
        insert(&app, officer.id, "taian"),
    ];

    let results = write_group(&app.pool, &group).await;

    assert!(
        matches!(&results[0], Ok(Some(row)) if row.id == group[0].row.id && row.reporter == officer.username)
    );
    assert!(matches!(results[1], Ok(None)));
    assert!(matches!(&results[2], Ok(Some(row)) if row.station_code == "taian"));
    assert_eq!(app.count("sightings", "true").await, 3);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn forty_reports_at_once_and_three_copies_of_one_are_each_stored_once(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let officers = [app.patrol().await, app.patrol().await, app.patrol().await];
    let copied = sighting(app.now(), TAISHAN_STATION);
    let mut sends = Vec::new();
    for n in 0..40 {
        let body = with(
            sighting(app.now(), FEICHENG_CENTRE),
            "people_count",
            json!(n % 5 + 1),
        );
        sends.push((&officers[n % 3], body));
    }
    for _ in 0..3 {
        sends.push((&officers[0], copied.clone()));
    }

    // All in flight at once, each on its own connection.
    let replies = futures::future::join_all(
        sends
            .iter()
            .map(|(who, body)| app.post(who, "/api/v1/sightings", body)),
    )
    .await;

    for ((_, body), reply) in sends.iter().zip(&replies).take(40) {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.body["id"], body["id"]);
        assert_eq!(reply.body["people_count"], body["people_count"]);
        assert_eq!(reply.body["station"]["code"], "feicheng");
    }
    let copies = &replies[40..];
    let created: Vec<_> = copies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .collect();
    let replayed: Vec<_> = copies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .collect();
    assert_eq!((created.len(), replayed.len()), (1, 2));
    for r in replayed {
        assert_eq!(
            r.body, created[0].body,
            "a replay answers the stored record"
        );
    }
    assert_eq!(created[0].body["hotspot"]["kind"], "railway_station");
    assert_eq!(app.count("sightings", "true").await, 41);
    let changed = app
        .post(
            &officers[0],
            "/api/v1/sightings",
            &with(copied, "people_count", json!(9)),
        )
        .await;
    assert_eq!(changed.status, StatusCode::CONFLICT);
    assert_eq!(changed.error_code(), "id_conflict");
}
