use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test(migrator = "xunjiu_server::db::MIGRATOR")]
async fn healthz_is_ok_while_the_database_answers(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let reply = app.get("/healthz").await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["database"], "up");
}

#[sqlx::test(migrator = "xunjiu_server::db::MIGRATOR")]
async fn healthz_is_503_when_the_database_is_gone(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    app.pool.close().await;

    let reply = app.get("/healthz").await;

    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.error_code(), "database_unavailable");
}

#[sqlx::test(migrator = "xunjiu_server::db::MIGRATOR")]
async fn unknown_paths_and_methods_get_json_errors(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let missing = app.get("/api/v1/nothing-here").await;

    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "not_found");
}
