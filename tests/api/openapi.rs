//! The OpenAPI document is generated from code; the committed copy in `docs/openapi.json` is
//! what app developers generate clients from. A change to the wire contract must show up there.

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::TestApp;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated =
        serde_json::to_string_pretty(&xunjiu_server::openapi::document()).unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();

    assert!(
        committed == generated,
        "docs/openapi.json is out of date with the code: review the change, then run \
         `UPDATE_OPENAPI=1 cargo test -p xunjiu-tests openapi` and commit the file"
    );
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_served_document_is_the_generated_one_and_every_path_in_it_is_routed(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let served = app.get("/api/v1/openapi.json").await;

    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(
        served.body,
        serde_json::to_value(xunjiu_server::openapi::document()).unwrap()
    );
    assert!(served.body["openapi"].as_str().unwrap().starts_with("3."));
    let client = reqwest::Client::new();
    for (path, item) in served.body["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let url = app.url(&path.replace("{id}", &uuid::Uuid::new_v4().to_string()));
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = client.request(method.clone(), url).send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            let unrouted =
                status == StatusCode::METHOD_NOT_ALLOWED || body["error"]["code"] == "not_found";
            assert!(
                !unrouted,
                "{method} {path} is documented but not routed ({status})"
            );
        }
    }
}
