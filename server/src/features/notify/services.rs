//! The three services, each as its documentation describes the request and the answer:
//! DingTalk's group robot (signed webhook), WeCom's group robot, and Aliyun SMS `SendSms`
//! (RPC signature version 1.0). Each answers what the service said, for the attempt log.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

/// What one call to a service came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub ok: bool,
    /// `200 errcode=0`, `200 Code=OK`, `503`, `network`.
    pub code: String,
    pub detail: Option<String>,
}

impl Answer {
    fn network(err: &reqwest::Error) -> Self {
        let what = if err.is_timeout() {
            "timed out"
        } else if err.is_connect() {
            "could not connect"
        } else {
            "request failed"
        };
        Answer {
            ok: false,
            code: "network".to_owned(),
            detail: Some(what.to_owned()),
        }
    }
}

/// RFC 3986 unreserved characters stay; everything else is %XX (Aliyun's and DingTalk's rule).
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(text: &str) -> String {
    utf8_percent_encode(text, ENCODE).to_string()
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// DingTalk's signature: base64 of HMAC-SHA256 over `timestamp + "\n" + secret`, keyed with
/// the secret, URL-encoded.
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    let to_sign = format!("{timestamp_ms}\n{secret}");
    encode(&STANDARD.encode(hmac_sha256(secret.as_bytes(), to_sign.as_bytes())))
}

/// An answer body's `errcode` (robots) as the outcome.
async fn robot_answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let errcode = body["errcode"].as_i64();
    let ok = status == 200 && errcode == Some(0);
    Answer {
        ok,
        code: match errcode {
            Some(c) => format!("{status} errcode={c}"),
            None => status.to_string(),
        },
        detail: (!ok).then(|| {
            body["errmsg"]
                .as_str()
                .unwrap_or("no errcode in the answer")
                .to_owned()
        }),
    }
}

pub async fn dingtalk(
    client: &reqwest::Client,
    webhook: &str,
    secret: Option<&str>,
    title: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Answer {
    let mut url = webhook.to_owned();
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        let ts = now.timestamp_millis();
        let sep = if url.contains('?') { '&' } else { '?' };
        url.push_str(&format!(
            "{sep}timestamp={ts}&sign={}",
            dingtalk_sign(ts, secret)
        ));
    }
    let body = json!({"msgtype": "markdown", "markdown": {"title": title, "text": text}});
    match client.post(&url).json(&body).send().await {
        Ok(response) => robot_answer(response).await,
        Err(err) => Answer::network(&err),
    }
}

pub async fn wecom(client: &reqwest::Client, webhook: &str, text: &str) -> Answer {
    let body = json!({"msgtype": "markdown", "markdown": {"content": text}});
    match client.post(webhook).json(&body).send().await {
        Ok(response) => robot_answer(response).await,
        Err(err) => Answer::network(&err),
    }
}

/// Aliyun SMS account settings.
#[derive(Debug, Clone)]
pub struct SmsAccount<'a> {
    pub endpoint: &'a str,
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
    pub sign_name: &'a str,
    pub template: &'a str,
}

/// The signed form of a `SendSms` request (RPC style, signature version 1.0): the parameters
/// sorted, each percent-encoded, `POST&%2F&` + the encoded query, HMAC-SHA1 keyed with the
/// secret and `&`, base64.
pub fn sms_form(
    account: &SmsAccount<'_>,
    phones: &[String],
    params: &Value,
    nonce: &str,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("AccessKeyId", account.access_key_id.to_owned()),
        ("Action", "SendSms".to_owned()),
        ("Format", "JSON".to_owned()),
        ("PhoneNumbers", phones.join(",")),
        ("RegionId", "cn-hangzhou".to_owned()),
        ("SignName", account.sign_name.to_owned()),
        ("SignatureMethod", "HMAC-SHA1".to_owned()),
        ("SignatureNonce", nonce.to_owned()),
        ("SignatureVersion", "1.0".to_owned()),
        ("TemplateCode", account.template.to_owned()),
        ("TemplateParam", params.to_string()),
        ("Timestamp", now.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        ("Version", "2017-05-25".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    form.sort();
    let query = form
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let to_sign = format!("POST&{}&{}", encode("/"), encode(&query));
    let key = format!("{}&", account.access_key_secret);
    let signature = STANDARD.encode(hmac_sha1(key.as_bytes(), to_sign.as_bytes()));
    form.push(("Signature".to_owned(), signature));
    form
}

pub async fn sms(
    client: &reqwest::Client,
    account: &SmsAccount<'_>,
    phones: &[String],
    params: &Value,
    now: DateTime<Utc>,
) -> Answer {
    let nonce = uuid::Uuid::new_v4().to_string();
    let form = sms_form(account, phones, params, &nonce, now);
    let response = match client.post(account.endpoint).form(&form).send().await {
        Ok(r) => r,
        Err(err) => return Answer::network(&err),
    };
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let code = body["Code"].as_str().unwrap_or("");
    let ok = status == 200 && code == "OK";
    Answer {
        ok,
        code: format!("{status} Code={code}"),
        detail: (!ok).then(|| {
            body["Message"]
                .as_str()
                .unwrap_or("no Code in the answer")
                .to_owned()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_follows_rfc_3986_as_aliyun_documents() {
        assert_eq!(encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
    }

    #[test]
    fn the_dingtalk_signature_is_url_safe() {
        let sign = dingtalk_sign(1_700_000_000_000, "SEC000");
        assert!(!sign.contains('+') && !sign.contains('/') && !sign.contains('='));
    }
}
