//! The alert channels an operator sets up with `xunjiu notify`: a DingTalk or WeCom group robot,
//! or SMS to a list of phones, for a station, a county or the city. Webhook tokens and signing
//! secrets are stored sealed ([`crate::plumbing::secrets`]) for sending and never shown again.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use mobile_api::ChannelKind;
use sqlx::PgPool;
use uuid::Uuid;

use crate::plumbing::secrets::SecretKey;
use crate::rules::wire;

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

/// Check a channel before it is stored: the kind's target, an https URL (plain http only to
/// this machine, and only with `loopback_ok`, for tests), mainland mobiles.
pub fn validate(c: &NewChannel, loopback_ok: bool) -> anyhow::Result<()> {
    if c.name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    match c.kind {
        ChannelKind::Dingtalk | ChannelKind::Wecom => {
            let Some(url) = &c.webhook else {
                bail!("a {} channel needs --webhook URL", wire::name(&c.kind));
            };
            let parsed = reqwest::Url::parse(url).context("--webhook is not a URL")?;
            let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            match parsed.scheme() {
                "https" => {}
                "http" if loopback && loopback_ok => {}
                "http" if loopback => bail!(
                    "--webhook must be an https URL (plain http to this machine only with XUNJIU_PUSH_ALLOW_LOOPBACK=true, for tests)"
                ),
                _ => bail!("--webhook must be an https URL: the robot's token travels in it"),
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

/// Store a channel, its webhook and secret sealed with `secrets`.
pub async fn add(
    pool: &PgPool,
    secrets: &SecretKey,
    c: &NewChannel,
    loopback_ok: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<Uuid> {
    validate(c, loopback_ok)?;
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
    .bind(c.webhook.as_deref().map(|w| secrets.seal(w)))
    .bind(
        c.secret
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| secrets.seal(s)),
    )
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

/// The channels in use, their webhooks opened (callers show them [`masked`]).
pub async fn list(pool: &PgPool, secrets: &SecretKey) -> anyhow::Result<Vec<Listed>> {
    let mut listed: Vec<Listed> = sqlx::query_as(
        "select name, kind, station_code, county_code, city, webhook, secret is not null as signed, phones
         from notify_channels where removed_at is null order by name",
    )
    .fetch_all(pool)
    .await?;
    for c in &mut listed {
        c.webhook = c.webhook.as_deref().map(|w| secrets.open(w)).transpose()?;
    }
    Ok(listed)
}

/// Seal the webhooks and secrets stored before sealing; returns how many channels changed.
pub async fn seal_stored(pool: &PgPool, secrets: &SecretKey) -> anyhow::Result<u64> {
    let rows: Vec<(Uuid, Option<String>, Option<String>)> =
        sqlx::query_as("select id, webhook, secret from notify_channels")
            .fetch_all(pool)
            .await?;
    let mut sealed = 0;
    for (id, webhook, secret) in rows {
        let plain = |v: &Option<String>| v.as_deref().is_some_and(|v| !SecretKey::is_sealed(v));
        if !plain(&webhook) && !plain(&secret) {
            continue;
        }
        let seal = |v: Option<String>| {
            v.map(|v| {
                if SecretKey::is_sealed(&v) {
                    v
                } else {
                    secrets.seal(&v)
                }
            })
        };
        sqlx::query("update notify_channels set webhook = $2, secret = $3 where id = $1")
            .bind(id)
            .bind(seal(webhook))
            .bind(seal(secret))
            .execute(pool)
            .await?;
        sealed += 1;
    }
    if sealed > 0 {
        tracing::info!(channels = sealed, "sealed stored webhooks and secrets");
    }
    Ok(sealed)
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

/// A channel in use by name, its webhook and secret opened for sending.
pub async fn find(pool: &PgPool, secrets: &SecretKey, name: &str) -> anyhow::Result<Stored> {
    let stored: Stored = sqlx::query_as(
        "select id, kind, webhook, secret, phones from notify_channels where name = $1 and removed_at is null",
    )
    .bind(name)
    .fetch_optional(pool)
    .await?
    .with_context(|| format!("no channel named {name:?}"))?;
    stored.opened(secrets)
}

impl Stored {
    /// The webhook and secret as sent.
    pub fn opened(mut self, secrets: &SecretKey) -> anyhow::Result<Self> {
        self.webhook = self
            .webhook
            .as_deref()
            .map(|w| secrets.open(w))
            .transpose()?;
        self.secret = self
            .secret
            .as_deref()
            .map(|s| secrets.open(s))
            .transpose()?;
        Ok(self)
    }
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
        assert!(validate(&robot, false).is_err());
        let plain = NewChannel {
            webhook: Some("http://oapi.dingtalk.com/robot/send?access_token=x".into()),
            ..robot.clone()
        };
        assert!(
            validate(&plain, true).is_err(),
            "plain http off this machine"
        );
        let local = NewChannel {
            webhook: Some("http://127.0.0.1:9/robot/send".into()),
            ..robot.clone()
        };
        assert!(
            validate(&local, false).is_err(),
            "loopback without the test flag"
        );
        assert!(validate(&local, true).is_ok());
        let sms = NewChannel {
            kind: ChannelKind::Sms,
            phones: vec!["1380013800".into()],
            ..robot
        };
        assert!(validate(&sms, false).is_err(), "ten digits");
    }
}
