//! Open311 GeoReport v2 at `/open311/v2/`, so that 12345 platforms, volunteer groups, taxi
//! companies and public apps can file referrals without a custom integration. Public readers
//! see status and a place rounded to about 1 km, never an address, a caller's phone or a
//! description, and nothing at all of requests about minors, old people or people with a
//! mental disorder; a partner's key shows it its own requests in full.

pub mod db;
pub mod format;
pub mod partners;
pub mod services;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use mobile_api::{Channel, Priority};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::features::audit::{self, Kind, Reader};
use crate::features::referrals;
use crate::plumbing::nul_guard;
use crate::plumbing::state::AppState;
use crate::rules::geo::GeoPoint;
use crate::rules::intake::{self, MAX_SHORT_TEXT, MAX_TEXT};
use crate::rules::wire;
use format::Format;
use services::Service;

/// A NUL in an Open311 request is answered in the spec's error list, in the format the path
/// asks for; anywhere else in the API's JSON ([`nul_guard::Refusal`]).
pub fn refuse_nul(path: &str) -> Response {
    if !path.starts_with("/open311/") {
        return nul_guard::refused(path);
    }
    let format = if path.ends_with(".xml") {
        Format::Xml
    } else {
        Format::Json
    };
    format::error(StatusCode::BAD_REQUEST, format, nul_guard::MESSAGE)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(get_file).post(post_file))
        .route("/open311/v2/services/{file}", get(get_service))
        .route("/open311/v2/requests/{file}", get(get_request))
}

/// Form or query pairs, keeping repeats (`attribute[categories][]`).
type Params = Vec<(String, String)>;

fn params(raw: Option<&[u8]>) -> Params {
    raw.and_then(|b| serde_urlencoded::from_bytes::<Params>(b).ok())
        .unwrap_or_default()
}

fn first<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// An Open311 failure, rendered in the format asked for; a 429 carries its Retry-After seconds.
struct Failure(StatusCode, String, Option<i64>);

type Answer = Result<Response, Failure>;

fn fail(status: StatusCode, description: impl Into<String>) -> Failure {
    Failure(status, description.into(), None)
}

impl From<crate::ApiError> for Failure {
    fn from(e: crate::ApiError) -> Self {
        match e {
            crate::ApiError::TooManyRequests {
                message,
                retry_after_s,
                ..
            } => Failure(StatusCode::TOO_MANY_REQUESTS, message, Some(retry_after_s)),
            crate::ApiError::DatabaseUnavailable => fail(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service is unavailable; retry shortly",
            ),
            crate::ApiError::Internal(err)
                if err.chain().any(|e| {
                    e.downcast_ref::<sqlx::Error>()
                        .is_some_and(crate::plumbing::db::is_unavailable)
                }) =>
            {
                tracing::warn!(error = format!("{err:#}"), "database unavailable");
                fail(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the service is unavailable; retry shortly",
                )
            }
            crate::ApiError::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "internal error");
                fail(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
            }
            other => fail(other.status(), other.to_string()),
        }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        // Only a lost database is worth a partner's retry; anything else is our fault, and a
        // retry would only repeat it.
        Failure::from(crate::ApiError::from(e))
    }
}

fn finish(format: Format, answer: Answer) -> Response {
    answer.unwrap_or_else(|Failure(status, description, retry_after)| {
        let mut response = format::error(status, format, &description);
        if let Some(seconds) = retry_after
            && let Ok(v) = seconds.to_string().parse()
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        response
    })
}

fn no_such_format() -> Response {
    format::error(StatusCode::NOT_FOUND, Format::Json, "use .json or .xml")
}

/// The configured jurisdiction, or a 404 for another one.
fn jurisdiction(state: &AppState, p: &Params) -> Result<(), Failure> {
    match first(p, "jurisdiction_id") {
        Some(j) if j != state.settings.open311_jurisdiction => Err(fail(
            StatusCode::NOT_FOUND,
            format!(
                "jurisdiction_id {j:?} not found; this server is {:?}",
                state.settings.open311_jurisdiction
            ),
        )),
        _ => Ok(()),
    }
}

async fn get_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((stem, format)) = Format::split(&file) else {
        return no_such_format();
    };
    let p = params(query.as_deref().map(str::as_bytes));
    let answer = async {
        match stem {
            "discovery" => Ok(format::respond(
                StatusCode::OK,
                format,
                "discovery",
                "",
                &discovery(),
            )),
            "services" => {
                jurisdiction(&state, &p)?;
                Ok(format::respond(
                    StatusCode::OK,
                    format,
                    "services",
                    "service",
                    &services::list(),
                ))
            }
            "requests" => {
                jurisdiction(&state, &p)?;
                list_requests(&state, &p, format).await
            }
            _ => Err(fail(StatusCode::NOT_FOUND, "no such resource")),
        }
    }
    .await;
    finish(format, answer)
}

async fn post_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    body: Bytes,
) -> Response {
    let Some((stem, format)) = Format::split(&file) else {
        return no_such_format();
    };
    if stem != "requests" {
        return format::error(StatusCode::NOT_FOUND, format, "only requests can be posted");
    }
    if crate::plumbing::nul_guard::holds_nul(&body) {
        return refuse_nul(&format!("/open311/v2/{file}"));
    }
    let p = params(Some(&body));
    finish(format, create_request(&state, &p, format).await)
}

async fn get_service(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((code, format)) = Format::split(&file) else {
        return no_such_format();
    };
    let p = params(query.as_deref().map(str::as_bytes));
    let answer = jurisdiction(&state, &p).and_then(|()| {
        let service = services::find(code).ok_or_else(|| {
            fail(
                StatusCode::NOT_FOUND,
                format!("service_code {code:?} not found"),
            )
        })?;
        Ok(format::respond(
            StatusCode::OK,
            format,
            "service_definition",
            "",
            &services::definition(service),
        ))
    });
    finish(format, answer)
}

async fn get_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((id, format)) = Format::split(&file) else {
        return no_such_format();
    };
    // Ids are opaque to clients: one that cannot be ours is simply not found.
    if Uuid::parse_str(id).is_err() {
        return format::error(
            StatusCode::NOT_FOUND,
            format,
            "service_request_id not found",
        );
    }
    let mut p = params(query.as_deref().map(str::as_bytes));
    p.push(("service_request_id".to_owned(), id.to_owned()));
    let answer = async {
        jurisdiction(&state, &p)?;
        let response = list_requests(&state, &p, format).await?;
        Ok(response)
    }
    .await;
    // A single request that the reader may not see is as absent as one that does not exist.
    match answer {
        Ok(r) if r.headers().get("x-open311-count").is_some_and(|v| v == "0") => format::error(
            StatusCode::NOT_FOUND,
            format,
            "service_request_id not found",
        ),
        other => finish(format, other),
    }
}

fn discovery() -> Value {
    json!({
        "changeset": "2026-11-28T00:00:00Z",
        "contact": "泰安市民政局 Tai'an Civil Affairs Bureau; the rescue stations' phones are at /api/v1/stations",
        "key_service": "Ask the city's civil affairs bureau for a partner key (xunjiu partners add)",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "/open311/v2",
            "changeset": "2026-11-28T00:00:00Z",
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    })
}

fn w3c(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn list_requests(state: &AppState, p: &Params, format: Format) -> Answer {
    let now = state.clock.now();
    let time = |key: &str| -> Result<Option<DateTime<Utc>>, Failure> {
        first(p, key)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        fail(
                            StatusCode::BAD_REQUEST,
                            format!("{key} must be a W3C datetime such as 2026-12-01T00:00:00Z"),
                        )
                    })
            })
            .transpose()
    };
    let (start, end) = (time("start_date")?, time("end_date")?);
    for (key, t) in [("start_date", start), ("end_date", end)] {
        if let Some(t) = t {
            crate::rules::listing::in_range(key, t).map_err(|_| {
                fail(
                    StatusCode::BAD_REQUEST,
                    format!("{key} must lie between 2000 and 2100"),
                )
            })?;
        }
    }
    let (from, to) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, (s + Duration::days(90)).min(now + Duration::days(1))),
        (None, Some(e)) => (e - Duration::days(90), e),
        (None, None) => (now - Duration::days(90), now + Duration::days(1)),
    };
    if to < from || to - from > Duration::days(91) {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "start_date must precede end_date by at most 90 days",
        ));
    }
    let list = |key: &str| {
        first(p, key).map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .collect::<Vec<_>>()
        })
    };
    let ids = list("service_request_id")
        .map(|ids| {
            ids.iter()
                .map(|i| Uuid::parse_str(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
        .map_err(|_| {
            fail(
                StatusCode::BAD_REQUEST,
                "service_request_id must be ids returned by POST requests",
            )
        })?;
    let statuses = list("status")
        .map(|ss| {
            ss.iter()
                .map(|s| match s.as_str() {
                    "open" => Ok(vec!["routed", "accepted", "en_route", "on_scene"]),
                    "closed" => Ok(vec!["resolved", "closed"]),
                    _ => Err(fail(StatusCode::BAD_REQUEST, "status is open or closed")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.concat().into_iter().map(str::to_owned).collect())
        })
        .transpose()?;
    // A partner presenting its key sees its own requests in full and the others as the
    // public does; the public never sees a request about a special target.
    let reader = match first(p, "api_key") {
        Some(key) => partners::by_key(&state.db, key).await?,
        None => None,
    };
    let filter = db::Filter {
        ids,
        service_codes: list("service_code"),
        from,
        to,
        statuses,
    };
    let directory = state.directory();
    let partner = reader.as_ref().map(|p| p.id);
    let rows = db::list(&state.db, &filter, partner).await?;
    if let Some(partner) = partner {
        let shown: Vec<Uuid> = rows
            .iter()
            .filter(|r| r.full && (r.address.is_some() || r.description.is_some()))
            .map(|r| r.id)
            .collect();
        let via = "/open311/v2/requests";
        audit::record(
            &state.db,
            now,
            Reader::Partner(partner),
            Kind::Referral,
            &shown,
            via,
        )
        .await?;
    }
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let station = directory.station_or_code(&r.accountable_station);
            let service = services::find(&r.service_code);
            let closed = matches!(r.status.as_str(), "resolved" | "closed");
            json!({
                "service_request_id": r.id.to_string(),
                "status": if closed { "closed" } else { "open" },
                "status_notes": status_notes(&r.status, &station.name, r.outcome.as_deref()),
                "service_name": service.map(|s| s.name),
                "service_code": r.service_code,
                "description": r.description,
                "agency_responsible": station.name,
                "service_notice": format!("救助站电话 Station phone {}", station.phone),
                "address": r.address,
                "address_id": null,
                "zipcode": null,
                "requested_datetime": w3c(r.reported_at),
                "updated_datetime": w3c(r.updated_at),
                "expected_datetime": null,
                "lat": r.lat,
                "long": r.lon,
                "media_url": null,
            })
        })
        .collect();
    let count = rows.len();
    let mut response = format::respond(
        StatusCode::OK,
        format,
        "service_requests",
        "request",
        &Value::Array(rows),
    );
    if let Ok(v) = count.to_string().parse() {
        response.headers_mut().insert("x-open311-count", v);
    }
    Ok(response)
}

fn status_notes(status: &str, station: &str, outcome: Option<&str>) -> String {
    let how = match outcome {
        Some("admitted_to_station") => "：已入站救助 admitted to the station",
        Some("escorted_home") => "：已护送返乡 escorted home",
        Some("medical_transfer") => "：已送医救治 taken for medical care",
        Some("handed_to_police") => "：已移交公安 handed to the police",
        Some("declined_help") => "：本人自愿放弃救助 the person declined help",
        Some("not_found") => "：现场未找到 not found at the place",
        Some("died") => "：已按程序处置 handled according to procedure",
        Some(_) => "：已处置 handled",
        None => "",
    };
    match status {
        "resolved" => format!("已处置 Handled{how}"),
        "routed" => format!("已转至{station}，待签收 Routed to {station}, awaiting acceptance"),
        "accepted" => format!("{station}已签收 Accepted by {station}"),
        "en_route" => "工作人员正在赶往现场 Staff on the way".to_owned(),
        "on_scene" => "工作人员已到达现场 Staff on scene".to_owned(),
        _ => format!("已办结 Closed{how}"),
    }
}

async fn create_request(state: &AppState, p: &Params, format: Format) -> Answer {
    jurisdiction(state, p)?;
    let key = first(p, "api_key").ok_or_else(|| {
        fail(
            StatusCode::FORBIDDEN,
            "api_key is required to post a request",
        )
    })?;
    let partner = partners::by_key(&state.db, key)
        .await?
        .ok_or_else(|| fail(StatusCode::FORBIDDEN, "api_key is invalid or revoked"))?;
    state.partner_limiter.check(partner.id)?;
    let code = first(p, "service_code")
        .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "service_code is required"))?;
    let service: &Service = services::find(code).ok_or_else(|| {
        fail(
            StatusCode::BAD_REQUEST,
            format!("service_code {code:?} not found"),
        )
    })?;
    let bad = |m: String| fail(StatusCode::BAD_REQUEST, m);
    let point = location(state, p).await?;
    let people = match first(p, "attribute[people_count]") {
        None => 1,
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=intake::MAX_PEOPLE).contains(n))
            .ok_or_else(|| {
                bad("attribute[people_count] must be a whole number from 1 to 50".into())
            })?,
    };
    let mut categories: Vec<String> = service.implied.iter().map(|c| (*c).to_owned()).collect();
    for (k, v) in p {
        if k == "attribute[categories][]" || k == "attribute[categories]" {
            if !services::CATEGORIES.iter().any(|(c, _)| c == v) {
                return Err(bad(format!("unknown category {v:?}")));
            }
            categories.push(v.clone());
        }
    }
    categories.sort();
    categories.dedup();
    let description = intake::text(
        "description",
        first(p, "description").map(str::to_owned),
        MAX_TEXT,
    )
    .map_err(|_| bad("description is longer than 4000 characters".into()))?;
    let phone = intake::phone(first(p, "phone").map(str::to_owned))
        .map_err(|_| bad("phone must be a phone number".into()))?;
    let address = intake::text(
        "address_string",
        first(p, "address_string").map(str::to_owned),
        MAX_SHORT_TEXT,
    )
    .map_err(|_| bad("address_string is longer than 200 characters".into()))?;

    let directory = state.directory();
    let routed = directory
        .route(point)
        .map_err(|_| bad("the location is outside Tai'an's service area".into()))?;
    let wire_categories: Vec<mobile_api::Category> = categories
        .iter()
        .filter_map(|c| wire::parse(c).ok())
        .collect();
    let priority = if service.urgent {
        Priority::Urgent
    } else {
        intake::priority(&wire_categories)
    };
    let channel: Channel = wire::parse(&partner.channel)
        .map_err(|_| fail(StatusCode::INTERNAL_SERVER_ERROR, "partner channel"))?;
    let now = state.clock.now();
    let id = Uuid::new_v4();
    let report = referrals::Report {
        id,
        channel: wire::name(&channel),
        kind: wire::name(&mobile_api::ReferralKind::Report),
        external_ref: first(p, "account_id").map(str::to_owned),
        reported_at: now,
        point,
        address_text: address.unwrap_or_default(),
        caller_phone: phone,
        people_count: i32::try_from(people).unwrap_or(1),
        categories,
        description: description.unwrap_or_default(),
        sighting_id: None,
        request_hash: intake::request_hash(&id),
        open311_service_code: Some(service.code.to_owned()),
    };
    let placed = routed.placement();
    let row = referrals::NewRow::routed(report, priority, placed, &state.settings, now);
    let creator = referrals::Creator {
        user_id: None,
        partner_id: Some(partner.id),
        role: "partner",
        received_at: now,
    };
    let mut tx = state.db.begin().await?;
    referrals::insert_new(&mut tx, creator, std::slice::from_ref(&row)).await?;
    tx.commit().await?;
    tracing::info!(referral_id = %id, partner = %partner.name, station = %row.station_code, "open311 request routed");
    let station = &routed.station.station;
    let answer = json!([{
        "service_request_id": id.to_string(),
        "service_notice": format!("已转至{}，电话 {} Routed to {}, phone {}", station.name, station.phone, station.name, station.phone),
        "account_id": null,
    }]);
    Ok(format::respond(
        StatusCode::CREATED,
        format,
        "service_requests",
        "request",
        &answer,
    ))
}

/// `lat`/`long` (in the datum `crs` names: `wgs84`, the default, `gcj02` or `bd09`), or an
/// `address_string` that names a registered hotspot exactly.
async fn location(state: &AppState, p: &Params) -> Result<GeoPoint, Failure> {
    let bad = |m: &str| fail(StatusCode::BAD_REQUEST, m);
    let crs = match first(p, "crs") {
        None => None,
        Some(name) => Some(
            crate::rules::geo::crs::parse(name.trim())
                .ok_or_else(|| bad("crs is wgs84, gcj02 or bd09"))?,
        ),
    };
    match (first(p, "lat"), first(p, "long")) {
        (Some(lat), Some(lon)) => {
            let (lat, lon) = (lat.trim().parse::<f64>(), lon.trim().parse::<f64>());
            match (lat, lon) {
                (Ok(lat), Ok(lon)) => crate::rules::intake::position(lat, lon, crs)
                    .map_err(|_| bad("lat and long must be degrees in range")),
                _ => Err(bad("lat and long must be numbers")),
            }
        }
        _ => {
            let name = first(p, "address_string")
                .ok_or_else(|| bad("lat and long are required (an address_string alone only for a registered hotspot's exact name)"))?;
            let found = db::hotspot_named(&state.db, name.trim()).await?;
            let (lat, lon) = found.ok_or_else(|| {
                bad("lat and long are required: address_string does not name a registered hotspot exactly")
            })?;
            GeoPoint::new(lat, lon).map_err(|_| bad("stored hotspot out of range"))
        }
    }
}
