//! The alert channels an operator sets up with `xunjiu notify`: a DingTalk or WeCom group robot,
//! or SMS to a list of phones, for a station, a county or the city. Webhook tokens and signing
//! secrets are stored for sending and never shown again.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use mobile_api::ChannelKind;
use sqlx::PgPool;
use uuid::Uuid;

use crate::wire;

/// Whom a channel serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Station(String),
    County(String),
    City,
}

/// A channel to add.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub name: String,
    pub kind: ChannelKind,
    pub audience: Audience,
    pub webhook: Option<String>,
    pub secret: Option<String>,
    pub phones: Vec<String>,
}

/// A channel as listed: its webhook with the token's value hidden.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub name: String,
    pub kind: String,
    pub station_code: Option<String>,
    pub county_code: Option<String>,
    pub city: bool,
    pub webhook: Option<String>,
    pub signed: bool,
    pub phones: Vec<String>,
}

/// A stored channel, with what sending needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    pub id: Uuid,
    pub kind: String,
    pub webhook: Option<String>,
    pub secret: Option<String>,
    pub phones: Vec<String>,
}

/// Check a channel before it is stored: the kind's target, a plausible URL, mainland mobiles.
pub fn validate(c: &NewChannel) -> anyhow::Result<()> {
    if c.name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    match c.kind {
        ChannelKind::Dingtalk | ChannelKind::Wecom => {
            let Some(url) = &c.webhook else {
                bail!("a {} channel needs --webhook URL", wire::name(&c.kind));
            };
            let parsed = reqwest::Url::parse(url).context("--webhook is not a URL")?;
            if !matches!(parsed.scheme(), "https" | "http") {
                bail!("--webhook must be an https URL");
            }
            if !c.phones.is_empty() {
                bail!("--phones is for sms channels");
            }
        }
        ChannelKind::Sms => {
            if c.phones.is_empty() {
                bail!("an sms channel needs --phones 138…,139…");
            }
            if let Some(bad) = c.phones.iter().find(|p| !is_mobile(p)) {
                bail!("{bad:?} is not an 11-digit mainland mobile number");
            }
            if c.webhook.is_some() || c.secret.is_some() {
                bail!("--webhook and --secret are for dingtalk and wecom channels");
            }
        }
    }
    Ok(())
}

fn is_mobile(p: &str) -> bool {
    p.len() == 11 && p.starts_with('1') && p.bytes().all(|b| b.is_ascii_digit())
}

pub async fn add(pool: &PgPool, c: &NewChannel, now: DateTime<Utc>) -> anyhow::Result<Uuid> {
    validate(c)?;
    let (station, county, city) = match &c.audience {
        Audience::Station(s) => (Some(s.as_str()), None, false),
        Audience::County(k) => (None, Some(k.as_str()), false),
        Audience::City => (None, None, true),
    };
    if let Some(s) = station {
        let known: bool =
            sqlx::query_scalar("select exists (select 1 from stations where code = $1)")
                .bind(s)
                .fetch_one(pool)
                .await?;
        if !known {
            bail!("no station {s:?}: run `xunjiu seed` or check the code");
        }
    }
    if let Some(k) = county {
        let known: bool = sqlx::query_scalar("select exists (select 1 from areas where code = $1)")
            .bind(k)
            .fetch_one(pool)
            .await?;
        if !known {
            bail!("no county {k:?} in the areas");
        }
    }
    let id = Uuid::new_v4();
    let inserted = sqlx::query(
        "insert into notify_channels (id, name, kind, station_code, county_code, city, webhook, secret, phones, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (name) where removed_at is null do nothing",
    )
    .bind(id)
    .bind(c.name.trim())
    .bind(wire::name(&c.kind))
    .bind(station)
    .bind(county)
    .bind(city)
    .bind(&c.webhook)
    .bind(c.secret.as_deref().filter(|s| !s.is_empty()))
    .bind(&c.phones)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected();
    if inserted == 0 {
        bail!("a channel named {:?} exists already", c.name.trim());
    }
    Ok(id)
}

pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as(
        "select name, kind, station_code, county_code, city, webhook, secret is not null as signed, phones
         from notify_channels where removed_at is null order by name",
    )
    .fetch_all(pool)
    .await
}

/// Stop using a channel; what it delivered stays on record.
pub async fn remove(pool: &PgPool, name: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    let done = sqlx::query(
        "update notify_channels set removed_at = $2 where name = $1 and removed_at is null",
    )
    .bind(name)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected();
    if done == 0 {
        bail!("no channel named {name:?}");
    }
    Ok(())
}

pub async fn find(pool: &PgPool, name: &str) -> anyhow::Result<Stored> {
    sqlx::query_as(
        "select id, kind, webhook, secret, phones from notify_channels where name = $1 and removed_at is null",
    )
    .bind(name)
    .fetch_optional(pool)
    .await?
    .with_context(|| format!("no channel named {name:?}"))
}

/// A webhook with every query value replaced by `***`: robots carry their token there.
pub fn masked(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, _)| (k.into_owned(), "***".to_owned()))
                .collect();
            if pairs.is_empty() {
                parsed.set_query(None);
            } else {
                parsed
                    .query_pairs_mut()
                    .clear()
                    .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
            parsed.to_string().replace("%2A%2A%2A", "***")
        }
        Err(_) => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_webhook_hides_its_token() {
        let shown = masked("https://oapi.dingtalk.com/robot/send?access_token=abc123");
        assert_eq!(
            shown,
            "https://oapi.dingtalk.com/robot/send?access_token=***"
        );
        assert!(!shown.contains("abc123"));
    }

    #[test]
    fn a_channel_needs_its_kinds_target() {
        let robot = NewChannel {
            name: "xintai-ding".into(),
            kind: ChannelKind::Dingtalk,
            audience: Audience::Station("xintai".into()),
            webhook: None,
            secret: None,
            phones: vec![],
        };
        assert!(validate(&robot).is_err());
        let sms = NewChannel {
            kind: ChannelKind::Sms,
            phones: vec!["1380013800".into()],
            ..robot
        };
        assert!(validate(&sms).is_err(), "ten digits");
    }
}
