//! GeoReport's two formats. Answers are built once as JSON values and rendered either way; XML
//! element names follow the spec (`services/service`, `service_requests/request`, a plural
//! key's items in the singular).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// `.json` or `.xml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// Split `requests.json` into `("requests", Json)`.
    pub fn split(file: &str) -> Option<(&str, Format)> {
        if let Some(stem) = file.strip_suffix(".json") {
            Some((stem, Format::Json))
        } else {
            file.strip_suffix(".xml").map(|stem| (stem, Format::Xml))
        }
    }
}

/// An Open311 answer: `root` and `item` name the XML wrapper of a top-level array.
pub fn respond(
    status: StatusCode,
    format: Format,
    root: &str,
    item: &str,
    value: &Value,
) -> Response {
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            value.to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            match value {
                Value::Array(items) => {
                    out.push_str(&format!("<{root}>"));
                    for v in items {
                        element(&mut out, item, v);
                    }
                    out.push_str(&format!("</{root}>"));
                }
                other => element(&mut out, root, other),
            }
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                out,
            )
                .into_response()
        }
    }
}

/// The spec's error list: `[{"code":400,"description":"…"}]` / `<errors><error>…`.
pub fn error(status: StatusCode, format: Format, description: &str) -> Response {
    let value = serde_json::json!([{"code": status.as_u16(), "description": description}]);
    respond(status, format, "errors", "error", &value)
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            out.push_str(&format!("<{name}>"));
            let singular = name.strip_suffix('s').unwrap_or(name);
            for v in items {
                element(out, singular, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                element(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_keys_hold_singular_items_and_text_is_escaped() {
        let mut out = String::new();
        element(
            &mut out,
            "service_definition",
            &serde_json::json!({"attributes": [{"code": "a<b"}], "x": null}),
        );
        assert_eq!(
            out,
            "<service_definition><attributes><attribute><code>a&lt;b</code></attribute></attributes><x/></service_definition>"
        );
    }
}
