//! The duty console (`/console/`) and the patrol app (`/patrol/`), served from files built into
//! the binary, so that one binary and one database are the whole deployment. Nothing is loaded
//! from elsewhere at run time: stations may sit on closed networks.

mod assets;

use axum::Router;
use axum::extract::State;
use axum::response::Redirect;
use axum::routing::get;
use mobile_api::WebConfig;

use crate::plumbing::extract::ApiJson;
use crate::plumbing::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/") }))
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/patrol", get(|| async { Redirect::permanent("/patrol/") }))
        .route("/console/", get(assets::console_index))
        .route("/patrol/", get(assets::patrol_index))
        .route("/console/{*file}", get(assets::console_file))
        .route("/patrol/{*file}", get(assets::patrol_file))
        .route("/assets/{*file}", get(assets::shared_file))
        .route("/api/v1/web-config", get(web_config))
}

/// True when the build found no Leaflet in `node_modules`: the maps will not draw.
pub fn missing_libraries() -> bool {
    assets::missing_libraries()
}

/// The base map the browser apps draw under our own layers, if any.
#[utoipa::path(get, path = "/api/v1/web-config", tag = "stations",
    responses((status = 200, body = WebConfig)))]
pub async fn web_config(State(state): State<AppState>) -> ApiJson<WebConfig> {
    ApiJson(WebConfig {
        tile_url: state.settings.tile_url.clone().filter(|u| !u.is_empty()),
        tile_attribution: state.settings.tile_attribution.clone(),
        tile_crs: state.settings.tile_crs.clone(),
    })
}
