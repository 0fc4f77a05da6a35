use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::TestApp;

/// Annex 2 of 泰民〔2020〕9号, as printed, with the 0538 area code.
const ANNEX_2: [(&str, &str, &str, &str); 5] = [
    (
        "taian",
        "泰安市救助管理站",
        "泰山区青山西路28号",
        "0538-8065159",
    ),
    (
        "xintai",
        "新泰市救助管理站",
        "新泰市寺山路231号",
        "0538-7330199",
    ),
    (
        "feicheng",
        "肥城市救助管理站",
        "肥城市泰西大街12号",
        "0538-3229752",
    ),
    (
        "ningyang",
        "宁阳县救助管理站",
        "宁阳县海力大道中段民生园",
        "0538-5621990",
    ),
    (
        "dongping",
        "东平县救助管理站",
        "东平县西山路北首",
        "0538-2839939",
    ),
];

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn the_station_list_carries_annex_2_exactly(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let reply = app.get("/api/v1/stations").await;

    assert_eq!(reply.status, StatusCode::OK);
    let stations = reply.body["stations"].as_array().unwrap();
    assert_eq!(stations.len(), 5);
    for (code, name, address, phone) in ANNEX_2 {
        let s = stations.iter().find(|s| s["code"] == code).unwrap();
        assert_eq!(s["name"], name);
        assert_eq!(s["address"], address);
        assert_eq!(s["phone"], phone);
        assert!(s["lat"].as_f64().unwrap() > 35.0 && s["lon"].as_f64().unwrap() > 116.0);
        assert!(!s["county"].as_str().unwrap().is_empty());
    }
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn stations_geojson_is_a_feature_collection_of_points_lon_first(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let reply = app.get("/api/v1/stations.geojson").await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type, "application/geo+json");
    assert_eq!(reply.body["type"], "FeatureCollection");
    let xintai = feature(&reply.body, "xintai");
    assert_eq!(xintai["geometry"]["type"], "Point");
    assert_eq!(xintai["geometry"]["coordinates"][0], 117.760164);
    assert_eq!(xintai["geometry"]["coordinates"][1], 35.910378);
    assert_eq!(xintai["properties"]["phone"], "0538-7330199");
}

#[sqlx::test(migrator = "xunjiu_server::plumbing::db::MIGRATOR")]
async fn areas_geojson_has_six_multipolygons_with_their_stations(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let reply = app.get("/api/v1/areas.geojson").await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type, "application/geo+json");
    let features = reply.body["features"].as_array().unwrap();
    assert_eq!(features.len(), 6);
    let daiyue = feature(&reply.body, "370911");
    assert_eq!(daiyue["properties"]["name"], "岱岳区");
    assert_eq!(daiyue["properties"]["station_code"], "taian");
    assert_eq!(daiyue["geometry"]["type"], "MultiPolygon");
}

fn feature<'a>(collection: &'a Value, code: &str) -> &'a Value {
    collection["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == code)
        .unwrap_or_else(|| panic!("no feature {code}"))
}
