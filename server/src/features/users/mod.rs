//! Account administration (`xunjiu users ...`): creating and disabling accounts.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use mobile_api::{Agency, Role};
use sqlx::PgPool;
use uuid::Uuid;

mod db;

use crate::features::auth;
use crate::rules::wire;

/// What `xunjiu users add` asks for.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub station: Option<String>,
    pub agency: Option<Agency>,
    pub unit: Option<String>,
    pub county_code: Option<String>,
    /// The hotline channel (`110`, `12345`) an operator works; required for hotline accounts.
    pub channel: Option<String>,
    /// The township (nine-digit code) a liaison works; required for liaisons.
    pub township_code: Option<String>,
    /// The village within it, free text.
    pub village: Option<String>,
}

/// Create an account, checking what the role requires.
pub async fn add(pool: &PgPool, account: NewAccount) -> anyhow::Result<Uuid> {
    let username = account.username.trim();
    if username.is_empty()
        || username.chars().count() > 64
        || username.chars().any(char::is_whitespace)
    {
        bail!("a username is 1 to 64 characters without spaces");
    }
    if account.password.chars().count() < 8 {
        bail!("a password has at least 8 characters");
    }
    match account.role {
        Role::Duty if account.station.is_none() => bail!("a duty officer needs --station CODE"),
        Role::Patrol if account.agency.is_none() => {
            bail!("a patrol officer needs --agency police|urban_management|other")
        }
        Role::Hotline if account.channel.is_none() => {
            bail!("a hotline operator needs --channel 110|12345 (the referrals they may read)")
        }
        Role::Liaison if account.township_code.is_none() || account.county_code.is_none() => {
            bail!("a liaison needs --county CODE and --township CODE (nine digits)")
        }
        _ => {}
    }
    if account.role != Role::Liaison
        && (account.township_code.is_some() || account.village.is_some())
    {
        bail!("--township and --village are for liaisons");
    }
    if let Some(code) = &account.township_code {
        match db::township_county(pool, code).await? {
            None => bail!("no township {code:?} (run `xunjiu seed` first?)"),
            Some(c) if Some(&c) != account.county_code.as_ref() => {
                bail!(
                    "township {code} lies in county {c}, not {:?}",
                    account.county_code
                )
            }
            Some(_) => {}
        }
    }
    if let Some(channel) = &account.channel {
        if account.role != Role::Hotline {
            bail!("--channel is for hotline operators");
        }
        if !matches!(channel.as_str(), "110" | "12345") {
            bail!("--channel is 110 or 12345");
        }
    }
    if let Some(code) = &account.station
        && !crate::features::stations::station_exists(pool, code).await?
    {
        bail!("no station {code:?} (run `xunjiu seed` first?)");
    }
    if let Some(code) = &account.county_code
        && !crate::features::stations::area_exists(pool, code).await?
    {
        bail!("no county-level area {code:?}");
    }
    let plain = account.password;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&plain)).await??;
    let role = wire::name(&account.role);
    let agency = account.agency.as_ref().map(wire::name);
    let id = db::insert(
        pool,
        &db::NewUser {
            username,
            role: &role,
            station: account.station.as_deref(),
            agency: agency.as_deref(),
            unit: account.unit.as_deref(),
            county_code: account.county_code.as_deref(),
            password_hash: &hash,
            channel: account.channel.as_deref(),
            township_code: account.township_code.as_deref(),
            village: account.village.as_deref(),
        },
    )
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("users_username_key") => {
            anyhow::anyhow!("the username {username:?} is taken")
        }
        _ => anyhow::Error::new(e),
    })?;
    Ok(id)
}

/// Lock an account and revoke every token it holds (a lost phone). Returns the sessions revoked.
pub async fn disable(pool: &PgPool, username: &str, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let mut tx = pool.begin().await?;
    let id = db::disable(&mut tx, username, now)
        .await?
        .with_context(|| format!("no user {username:?}"))?;
    let revoked = db::revoke_sessions(&mut tx, id, now).await?;
    tx.commit().await?;
    Ok(revoked)
}
