use sqlx::PgPool;
use xunjiu_server::features::seed;
use xunjiu_server::plumbing::config::Settings;

use crate::helpers::TestApp;

async fn count(pool: &PgPool, table: &str) -> i64 {
    // Table names come from the tests themselves, never from input.
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn seeding_twice_leaves_five_stations_and_six_areas(pool: PgPool) {
    let margin = Settings::default().service_margin_m;

    seed::run(&pool, margin).await.unwrap();
    seed::run(&pool, margin).await.unwrap();

    assert_eq!(count(&pool, "stations").await, 5);
    assert_eq!(count(&pool, "areas").await, 6);
    assert_eq!(count(&pool, "service_area").await, 1);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn every_area_is_answered_for_by_the_station_the_notice_names(pool: PgPool) {
    seed::run(&pool, Settings::default().service_margin_m)
        .await
        .unwrap();

    let pairs: Vec<(String, String)> =
        sqlx::query_as("select code, station_code from areas order by code")
            .fetch_all(&pool)
            .await
            .unwrap();

    let expected = [
        ("370902", "taian"),
        ("370911", "taian"),
        ("370921", "ningyang"),
        ("370923", "dongping"),
        ("370982", "xintai"),
        ("370983", "feicheng"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, s)| (a.to_string(), s.to_string()))
        .collect();
    assert_eq!(pairs, expected);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn station_points_say_how_far_they_may_be_from_the_building(pool: PgPool) {
    seed::run(&pool, Settings::default().service_margin_m)
        .await
        .unwrap();

    let unexplained: i64 = sqlx::query_scalar(
        "select count(*) from stations where position_note = '' or position_error_m is null or source = ''",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    assert_eq!(unexplained, 0);
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_server_started_before_seeding_refuses_to_route_rather_than_guess(pool: PgPool) {
    let app = TestApp::start(pool).await;

    let reply = app.get("/api/v1/route?lat=36.19&lon=117.12").await;

    assert_eq!(reply.status.as_u16(), 503);
    assert_eq!(reply.error_code(), "directory_not_loaded");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_running_server_picks_up_a_seed_on_reload(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    seed::run(&pool, Settings::default().service_margin_m)
        .await
        .unwrap();

    app.state.reload_directory().await.unwrap();

    let reply = app.get("/api/v1/route?lat=36.19&lon=117.12").await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(reply.body["station"]["code"], "taian");
}
