//! The wire contract of Xunjiu's HTTP API (`/api/v1`): every request and response body that a
//! patrol phone, a hotline desk or a duty console exchanges with the server.
//!
//! Serde only (and utoipa behind the `openapi` feature, on for the server), so that app clients
//! and the OpenAPI document share one definition.
//! Coordinates are WGS84 degrees, named `lat`/`lon` on the wire; times are RFC 3339 in UTC.

pub mod accountability;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod error;
pub mod geo;
pub mod geojson;
pub mod incidents;
pub mod intake;
pub mod notify;
pub mod people;
pub mod push;
pub mod referrals;
pub mod reports;
pub mod sightings;
pub mod stations;
pub mod web;

pub use accountability::{AccountabilityReport, AccountabilityRow};
pub use audit::{AccessEntry, AccessLog};
pub use auth::{Agency, LoginRequest, LoginResponse, PasswordChange, Role, User};
pub use campaigns::{
    Alert, AlertKind, AlertList, Campaign, CampaignKind, CampaignList, Checkin, Coverage, Hotspot,
    HotspotChange, HotspotCoverage, HotspotKind, HotspotList, Item, ItemCount, NewAlert,
    NewCheckin, NewHotspot,
};
pub use campaigns::{
    ApproveProposal, HotspotProposal, HotspotProposalList, NewHotspotProposal, ProposalStatus,
    RejectProposal,
};
pub use error::{ErrorBody, ErrorDetail};
pub use geo::{AreaRef, Crs, Location};
pub use geojson::{
    AreaCollection, HeatmapCollection, HotspotCollection, ReferralCollection, SightingCollection,
    StationCollection,
};
pub use incidents::{AcknowledgeIncident, Incident, IncidentKind, IncidentList, NewIncident};
pub use intake::{Category, HotspotRef};
pub use notify::{
    ChannelKind, Delivery, DeliveryAttempt, DeliveryStatus, NotificationList, WebPushSummary,
};
pub use people::{
    DueRevisit, DueRevisitList, EndSchedule, LinkPerson, NewPerson, NewRegisterEntry, NewRevisit,
    NewTracingStep, Person, PersonChange, PersonEvent, PersonLinked, PersonList, PersonReport,
    RegisterEntry, ReturnDetails, ReturnEntry, ReturnList, Revisit, RevisitOutcome, Sex, Township,
    TownshipList, TracingStep, TracingStepKind,
};
pub use push::{
    PushKeys, PushSubscriptionCreated, PushSubscriptionRequest, PushUnsubscribe, VapidPublicKey,
};
pub use referrals::{
    Channel, LinkBody, NewReferral, Outcome, PossibleDuplicate, Priority, Queue, QueueEntry,
    QueueEvent, QueueEventKind, Referral, ReferralEvent, ReferralKind, ReferralList, ReferralRef,
    RefuseTransferBody, ResolveBody, Status, StepBody, TransferBody,
};
pub use reports::{
    Annex1Cell, Annex1Column, Annex1Entries, Annex1FileRequest, Annex1Filing, Annex1Report,
    Annex1Row, Annex1Status, Annex1UnitStatus, StageReport, StageRow,
};
pub use sightings::{
    ActionTaken, BatchItemResult, BatchItemStatus, BatchResult, NewSighting, Sighting,
    SightingBatch, SightingList,
};
pub use stations::{
    RerouteMove, ReroutePreview, Route, Station, StationChange, StationChangeRecord,
    StationHistory, StationList,
};
pub use web::WebConfig;
