//! The alert channels an operator sets up with `xunjiu notify`: a DingTalk or WeCom group robot,
//! or SMS to a list of phones, for a station, a county or the city. Webhook tokens and signing
//! secrets are stored sealed ([`crate::plumbing::secrets`]) for sending and never shown again.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use mobile_api::ChannelKind;
use sqlx::PgPool;
use uuid::Uuid;

use super::db;
use crate::features::stations;
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

pub use super::db::{Listed, Stored};

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
    if let Some(s) = station
        && !stations::station_exists(pool, s).await?
    {
        bail!("no station {s:?}: run `xunjiu seed` or check the code");
    }
    if let Some(k) = county
        && !stations::area_exists(pool, k).await?
    {
        bail!("no county {k:?} in the areas");
    }
    let kind = wire::name(&c.kind);
    let stored = db::NewChannel {
        id: Uuid::new_v4(),
        name: c.name.trim(),
        kind: &kind,
        station,
        county,
        city,
        webhook: c.webhook.as_deref().map(|w| secrets.seal(w)),
        secret: c
            .secret
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| secrets.seal(s)),
        phones: &c.phones,
    };
    if !db::insert_channel(pool, &stored, now).await? {
        bail!("a channel named {:?} exists already", stored.name);
    }
    Ok(stored.id)
}

/// The channels in use, their webhooks opened (callers show them [`masked`]).
pub async fn list(pool: &PgPool, secrets: &SecretKey) -> anyhow::Result<Vec<Listed>> {
    let mut listed = db::channels_in_use(pool).await?;
    for c in &mut listed {
        c.webhook = c.webhook.as_deref().map(|w| secrets.open(w)).transpose()?;
    }
    Ok(listed)
}

/// Seal the webhooks and secrets stored before sealing; returns how many channels changed.
pub async fn seal_stored(pool: &PgPool, secrets: &SecretKey) -> anyhow::Result<u64> {
    let mut sealed = 0;
    for stored in db::all_secrets(pool).await? {
        let plain = |v: &Option<String>| v.as_deref().is_some_and(|v| !SecretKey::is_sealed(v));
        if !plain(&stored.webhook) && !plain(&stored.secret) {
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
        let now_sealed = db::Secrets {
            id: stored.id,
            webhook: seal(stored.webhook),
            secret: seal(stored.secret),
        };
        db::set_secrets(pool, &now_sealed).await?;
        sealed += 1;
    }
    if sealed > 0 {
        tracing::info!(channels = sealed, "sealed stored webhooks and secrets");
    }
    Ok(sealed)
}

/// Stop using a channel; what it delivered stays on record.
pub async fn remove(pool: &PgPool, name: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    if !db::remove(pool, name, now).await? {
        bail!("no channel named {name:?}");
    }
    Ok(())
}

/// A channel in use by name, its webhook and secret opened for sending.
pub async fn find(pool: &PgPool, secrets: &SecretKey, name: &str) -> anyhow::Result<Stored> {
    let stored = db::find(pool, name)
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
