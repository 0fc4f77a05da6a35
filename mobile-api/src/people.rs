//! People, not only reports: person records, the at-risk register and its revisits, the
//! returnee ledger, family-tracing steps, and the townships liaisons work in. Names, ID numbers,
//! addresses, descriptions and notes are personal data.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    Unknown,
}

/// `POST /api/v1/people` (duty officers, supervisors). Idempotent by `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub id: Uuid,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub alias: Option<String>,
    pub sex: Sex,
    #[serde(default)]
    pub birth_year: Option<i32>,
    /// When the year of birth is unknown (one or the other).
    #[serde(default)]
    pub age_estimate: Option<i32>,
    /// An 18-character resident ID; its check digit is verified.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "11010519491231002X"))]
    pub id_number: Option<String>,
    #[serde(default)]
    pub home_address: Option<String>,
    /// Any six-digit division code, also outside Tai'an.
    #[serde(default)]
    pub home_county_code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `PATCH /api/v1/people/{id}`: the fields to correct; `""` clears a text field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub sex: Option<Sex>,
    #[serde(default)]
    pub birth_year: Option<i32>,
    #[serde(default)]
    pub age_estimate: Option<i32>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub home_address: Option<String>,
    #[serde(default)]
    pub home_county_code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A report linked to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonReport {
    /// `sighting` or `referral`.
    pub kind: String,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub lat: f64,
    pub lon: f64,
    pub station: String,
    /// A referral's status.
    pub status: Option<String>,
}

/// An entry on the at-risk register (易流浪走失人员信息库).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RegisterEntry {
    pub id: Uuid,
    pub reason: String,
    pub township_code: String,
    pub township: String,
    pub village: Option<String>,
    pub registered_at: DateTime<Utc>,
    pub registered_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    /// When the next revisit is due (while the entry is open).
    pub next_revisit_due: Option<DateTime<Utc>>,
    /// The earliest a supervisor may end it.
    pub may_end_from: DateTime<Utc>,
}

/// An entry of the returnee ledger (返乡人员信息台账).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReturnEntry {
    pub id: Uuid,
    pub person_id: Uuid,
    pub referral_id: Option<Uuid>,
    pub destination_county_code: Option<String>,
    pub township_code: Option<String>,
    pub township: Option<String>,
    pub handed_over_to: Option<String>,
    pub family_situation: Option<String>,
    pub returned_on: NaiveDate,
    pub ended_at: Option<DateTime<Utc>>,
    pub next_revisit_due: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RevisitOutcome {
    AtHome,
    Moved,
    /// Raises a referral at the station of the person's township.
    WanderingAgain,
    NotFound,
    Died,
}

/// `POST /api/v1/people/{id}/revisits` (the township's liaisons, duty officers). Idempotent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRevisit {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub outcome: RevisitOutcome,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Revisit {
    pub id: Uuid,
    pub person_id: Uuid,
    pub at: DateTime<Utc>,
    pub outcome: RevisitOutcome,
    pub note: Option<String>,
    pub recorded_by: String,
    /// The referral a `wandering_again` raised.
    pub referral_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TracingStepKind {
    /// 寻亲公告
    NoticePublished,
    /// DNA 采血比对 (that it was done; no DNA data is stored)
    DnaSampled,
    /// 人像比对
    FaceSearch,
    /// 媒体寻亲
    MediaSearch,
    IdentityFound,
    Closed,
}

/// `POST /api/v1/people/{id}/tracing`. Idempotent by `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTracingStep {
    pub id: Uuid,
    pub step: TracingStepKind,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TracingStep {
    pub id: Uuid,
    pub step: TracingStepKind,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    pub recorded_by: String,
}

/// A change to a person's record, by whom and when (the fields, not their values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonEvent {
    pub kind: String,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub detail: serde_json::Value,
}

/// A person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Person {
    pub id: Uuid,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub sex: Sex,
    pub birth_year: Option<i32>,
    pub age_estimate: Option<i32>,
    /// Masked (`3709**********1234`) for everyone but city supervisors.
    pub id_number: Option<String>,
    pub home_address: Option<String>,
    pub home_county_code: Option<String>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Reports in the last 90 days.
    pub reports_90d: i64,
    /// 反复流浪: reported 3 or more times in 90 days.
    pub repeat: bool,
    /// On the at-risk register now.
    pub registered: bool,
    /// A tracing step `identity_found` is recorded.
    pub identified: bool,
    /// In `GET /api/v1/people/{id}`: the linked reports the reader may read as reports, oldest
    /// first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports: Option<Vec<PersonReport>>,
    /// In `GET /api/v1/people/{id}`: linked reports the reader may not read, counted only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports_elsewhere: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<Vec<RegisterEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<Vec<ReturnEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revisits: Option<Vec<Revisit>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing: Option<Vec<TracingStep>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<PersonEvent>>,
}

/// `GET /api/v1/people`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonList {
    pub people: Vec<Person>,
}

/// `POST /api/v1/referrals/{id}/person` and `/sightings/{id}/person`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkPerson {
    /// A person the linker may already read.
    #[serde(default)]
    pub person_id: Option<Uuid>,
    /// Or the full 18-character resident ID in hand: links to the record with that number
    /// wherever it was made, which then joins the linker's scope.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "370902197003151234"))]
    pub id_number: Option<String>,
    /// Move a report already linked to another person (409 `already_linked` otherwise).
    #[serde(default)]
    pub replace: bool,
}

/// The answer to a link: the person as the linker may see them, flags first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PersonLinked {
    pub report_id: Uuid,
    pub person_id: Uuid,
    /// The person is on the at-risk register: their township's liaisons should know.
    pub registered: bool,
    pub repeat: bool,
    pub reports_90d: i64,
}

/// `POST /api/v1/people/{id}/register`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRegisterEntry {
    pub reason: String,
    /// A nine-digit township code of Tai'an (`GET /api/v1/townships`).
    #[cfg_attr(feature = "openapi", schema(example = "370982001"))]
    pub township_code: String,
    #[serde(default)]
    pub village: Option<String>,
}

/// `POST /api/v1/people/{id}/register/end` and `/returns/{id}/end` (supervisors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EndSchedule {
    pub reason: String,
}

/// `POST /api/v1/people/{id}/returns`: the details of a return home. With `referral_id`, the
/// entry made when that referral was resolved `escorted_home` is completed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReturnDetails {
    #[serde(default)]
    pub referral_id: Option<Uuid>,
    #[serde(default)]
    pub destination_county_code: Option<String>,
    #[serde(default)]
    pub township_code: Option<String>,
    #[serde(default)]
    pub handed_over_to: Option<String>,
    #[serde(default)]
    pub family_situation: Option<String>,
    /// The day of the return (local date); default today.
    #[serde(default)]
    pub returned_on: Option<NaiveDate>,
}

/// `GET /api/v1/returns`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReturnList {
    pub returns: Vec<ReturnEntry>,
}

/// One revisit due or overdue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DueRevisit {
    pub person_id: Uuid,
    pub name: Option<String>,
    /// `register` or `return`.
    pub schedule: String,
    pub entry_id: Uuid,
    pub township_code: Option<String>,
    pub township: Option<String>,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
    pub last_revisit_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/revisits/due`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DueRevisitList {
    pub revisits: Vec<DueRevisit>,
}

/// A township-level unit (乡镇/街道).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Township {
    #[cfg_attr(feature = "openapi", schema(example = "370982001"))]
    pub code: String,
    pub name: String,
    pub county_code: String,
}

/// `GET /api/v1/townships`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TownshipList {
    pub townships: Vec<Township>,
}
