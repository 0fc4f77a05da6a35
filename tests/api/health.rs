use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn healthz_is_ok_while_the_database_answers(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let reply = app.get("/healthz").await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["database"], "up");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn healthz_is_503_when_the_database_is_gone(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    app.pool.close().await;

    let reply = app.get("/healthz").await;

    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.error_code(), "database_unavailable");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn unknown_paths_and_methods_get_json_errors(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let missing = app.get("/api/v1/nothing-here").await;

    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "not_found");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn nul_characters_anywhere_are_a_400_not_a_database_error(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let supervisor = app.supervisor().await;
    let alert = serde_json::json!({"id": uuid::Uuid::new_v4(), "kind": "storm", "counties": ["370902\u{0}"],
        "starts_at": "2026-12-15T02:00:00Z", "ends_at": "2026-12-15T06:00:00Z"});

    let json_body = app.post(&supervisor, "/api/v1/alerts", &alert).await;
    let query = app
        .get_as(&supervisor, "/api/v1/referrals?station=tai%00an")
        .await;
    let path = app
        .get_as(&supervisor, "/api/v1/stations/tai%00an/queue")
        .await;
    let form = reqwest::Client::new()
        .post(app.url("/open311/v2/requests.json"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("api_key=x&service_code=sleeping_rough&description=a%00b")
        .send()
        .await
        .unwrap();

    for reply in [&json_body, &query, &path] {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.error_code(), "invalid_text");
    }
    assert_eq!(form.status(), StatusCode::BAD_REQUEST);
    assert!(form.text().await.unwrap().contains("\"code\":400"));
}
