//! The OpenAPI 3 document of `/api/v1`, generated from the handlers' annotations and the
//! `mobile-api` types. App clients are generated from it; a test pins it against drift.

use axum::Json;
use serde_json::{Value, json};
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::features::{
    accountability, alerts, annex1, audit, auth, campaigns, heatmap, hotspots, incidents, live,
    notify, people, push, referrals, reports, routing, sightings, stations, web,
};
use crate::plumbing::health;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Xunjiu (巡救) API",
        description = "Street patrol and referral service for vagrant rescue in Tai'an. Errors are \
                       `{\"error\":{\"code\",\"message\"}}`; coordinates are WGS84 degrees; times RFC 3339.",
    ),
    paths(
        health::healthz,
        stations::list_stations, stations::stations_geojson, stations::areas_geojson,
        stations::changes::patch_station, stations::changes::station_history, stations::changes::reroute_preview,
        routing::get_route,
        auth::login, auth::logout, auth::me, auth::sessions::change_password, auth::sessions::logout_all,
        sightings::create_sighting, sightings::create_sighting_batch,
        sightings::list_sightings, sightings::sightings_geojson,
        referrals::create_referral, referrals::get_referral,
        referrals::list_referrals, referrals::referrals_geojson,
        referrals::actions::accept, referrals::actions::en_route, referrals::actions::on_scene,
        referrals::actions::resolve, referrals::actions::close, referrals::actions::transfer,
        referrals::actions::refuse_transfer, referrals::links::link, referrals::links::unlink,
        referrals::queue::station_queue, live::queue_events, web::web_config,
        notify::referral_notifications,
        push::vapid_public_key, push::subscribe, push::unsubscribe, push::unsubscribe_by_id,
        accountability::accountability, accountability::accountability_csv, audit::access_log,
        campaigns::list_campaigns,
        hotspots::list_hotspots, hotspots::hotspots_geojson, hotspots::get_hotspot, hotspots::create_hotspot,
        hotspots::update_hotspot, hotspots::checkins::create_checkin,
        hotspots::proposals::create_proposal, hotspots::proposals::list_proposals,
        hotspots::proposals::get_proposal, hotspots::proposals::approve, hotspots::proposals::reject,
        incidents::create_incident, incidents::list_incidents, incidents::get_incident,
        incidents::acknowledge,
        people::create_person, people::update_person, people::get_person, people::list_people,
        people::link_referral, people::link_sighting, people::list_townships,
        people::register::register, people::register::end_register, people::revisits::record_revisit,
        people::schedule::due_revisits, people::roster::roster_csv, people::roster::roster_xlsx,
        people::returns::record_return, people::returns::list_returns, people::returns::end_return, people::tracing::record_step,
        alerts::create_alert, alerts::list_alerts, alerts::get_alert, alerts::alert_coverage,
        heatmap::heatmap, heatmap::tiles::heatmap_tile, heatmap::picture::heatmap_png, reports::campaign_report,
        annex1::annex1, annex1::status, annex1::enter, annex1::file,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "stations", description = "The rescue-station directory and nearest-station routing"),
        (name = "auth", description = "Logging in and out"),
        (name = "sightings", description = "Patrol reports"),
        (name = "referrals", description = "Cases a station must act on"),
        (name = "duty", description = "The station's steps under first-contact responsibility"),
        (name = "push", description = "Web push to duty officers' browsers"),
        (name = "hotspots", description = "The hotspot registry and patrol check-ins"),
        (name = "incidents", description = "Deaths, injuries and people missing from care, reported at once"),
        (name = "people", description = "Person records, the at-risk register and revisits, the returnee ledger, family tracing"),
        (name = "campaigns", description = "Seasonal campaigns and extreme-weather alerts"),
        (name = "maps", description = "Heat-maps, tiles and pictures"),
        (name = "reports", description = "Accountability and stage reports"),
        (name = "audit", description = "Who read personal data"),
        (name = "operations", description = "Health"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as served: generated from the handlers' annotations, then made complete as a
/// contract ([`complete`]).
pub fn document() -> Value {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    complete(&mut doc);
    doc
}

/// Serve the OpenAPI 3 document of this API.
pub async fn openapi_json() -> Json<Value> {
    Json(document())
}

const WRITES: [&str; 4] = ["post", "put", "patch", "delete"];
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// What every operation may answer beyond what its handler names, as the server really sends
/// it, so that a generated client parses an `ErrorBody` instead of raising: 401 where a token
/// is needed, 404 where the path names a record, 429 on writes (the write limits), 503 everywhere
/// (the database away). Every response gets a description, and bodies that are not JSON say
/// their media type.
fn complete(doc: &mut Value) {
    name_enum_values(doc);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(op) = item.get_mut(method) else {
                continue;
            };
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            let responses = op
                .as_object_mut()
                .map(|o| o.entry("responses").or_insert_with(|| json!({})));
            let Some(responses) = responses.and_then(Value::as_object_mut) else {
                continue;
            };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status)
                    .or_insert_with(|| error_response(description));
            };
            if secured {
                add("401", "unauthorized: no token, or one expired or revoked");
            }
            if path.contains('{') {
                add(
                    "404",
                    "not_found: no such record, or one outside the reader's scope",
                );
            }
            if WRITES.contains(&method) {
                add("429", "rate_limited: too many writes; see Retry-After");
            }
            add("503", "database_unavailable: the database does not answer");
            for (status, response) in responses.iter_mut() {
                describe(status, response);
            }
        }
    }
}

/// Names for enum values that are not identifiers (the hotline channels `110`, `12345`), so that
/// a generated client calls them something better than `VALUE_0` (`x-enum-varnames`).
fn name_enum_values(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for schema in schemas.values_mut() {
        let Some(values) = schema.get("enum").and_then(Value::as_array) else {
            continue;
        };
        let names: Vec<String> = values
            .iter()
            .filter_map(Value::as_str)
            .map(|v| match v {
                "110" => "police_110".to_owned(),
                "12345" => "citizen_hotline_12345".to_owned(),
                v if v.starts_with(|c: char| c.is_ascii_alphabetic()) => v.to_owned(),
                v => format!("value_{v}"),
            })
            .collect();
        let plain = values
            .iter()
            .filter_map(Value::as_str)
            .all(|v| v.starts_with(|c: char| c.is_ascii_alphabetic()));
        if !plain && names.len() == values.len() {
            schema["x-enum-varnames"] = json!(names);
        }
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    })
}

/// A description where the annotation gave none, and a schema for bodies that are not JSON.
fn describe(status: &str, response: &mut Value) {
    let Some(r) = response.as_object_mut() else {
        return;
    };
    let empty = r
        .get("description")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty);
    if empty {
        let text = match status {
            "200" => "the answer",
            "201" => "created and committed",
            "204" => "done",
            "400" => "a bad query parameter",
            "403" => "forbidden: the role may not do this",
            "409" => "a conflict with what is stored",
            "422" => "a value out of range or not allowed",
            _ => "see the error code",
        };
        r.insert("description".to_owned(), json!(text));
    }
    let Some(content) = r.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    for (media, body) in content.iter_mut() {
        let schema = match media.as_str() {
            "image/png"
            | "application/vnd.mapbox-vector-tile"
            | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
                json!({"type": "string", "format": "binary"})
            }
            "text/csv" => json!({"type": "string"}),
            _ => continue,
        };
        if let Some(body) = body.as_object_mut() {
            body.entry("schema").or_insert(schema);
        }
    }
}
