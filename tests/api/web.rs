//! The console and the patrol app are served by the binary itself, from nothing but this server.

use reqwest::StatusCode;
use sqlx::PgPool;
use xunjiu_server::plumbing::config::Settings;

use crate::helpers::TestApp;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn both_apps_and_their_libraries_are_served_with_a_strict_policy(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let client = client();
    for (bare, page) in [("/console", "/console/"), ("/patrol", "/patrol/")] {
        let moved = client.get(app.url(bare)).send().await.unwrap();
        assert_eq!(moved.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(moved.headers()["location"], page);

        let html = client.get(app.url(page)).send().await.unwrap();
        assert_eq!(html.status(), StatusCode::OK);
        assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
        let csp = html.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"));
        let text = html.text().await.unwrap();
        assert!(text.contains("/assets/leaflet/leaflet.js"));
        // Nothing from elsewhere: stations may be on closed networks.
        assert!(!text.contains("https://") && !text.contains("http://"));
    }
    for (path, kind) in [
        ("/assets/leaflet/leaflet.js", "text/javascript"),
        ("/assets/leaflet/leaflet.css", "text/css"),
        ("/assets/leaflet/images/marker-icon.png", "image/png"),
        ("/assets/api.js", "text/javascript"),
        ("/patrol/sw.js", "text/javascript"),
        ("/patrol/manifest.webmanifest", "application/manifest+json"),
        ("/console/sw.js", "text/javascript"),
    ] {
        let res = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{path} (Leaflet comes from `npm ci`)"
        );
        let content_type = res.headers()["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn a_file_the_browser_has_is_not_sent_again(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let client = client();
    let first = client.get(app.url("/patrol/app.js")).send().await.unwrap();
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let etag = first.headers()["etag"].clone();
    let again = client
        .get(app.url("/patrol/app.js"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());

    for missing in [
        "/patrol/nope.js",
        "/assets/leaflet/../../Cargo.toml",
        "/assets/x",
    ] {
        let reply = app.get(missing).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(reply.error_code(), "not_found");
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_base_map_comes_from_configuration(pool: PgPool) {
    let bare = TestApp::seeded(pool.clone()).await;
    let reply = bare.get("/api/v1/web-config").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["tile_url"], serde_json::Value::Null);

    let settings = Settings {
        tile_url: Some("https://t0.tianditu.example/vec_w/{z}/{x}/{y}.png".to_owned()),
        tile_attribution: "天地图".to_owned(),
        ..Settings::default()
    };
    let tiled = TestApp::start_with(pool, settings).await;
    let reply = tiled.get("/api/v1/web-config").await;
    assert_eq!(
        reply.body["tile_url"],
        "https://t0.tianditu.example/vec_w/{z}/{x}/{y}.png"
    );
    assert_eq!(reply.body["tile_attribution"], "天地图");
}
