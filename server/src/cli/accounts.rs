//! Accounts (`xunjiu users`) and Open311 partners (`xunjiu partners`).

use clap::Subcommand;
use mobile_api::{Agency, Role};

use super::{first_line_of_stdin, parse_wire};
use crate::features::users;
use crate::plumbing::config::DbArgs;
use crate::plumbing::db;

#[derive(Debug, Subcommand)]
pub enum PartnersCommand {
    /// Register a partner; its API key is printed on the last line, once.
    Add {
        name: String,
        /// The referral channel its requests get: 12345, 110, volunteer, taxi, sanitation_security, charity, public.
        #[arg(long, value_parser = parse_wire::<mobile_api::Channel>)]
        channel: mobile_api::Channel,
    },
    /// Revoke a partner's key.
    Revoke { name: String },
    /// List partners.
    List,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account. The password comes from XUNJIU_PASSWORD, else the first line of stdin.
    Add {
        #[arg(long)]
        username: String,
        /// patrol, hotline, duty, supervisor or admin.
        #[arg(long, value_parser = parse_wire::<Role>)]
        role: Role,
        /// The station of a duty officer (taian, xintai, feicheng, ningyang, dongping).
        #[arg(long)]
        station: Option<String>,
        /// A patrol officer's force: police, urban_management or other.
        #[arg(long, value_parser = parse_wire::<Agency>)]
        agency: Option<Agency>,
        /// A patrol officer's unit, e.g. 泰山区公安分局.
        #[arg(long)]
        unit: Option<String>,
        /// The county (six-digit code) a county-level supervisor answers for.
        #[arg(long)]
        county: Option<String>,
        /// The channel a hotline operator works (110 or 12345): they read its referrals.
        #[arg(long)]
        channel: Option<String>,
        /// The township (nine-digit code) a liaison works; with --county.
        #[arg(long)]
        township: Option<String>,
        /// The village a liaison works, free text.
        #[arg(long)]
        village: Option<String>,
    },
    /// Lock an account and revoke all its tokens (a lost phone).
    Disable { username: String },
}

pub async fn partners_command(args: DbArgs, command: PartnersCommand) -> anyhow::Result<()> {
    use std::io::Write;
    let pool = db::pool(&args)?;
    db::migrate(&pool).await?;
    let mut out = std::io::stdout();
    match command {
        PartnersCommand::Add { name, channel } => {
            let key = crate::features::open311::partners::add(&pool, &name, channel).await?;
            writeln!(
                out,
                "partner {name} added; its Open311 api_key (shown only now):"
            )?;
            writeln!(out, "{key}")?;
        }
        PartnersCommand::Revoke { name } => {
            crate::features::open311::partners::revoke(&pool, &name, chrono::Utc::now()).await?;
            writeln!(out, "partner {name}: key revoked")?;
        }
        PartnersCommand::List => {
            for (name, channel, revoked) in crate::features::open311::partners::list(&pool).await? {
                let state = if revoked { "revoked" } else { "active" };
                writeln!(out, "{name}\t{channel}\t{state}")?;
            }
        }
    }
    Ok(())
}

pub async fn users_command(args: DbArgs, command: UsersCommand) -> anyhow::Result<()> {
    let pool = db::pool(&args)?;
    db::migrate(&pool).await?;
    match command {
        UsersCommand::Add {
            username,
            role,
            station,
            agency,
            unit,
            county,
            channel,
            township,
            village,
        } => {
            let password = match std::env::var("XUNJIU_PASSWORD") {
                Ok(p) => p,
                Err(_) => first_line_of_stdin("the password")?,
            };
            let account = users::NewAccount {
                username,
                password,
                role,
                station,
                agency,
                unit,
                county_code: county,
                channel,
                township_code: township,
                village,
            };
            let id = users::add(&pool, account).await?;
            tracing::info!(%id, "account created");
        }
        UsersCommand::Disable { username } => {
            let revoked = users::disable(&pool, &username, chrono::Utc::now()).await?;
            tracing::info!(revoked, "account disabled and its tokens revoked");
        }
    }
    Ok(())
}
