//! Delivering the alert outbox to DingTalk, WeCom and SMS, with the same backoff as web push.
//! Every attempt is kept with the service's answer. When every channel has failed a first
//! attempt at an urgent referral that still waits for acceptance, it is escalated at once
//! instead of at its deadline: nobody at the station may know of it.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::db::{self, Due};
use super::message::Message;
use super::services::{self, Answer, SmsAccount};
use crate::plumbing::config::Settings;
use crate::plumbing::delivery::{self, Attempt, Outbox};
use crate::plumbing::secrets::SecretKey;
use crate::plumbing::state::AppState;

const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// A client for the services: no redirects, a timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(SEND_TIMEOUT)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Send one message through one channel.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    settings: &Settings,
    client: &reqwest::Client,
    kind: &str,
    webhook: Option<&str>,
    secret: Option<&str>,
    phones: &[String],
    message: &Message,
    now: DateTime<Utc>,
) -> Answer {
    let public = settings.public_url.as_deref();
    match (kind, webhook) {
        ("dingtalk", Some(url)) => {
            let text = message.markdown(public);
            services::dingtalk(client, url, secret, &message.title, &text, now).await
        }
        ("wecom", Some(url)) => services::wecom(client, url, &message.markdown(public)).await,
        ("sms", _) => {
            let s = settings;
            let account = SmsAccount {
                endpoint: &s.sms_endpoint,
                access_key_id: s.sms_access_key_id.as_deref().unwrap_or_default(),
                access_key_secret: s.sms_access_key_secret.as_ref().map_or("", |k| k.as_str()),
                sign_name: s.sms_sign_name.as_deref().unwrap_or_default(),
                template: s.sms_template.as_deref().unwrap_or_default(),
            };
            if account.access_key_id.is_empty() || account.template.is_empty() {
                return Answer {
                    ok: false,
                    code: "not_configured".to_owned(),
                    detail: Some(
                        "XUNJIU_SMS_ACCESS_KEY_ID and XUNJIU_SMS_TEMPLATE are not set".to_owned(),
                    ),
                };
            }
            let params = serde_json::Value::Object(message.params.clone());
            services::sms(client, &account, phones, &params, now).await
        }
        _ => Answer {
            ok: false,
            code: "not_configured".to_owned(),
            detail: Some("the channel has no webhook".to_owned()),
        },
    }
}

/// The alert outbox and what sending from it needs.
struct Alerts<'a> {
    settings: &'a Settings,
    secrets: &'a SecretKey,
    client: &'a reqwest::Client,
}

impl Outbox for Alerts<'_> {
    type Item = Due;
    type Answer = Answer;

    async fn claim(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Due>> {
        db::claim_due(conn, now).await
    }

    async fn send(&self, d: &Due, now: DateTime<Utc>) -> Answer {
        // Opened here, never stored opened.
        let open = |v: &Option<String>| v.as_deref().map(|v| self.secrets.open(v)).transpose();
        let (Ok(webhook), Ok(secret)) = (open(&d.webhook), open(&d.secret)) else {
            return Answer {
                ok: false,
                code: "sealed_secret_unreadable".to_owned(),
                detail: None,
            };
        };
        let Ok(message) = serde_json::from_value::<Message>(d.message.clone()) else {
            return Answer {
                ok: false,
                code: "bad_message".to_owned(),
                detail: None,
            };
        };
        send(
            self.settings,
            self.client,
            &d.kind,
            webhook.as_deref(),
            secret.as_deref(),
            &d.phones,
            &message,
            now,
        )
        .await
    }

    async fn record(
        &self,
        conn: &mut PgConnection,
        d: &Due,
        answer: Answer,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let attempt = Attempt::after(d.attempts, now);
        let give_up = !answer.ok && attempt.last;
        let outcome = db::Outcome {
            ok: answer.ok,
            code: &answer.code,
            detail: answer.detail.as_deref(),
            attempts: attempt.number,
            give_up,
            next_attempt_at: attempt.next_at,
        };
        db::record_attempt(conn, d.id, &outcome, now).await?;
        let outcome = match (answer.ok, give_up) {
            (true, _) => "delivered",
            (false, true) => "given_up",
            (false, false) => "retry",
        };
        tracing::info!(outbox_id = d.id, channel_id = %d.channel_id, kind = %d.kind, event = %d.event,
            referral_id = ?d.referral_id, attempts = attempt.number, code = %answer.code, outcome, "alert delivery");
        Ok(())
    }

    /// An urgent referral whose routing alert no channel delivered escalates at once.
    async fn after_batch(
        &self,
        conn: &mut PgConnection,
        due: &[Due],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut urgent: Vec<Uuid> = due
            .iter()
            .filter(|d| d.urgent && d.event == "referral_routed")
            .filter_map(|d| d.referral_id)
            .collect();
        urgent.sort();
        urgent.dedup();
        for id in urgent {
            if db::every_channel_failed(&mut *conn, id).await? {
                crate::features::escalation::escalate_unreached(&mut *conn, id, now).await?;
            }
        }
        Ok(())
    }
}

/// One pass over what is due; returns how many were attempted.
pub async fn deliver_once(state: &AppState, client: &reqwest::Client) -> anyhow::Result<usize> {
    let alerts = Alerts {
        settings: &state.settings,
        secrets: &state.secrets,
        client,
    };
    delivery::deliver_once(&state.db, &alerts, state.clock.now()).await
}

/// Deliver forever, a pass a second.
pub async fn run(state: AppState) {
    let client = client();
    delivery::drain_forever("alerts", || deliver_once(&state, &client)).await
}
