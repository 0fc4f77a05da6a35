//! Account administration (`xunjiu users ...`): creating and disabling accounts.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use mobile_api::{Agency, Role};
use sqlx::PgPool;
use uuid::Uuid;

use crate::features::auth::password;
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
pub async fn add(db: &PgPool, account: NewAccount) -> anyhow::Result<Uuid> {
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
        let county: Option<String> =
            sqlx::query_scalar("select county_code from townships where code = $1")
                .bind(code)
                .fetch_optional(db)
                .await?;
        match county {
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
    if let Some(code) = &account.station {
        let known: bool =
            sqlx::query_scalar("select exists (select 1 from stations where code = $1)")
                .bind(code)
                .fetch_one(db)
                .await?;
        if !known {
            bail!("no station {code:?} (run `xunjiu seed` first?)");
        }
    }
    if let Some(code) = &account.county_code {
        let known: bool = sqlx::query_scalar("select exists (select 1 from areas where code = $1)")
            .bind(code)
            .fetch_one(db)
            .await?;
        if !known {
            bail!("no county-level area {code:?}");
        }
    }
    let plain = account.password;
    let hash = tokio::task::spawn_blocking(move || password::hash(&plain)).await??;
    let id: Uuid = sqlx::query_scalar(
        "insert into users (username, role, station_code, agency, unit, county_code, password_hash, channel,
                            township_code, village)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
    )
    .bind(username)
    .bind(wire::name(&account.role))
    .bind(&account.station)
    .bind(account.agency.as_ref().map(wire::name))
    .bind(&account.unit)
    .bind(&account.county_code)
    .bind(hash)
    .bind(&account.channel)
    .bind(&account.township_code)
    .bind(&account.village)
    .fetch_one(db)
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
pub async fn disable(db: &PgPool, username: &str, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let mut tx = db.begin().await?;
    let id: Option<Uuid> = sqlx::query_scalar(
        "update users set disabled_at = coalesce(disabled_at, $2) where lower(username) = lower($1) returning id",
    )
    .bind(username)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.with_context(|| format!("no user {username:?}"))?;
    let revoked = sqlx::query(
        "update sessions set revoked_at = $2 where user_id = $1 and revoked_at is null",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(revoked)
}
