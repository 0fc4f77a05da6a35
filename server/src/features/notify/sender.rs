//! Delivering the alert outbox to DingTalk, WeCom and SMS, with the same backoff as web push.
//! Every attempt is kept with the service's answer. When every channel has failed a first
//! attempt at an urgent referral that still waits for acceptance, it is escalated at once
//! instead of at its deadline: nobody at the station may know of it.

use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::message::Message;
use super::services::{self, Answer, SmsAccount};
use crate::features::push::sender::{MAX_ATTEMPTS, backoff};
use crate::plumbing::config::Settings;
use crate::plumbing::state::AppState;

const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(10);

#[derive(Debug, sqlx::FromRow)]
struct Due {
    id: i64,
    attempts: i32,
    event: String,
    message: serde_json::Value,
    urgent: bool,
    referral_id: Option<Uuid>,
    channel_id: Uuid,
    kind: String,
    webhook: Option<String>,
    secret: Option<String>,
    phones: Vec<String>,
}

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

/// One pass over what is due; returns how many were attempted.
pub async fn deliver_once(state: &AppState, client: &reqwest::Client) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let due: Vec<Due> = sqlx::query_as(
        "select o.id, o.attempts, o.event, o.message, o.urgent, o.referral_id, c.id as channel_id,
                c.kind, c.webhook, c.secret, c.phones
         from notify_outbox o join notify_channels c on c.id = o.channel_id
         where o.delivered_at is null and o.failed_at is null and o.next_attempt_at <= $1
         order by o.id limit 50
         for update of o skip locked",
    )
    .bind(now)
    .fetch_all(&mut *tx)
    .await
    .context("reading the alert outbox")?;
    // Opened here, never stored opened.
    let opened: Vec<(Option<String>, Option<String>)> = due
        .iter()
        .map(|d| {
            let open = |v: &Option<String>| v.as_deref().map(|v| state.secrets.open(v)).transpose();
            Ok((open(&d.webhook)?, open(&d.secret)?))
        })
        .collect::<anyhow::Result<_>>()?;
    let answers = futures::future::join_all(due.iter().zip(&opened).map(
        |(d, (webhook, secret))| async move {
            match serde_json::from_value::<Message>(d.message.clone()) {
                Ok(message) => {
                    send(
                        &state.settings,
                        client,
                        &d.kind,
                        webhook.as_deref(),
                        secret.as_deref(),
                        &d.phones,
                        &message,
                        now,
                    )
                    .await
                }
                Err(_) => Answer {
                    ok: false,
                    code: "bad_message".to_owned(),
                    detail: None,
                },
            }
        },
    ))
    .await;

    let mut unreached = Vec::new();
    for (d, answer) in due.iter().zip(answers) {
        let attempts = d.attempts + 1;
        let give_up = !answer.ok && attempts >= MAX_ATTEMPTS;
        sqlx::query(
            "insert into notify_attempts (outbox_id, at, ok, code, detail) values ($1, $2, $3, $4, $5)",
        )
        .bind(d.id)
        .bind(now)
        .bind(answer.ok)
        .bind(&answer.code)
        .bind(&answer.detail)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "update notify_outbox set attempts = $2,
                 delivered_at = case when $3 then $5 end,
                 failed_at = case when $4 then $5 end,
                 last_error = case when $3 then null else $6 end,
                 next_attempt_at = $7
             where id = $1",
        )
        .bind(d.id)
        .bind(attempts)
        .bind(answer.ok)
        .bind(give_up)
        .bind(now)
        .bind(&answer.code)
        .bind(now + backoff(attempts))
        .execute(&mut *tx)
        .await?;
        let outcome = match (answer.ok, give_up) {
            (true, _) => "delivered",
            (false, true) => "given_up",
            (false, false) => "retry",
        };
        tracing::info!(outbox_id = d.id, channel_id = %d.channel_id, kind = %d.kind, event = %d.event,
            referral_id = ?d.referral_id, attempts, code = %answer.code, outcome, "alert delivery");
        if !answer.ok && d.urgent && d.event == "referral_routed" {
            unreached.extend(d.referral_id);
        }
    }
    unreached.sort();
    unreached.dedup();
    for id in unreached {
        if every_channel_failed(&mut tx, id).await? {
            crate::features::escalation::escalate_unreached(&mut tx, id, now).await?;
        }
    }
    tx.commit().await?;
    Ok(due.len())
}

/// No channel has delivered the referral's routing alert, and each has tried at least once.
async fn every_channel_failed(
    conn: &mut sqlx::PgConnection,
    referral_id: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select count(*) > 0 and bool_and(delivered_at is null and attempts > 0)
         from notify_outbox where referral_id = $1 and event = 'referral_routed'",
    )
    .bind(referral_id)
    .fetch_one(conn)
    .await
}

/// Deliver forever, a pass a second.
pub async fn run(state: AppState) {
    let client = client();
    crate::features::push::sender::drain_forever("alerts", || deliver_once(&state, &client)).await
}
