//! People, not only reports (源头治理): a record per person with every report linked to it, the
//! at-risk register and its revisits ([`register`]), the returnee ledger ([`returns`]) and the
//! family-tracing steps ([`tracing`]). Reads are scoped in SQL ([`db::Reader`]): city
//! supervisors, county supervisors for people of their county, duty officers for people their
//! station holds or held a report of, liaisons for their township's register and ledger. Every
//! answer with a person's details goes to the access log.

pub mod db;
pub mod id_number;
pub mod register;
pub mod returns;
pub mod revisits;
pub mod roster;
pub mod schedule;
pub mod tracing;

pub use returns::on_event;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use mobile_api::{
    LinkPerson, NewPerson, Person, PersonChange, PersonEvent, PersonLinked, PersonList,
    PersonReport, Role, Sex, Township, TownshipList,
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::features::audit::{self, Kind};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::idempotent::{self, Fingerprint};
use crate::rules::intake::{self, MAX_SHORT_TEXT, MAX_TEXT};
use crate::rules::scope::Scope;
use crate::rules::{listing, wire};
use db::Reader;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/people", get(list_people).post(create_person))
        .route("/api/v1/people/{id}", get(get_person).patch(update_person))
        .route("/api/v1/referrals/{id}/person", post(link_referral))
        .route("/api/v1/sightings/{id}/person", post(link_sighting))
        .route("/api/v1/townships", get(list_townships))
        .merge(register::router())
        .merge(roster::router())
        .merge(returns::router())
        .merge(tracing::router())
}

use db::records::{Fields, Stored};

fn short(field: &str, v: Option<String>) -> Result<Option<String>> {
    intake::text(field, v, MAX_SHORT_TEXT)
}

fn validate(f: &mut Fields, now_year: i32) -> Result<()> {
    if let Some(y) = f.birth_year
        && !(1900..=now_year).contains(&y)
    {
        return Err(ApiError::unprocessable(
            "invalid_age",
            "birth_year must be 1900 to this year",
        ));
    }
    if let Some(a) = f.age_estimate
        && !(0..=130).contains(&a)
    {
        return Err(ApiError::unprocessable(
            "invalid_age",
            "age_estimate must be 0 to 130",
        ));
    }
    if f.birth_year.is_some() && f.age_estimate.is_some() {
        return Err(ApiError::unprocessable(
            "invalid_age",
            "give birth_year or age_estimate, not both",
        ));
    }
    if let Some(id) = &f.id_number {
        f.id_number = Some(id_number::normalise(id).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_id_number",
                "id_number is not a valid 18-character resident ID (check digit or birth date)",
            )
        })?);
    }
    if let Some(code) = &f.home_county_code
        && !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::unprocessable(
            "invalid_county_code",
            "home_county_code is a six-digit division code",
        ));
    }
    Ok(())
}

fn this_year(state: &AppState) -> i32 {
    use chrono::Datelike;
    crate::rules::local_day::local_date(state.clock.now()).year()
}

/// Record a person (duty officers, supervisors). Idempotent by `id`.
#[utoipa::path(post, path = "/api/v1/people", tag = "people", security(("bearer" = [])),
    request_body = NewPerson,
    responses((status = 201, body = Person), (status = 200, description = "the same id and body again", body = Person),
              (status = 403, body = mobile_api::ErrorBody), (status = 409, description = "id_conflict", body = mobile_api::ErrorBody),
              (status = 422, description = "invalid_id_number, invalid_age, invalid_county_code, text_too_long", body = mobile_api::ErrorBody)))]
pub async fn create_person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<NewPerson>,
) -> Result<(StatusCode, ApiJson<Person>)> {
    user.require(&[Role::Duty, Role::Supervisor])?;
    state.write_limiter.check(user.id)?;
    let now = state.clock.now();
    let mut f = Fields {
        name: short("name", req.name)?,
        alias: short("alias", req.alias)?,
        sex: Some(wire::name(&req.sex)),
        birth_year: req.birth_year,
        age_estimate: req.age_estimate,
        id_number: short("id_number", req.id_number)?,
        home_address: short("home_address", req.home_address)?,
        home_county_code: short("home_county_code", req.home_county_code)?,
        description: intake::text("description", req.description, MAX_TEXT)?,
    };
    validate(&mut f, this_year(&state))?;
    let hash = intake::request_hash(&f);
    let mut tx = state.db.begin().await?;
    let inserted = db::records::insert(&mut tx, req.id, &f, user.id, now, &hash).await?;
    let stored = if inserted {
        db::event(&mut tx, req.id, "created", Some(user.id), now, json!({})).await?;
        None
    } else {
        let (owner, stored) = db::records::fingerprint(&mut tx, req.id).await?;
        Some(Fingerprint::new(owner, stored))
    };
    tx.commit().await?;
    let status = idempotent::status(stored.as_ref(), &Fingerprint::new(user.id, hash), "person")?;
    let row = find(&state, &user, req.id).await?;
    Ok((status, ApiJson(to_wire(row))))
}

/// Correct a person's record (duty officers, supervisors in scope); `""` clears a text field.
/// The history keeps which fields changed, when and by whom.
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = PersonChange,
    responses((status = 200, body = Person), (status = 404, description = "person_not_found", body = mobile_api::ErrorBody),
              (status = 422, description = "invalid_id_number, invalid_age, invalid_county_code", body = mobile_api::ErrorBody)))]
pub async fn update_person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(change): ApiJson<PersonChange>,
) -> Result<ApiJson<Person>> {
    user.require(&[Role::Duty, Role::Supervisor])?;
    find(&state, &user, id).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // The stored values, unmasked: a correction applies to the record, not to what was shown.
    let current: Stored = db::records::lock(&mut tx, id).await?;
    let mut changed = Vec::new();
    let mut pick = |field: &'static str, new: Option<String>, old: Option<String>| match new {
        Some(v) => {
            changed.push(field);
            Ok::<_, ApiError>((!v.trim().is_empty()).then(|| v.trim().to_owned()))
        }
        None => Ok(old),
    };
    let mut f = Fields {
        name: pick("name", change.name, current.name)?,
        alias: pick("alias", change.alias, current.alias)?,
        sex: pick("sex", change.sex.map(|s| wire::name(&s)), Some(current.sex))?,
        id_number: pick("id_number", change.id_number, current.id_number)?,
        home_address: pick("home_address", change.home_address, current.home_address)?,
        home_county_code: pick(
            "home_county_code",
            change.home_county_code,
            current.home_county_code,
        )?,
        description: pick("description", change.description, current.description)?,
        birth_year: current.birth_year,
        age_estimate: current.age_estimate,
    };
    if let Some(y) = change.birth_year {
        changed.push("birth_year");
        f.birth_year = Some(y);
        f.age_estimate = None;
    }
    if let Some(a) = change.age_estimate {
        changed.push("age_estimate");
        f.age_estimate = Some(a);
        f.birth_year = None;
    }
    for (field, v, max) in [
        ("name", &f.name, MAX_SHORT_TEXT),
        ("alias", &f.alias, MAX_SHORT_TEXT),
        ("home_address", &f.home_address, MAX_SHORT_TEXT),
        ("description", &f.description, MAX_TEXT),
    ] {
        intake::text(field, v.clone(), max)?;
    }
    validate(&mut f, this_year(&state))?;
    let sex = f.sex.clone().unwrap_or_else(|| wire::name(&Sex::Unknown));
    db::records::update(&mut tx, id, &f, &sex, now).await?;
    db::event(
        &mut tx,
        id,
        "corrected",
        Some(user.id),
        now,
        json!({ "fields": changed }),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(detail(&state, &user, id).await?))
}

/// A person with every linked report, register and ledger entry, revisit, tracing step and
/// change, oldest first.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Person), (status = 404, description = "person_not_found", body = mobile_api::ErrorBody)))]
pub async fn get_person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Person>> {
    Ok(ApiJson(detail(&state, &user, id).await?))
}

/// The reader `user` is now.
pub(crate) fn reader(state: &AppState, user: &CurrentUser) -> Reader {
    Reader::of(user, state.clock.now(), state.settings.ended_access())
}

pub(crate) async fn find(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<db::Row> {
    db::get(&state.db, &reader(state, user), id)
        .await?
        .ok_or_else(not_found)
}

/// Log that `user` was shown the personal fields of `person` through `via`.
pub(crate) async fn shown(
    state: &AppState,
    user: &CurrentUser,
    person: Uuid,
    via: &str,
) -> sqlx::Result<()> {
    audit::shown_to(state, user, Kind::Person, [person], via).await
}

pub(crate) fn not_found() -> ApiError {
    ApiError::not_found("person_not_found", "no person with this id")
}

async fn detail(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<Person> {
    let row = find(state, user, id).await?;
    audit::shown_to(state, user, Kind::Person, [id], "/api/v1/people/{id}").await?;
    let mut person = to_wire(row);
    let (reports, elsewhere) = db::reports(
        &state.db,
        id,
        &Scope::referrals(user),
        &Scope::sightings(user),
    )
    .await?;
    person.reports = Some(
        reports
            .into_iter()
            .map(|r| PersonReport {
                kind: r.kind,
                id: r.id,
                at: r.at,
                lat: r.lat,
                lon: r.lon,
                station: r.station,
                status: r.status,
            })
            .collect(),
    );
    person.reports_elsewhere = Some(elsewhere);
    person.register = Some(register::entries(state, id).await?);
    person.returns = Some(returns::of_person(state, id).await?);
    person.revisits = Some(revisits::revisits_of(state, id).await?);
    person.tracing = Some(tracing::steps_of(state, id).await?);
    let events = db::records::events_of(&state.db, id).await?;
    person.events = Some(
        events
            .into_iter()
            .map(|(kind, at, actor, detail)| PersonEvent {
                kind,
                at,
                actor,
                detail,
            })
            .collect(),
    );
    Ok(person)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Name or alias (contains), or the last four characters of the ID number.
    q: Option<String>,
    /// `lat,lon`: people reported near this point.
    near: Option<String>,
    /// Metres around `near`, 1 to 50000 (default 500).
    #[param(value_type = Option<f64>)]
    radius_m: Option<String>,
    /// Admitted to a station at least this many days ago and not identified (滞留超过10天).
    #[param(value_type = Option<i32>)]
    unidentified_days: Option<String>,
    /// 1 to 1000, default 200.
    #[param(value_type = Option<i64>)]
    limit: Option<String>,
}

/// People in the reader's scope: by name, alias or ID tail, by where they were reported, or
/// those admitted and still unidentified.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = PersonList), (status = 400, description = "invalid_query, invalid_page", body = mobile_api::ErrorBody)))]
pub async fn list_people(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<ApiJson<PersonList>> {
    let bad = |m: &str| ApiError::bad_request("invalid_query", m.to_owned());
    let near = match query.near.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => {
            let (lat, lon) = text
                .split_once(',')
                .and_then(|(a, b)| {
                    Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?))
                })
                .ok_or_else(|| bad("near is lat,lon"))?;
            crate::rules::geo::GeoPoint::new(lat, lon)?;
            let radius = match query.radius_m.as_deref().filter(|s| !s.is_empty()) {
                None => 500.0,
                Some(r) => r
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (1.0..=50_000.0).contains(r))
                    .ok_or_else(|| bad("radius_m is 1 to 50000"))?,
            };
            Some((lat, lon, radius))
        }
    };
    let unidentified_days = query
        .unidentified_days
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|d| {
            d.parse::<i32>()
                .ok()
                .filter(|d| (0..=3650).contains(d))
                .ok_or_else(|| bad("unidentified_days is 0 to 3650"))
        })
        .transpose()?;
    let (limit, _) = listing::page(query.limit.as_deref(), None)?;
    let search = db::Search {
        q: query
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty()),
        near,
        unidentified_days,
        limit,
    };
    let rows = db::search(&state.db, &reader(&state, &user), &search).await?;
    audit::shown_to(
        &state,
        &user,
        Kind::Person,
        rows.iter().map(|r| r.id),
        "/api/v1/people",
    )
    .await?;
    Ok(ApiJson(PersonList {
        people: rows.into_iter().map(to_wire).collect(),
    }))
}

/// The answer to a link, read with the linker's rights.
async fn linked(
    state: &AppState,
    user: &CurrentUser,
    report: Uuid,
    person: Uuid,
) -> Result<PersonLinked> {
    let row = find(state, user, person).await?;
    Ok(PersonLinked {
        report_id: report,
        person_id: person,
        registered: row.registered,
        repeat: row.reports_90d >= db::REPEAT_REPORTS,
        reports_90d: row.reports_90d,
    })
}

/// A report a person is linked to.
#[derive(Debug, Clone, Copy)]
enum Report {
    Referral(Uuid),
    Sighting(Uuid),
}

impl Report {
    fn is_referral(self) -> bool {
        matches!(self, Report::Referral(_))
    }

    fn id(self) -> Uuid {
        match self {
            Report::Referral(id) | Report::Sighting(id) => id,
        }
    }

    /// The event kinds on a person this report joins and leaves, and the detail naming it.
    fn events(self) -> (&'static str, &'static str, serde_json::Value) {
        match self {
            Report::Referral(id) => (
                "linked_referral",
                "unlinked_referral",
                json!({ "referral_id": id }),
            ),
            Report::Sighting(id) => (
                "linked_sighting",
                "unlinked_sighting",
                json!({ "sighting_id": id }),
            ),
        }
    }
}

/// Which person a link names: one the linker reads already, or the owner of a resident ID the
/// linker has in hand. Either way an unknown person and one out of scope answer alike.
async fn person_to_link(
    state: &AppState,
    user: &CurrentUser,
    body: &LinkPerson,
) -> Result<(Uuid, bool)> {
    match (body.person_id, body.id_number.as_deref()) {
        (Some(id), None) => {
            find(state, user, id).await?;
            Ok((id, false))
        }
        (None, Some(number)) => {
            let number = id_number::normalise(number).ok_or_else(|| {
                ApiError::unprocessable(
                    "invalid_id_number",
                    "id_number is not a valid 18-character resident ID (check digit or birth date)",
                )
            })?;
            let id = db::with_id_number(&state.db, &number)
                .await?
                .ok_or_else(not_found)?;
            let in_scope = db::get(&state.db, &reader(state, user), id)
                .await?
                .is_some();
            Ok((id, !in_scope))
        }
        _ => Err(ApiError::unprocessable(
            "invalid_person_link",
            "give person_id or id_number, not both",
        )),
    }
}

/// Link a report the user may read to a person, with an event on the person (and on the person
/// it was linked to before, when `replace` moves it).
async fn attach(
    state: &AppState,
    user: &CurrentUser,
    report: Report,
    body: &LinkPerson,
) -> Result<PersonLinked> {
    let (person, across) = person_to_link(state, user, body).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let current = db::linked_person(&mut tx, report.is_referral(), report.id()).await?;
    if current == Some(person) {
        tx.commit().await?;
        return linked(state, user, report.id(), person).await;
    }
    if current.is_some() && !body.replace {
        return Err(ApiError::conflict(
            "already_linked",
            "the report is linked to another person; send \"replace\": true to move it",
        ));
    }
    db::set_linked_person(&mut tx, report.is_referral(), report.id(), person, now).await?;
    let (joined, left, mut detail) = report.events();
    if let Some(previous) = current {
        db::event(&mut tx, previous, left, Some(user.id), now, detail.clone()).await?;
        detail["replaced"] = json!(true);
    }
    if across {
        detail["across_scope"] = json!(true);
        detail["station"] = json!(user.station);
        detail["county_code"] = json!(user.county_code);
    }
    db::event(&mut tx, person, joined, Some(user.id), now, detail).await?;
    tx.commit().await?;
    linked(state, user, report.id(), person).await
}

/// Say that a referral is about this person (duty officers of the stations concerned,
/// supervisors in scope): one the linker may read (`person_id`), or the owner of the full
/// resident ID in hand (`id_number`), who then joins the linker's scope. The answer says whether
/// the person is on the register or a repeat case.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/person", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = LinkPerson,
    responses((status = 200, body = PersonLinked),
              (status = 404, description = "referral_not_found, person_not_found (unknown, or not readable by the linker when given by person_id)", body = mobile_api::ErrorBody),
              (status = 409, description = "already_linked: linked to another person; send replace: true", body = mobile_api::ErrorBody),
              (status = 422, description = "invalid_id_number, invalid_person_link", body = mobile_api::ErrorBody)))]
pub async fn link_referral(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LinkPerson>,
) -> Result<ApiJson<PersonLinked>> {
    user.require(&[Role::Duty, Role::Supervisor])?;
    crate::features::referrals::ensure_visible(&state, &user, id).await?;
    Ok(ApiJson(
        attach(&state, &user, Report::Referral(id), &body).await?,
    ))
}

/// Say that a patrol sighting is about this person (duty officers of its station, supervisors in
/// scope).
#[utoipa::path(post, path = "/api/v1/sightings/{id}/person", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = LinkPerson,
    responses((status = 200, body = PersonLinked),
              (status = 404, description = "sighting_not_found, person_not_found (unknown, or not readable by the linker when given by person_id)", body = mobile_api::ErrorBody),
              (status = 409, description = "already_linked: linked to another person; send replace: true", body = mobile_api::ErrorBody),
              (status = 422, description = "invalid_id_number, invalid_person_link", body = mobile_api::ErrorBody)))]
pub async fn link_sighting(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LinkPerson>,
) -> Result<ApiJson<PersonLinked>> {
    user.require(&[Role::Duty, Role::Supervisor])?;
    crate::features::sightings::ensure_visible(&state, &user, id).await?;
    Ok(ApiJson(
        attach(&state, &user, Report::Sighting(id), &body).await?,
    ))
}

/// The township-level units (乡镇/街道) of the six areas, by code.
#[utoipa::path(get, path = "/api/v1/townships", tag = "people", security(("bearer" = [])),
    responses((status = 200, body = TownshipList)))]
pub async fn list_townships(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<ApiJson<TownshipList>> {
    let rows = db::register::townships(&state.db).await?;
    Ok(ApiJson(TownshipList {
        townships: rows
            .into_iter()
            .map(|(code, name, county_code)| Township {
                code,
                name,
                county_code,
            })
            .collect(),
    }))
}

pub(crate) fn to_wire(row: db::Row) -> Person {
    Person {
        id: row.id,
        name: row.name,
        alias: row.alias,
        sex: wire::parse(&row.sex).unwrap_or(Sex::Unknown),
        birth_year: row.birth_year,
        age_estimate: row.age_estimate,
        id_number: row.id_number,
        home_address: row.home_address,
        home_county_code: row.home_county_code,
        description: row.description,
        created_at: row.created_at,
        updated_at: row.updated_at,
        reports_90d: row.reports_90d,
        repeat: row.reports_90d >= db::REPEAT_REPORTS,
        registered: row.registered,
        identified: row.identified,
        reports: None,
        reports_elsewhere: None,
        register: None,
        returns: None,
        revisits: None,
        tracing: None,
        events: None,
    }
}
