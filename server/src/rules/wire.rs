//! The wire names of `mobile-api` enums, which are also how the database stores them: one
//! spelling, defined once by serde.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// An enum of unit variants, which serde writes as a string: the only kind [`name`] takes.
pub trait WireEnum: Serialize {}

macro_rules! wire_enums {
    ($($t:ty),* $(,)?) => { $(impl WireEnum for $t {})* };
}

wire_enums!(
    mobile_api::Role,
    mobile_api::Agency,
    mobile_api::Channel,
    mobile_api::Priority,
    mobile_api::Status,
    mobile_api::Outcome,
    mobile_api::Category,
    mobile_api::ActionTaken,
    mobile_api::AlertKind,
    mobile_api::HotspotKind,
    mobile_api::CampaignKind,
    mobile_api::Item,
    mobile_api::ReferralKind,
    mobile_api::IncidentKind,
    mobile_api::ProposalStatus,
    mobile_api::ChannelKind,
    mobile_api::DeliveryStatus,
    mobile_api::Sex,
    mobile_api::RevisitOutcome,
    mobile_api::TracingStepKind,
);

/// `Role::UrbanManagement` → `"urban_management"`.
pub fn name<T: WireEnum>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        // `WireEnum` is implemented for unit enums only, which always serialize as strings: a
        // wrong spelling stored in the database would be worse than stopping here.
        other => unreachable!("a wire enum serialized as {other:?}"),
    }
}

/// `"urban_management"` → `Role::UrbanManagement`.
pub fn parse<T: DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| anyhow::anyhow!("unknown value {text:?} in the database: {e}"))
}
