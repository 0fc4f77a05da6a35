//! The wire names of `mobile-api` enums, which are also how the database stores them: one
//! spelling, defined once by serde.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// `Role::UrbanManagement` → `"urban_management"`.
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => unreachable_name(other),
    }
}

/// `"urban_management"` → `Role::UrbanManagement`.
pub fn parse<T: DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| anyhow::anyhow!("unknown value {text:?} in the database: {e}"))
}

fn unreachable_name(value: serde_json::Result<serde_json::Value>) -> String {
    // Only unit enums are passed here; anything else is a programming error worth seeing.
    format!("{value:?}")
}
