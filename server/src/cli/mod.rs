//! The `xunjiu` command line: `serve` ([`serve`]), and the operator's commands for the schema,
//! the reference data, accounts and partners ([`accounts`]), alert channels ([`notify`]),
//! Annex 1 units, web push keys and erasure.

mod accounts;
mod notify;
mod serve;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::features::seed;
use crate::plumbing::config::{DbArgs, ServeArgs, Settings};
use crate::plumbing::db;
use accounts::{PartnersCommand, UsersCommand};
use notify::NotifyCommand;

#[derive(Debug, Parser)]
#[command(
    name = "xunjiu",
    version,
    about = "Xunjiu (巡救): street patrol and referral service for vagrant rescue in Tai'an"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve HTTP until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate(DbArgs),
    /// Load the reference data (stations, areas) compiled from `seed/`; safe to repeat.
    Seed {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        settings: Settings,
    },
    /// Open311 partners and their API keys.
    Partners {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        command: PartnersCommand,
    },
    /// Alert channels beside web push: DingTalk and WeCom group robots, SMS.
    Notify {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        settings: Settings,
        #[command(subcommand)]
        command: NotifyCommand,
    },
    /// Annex 1 filing units beside the counties and the city station: functional zones (功能区).
    Units {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// Web push keys.
    Vapid {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        settings: Settings,
        #[command(subcommand)]
        command: VapidCommand,
    },
    /// Redact one record's personal fields now, or a person's and those of every report linked
    /// to them, on a person's request (PIPL art. 47); the reason is kept on the timeline.
    #[command(group(clap::ArgGroup::new("record").required(true)))]
    Erase {
        #[command(flatten)]
        db: DbArgs,
        /// A referral's id.
        #[arg(long, group = "record")]
        referral: Option<uuid::Uuid>,
        /// A sighting's id (its referral, which carries its notes, is redacted with it).
        #[arg(long, group = "record")]
        sighting: Option<uuid::Uuid>,
        /// A person's id: their record, entries, revisits and tracing notes, and every report
        /// linked to them.
        #[arg(long, group = "record")]
        person: Option<uuid::Uuid>,
        /// Why, e.g. "PIPL art. 47 request of 2026-12-01, ticket 123".
        #[arg(long)]
        reason: String,
    },
    /// Manage accounts.
    Users {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        command: UsersCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UnitsCommand {
    /// Register a functional zone (高新区 …); its code (`fz1` …) is printed.
    Add {
        #[arg(long)]
        name: String,
        /// functional_zone (the only kind that is added; counties and the city station are built in).
        #[arg(long, value_parser = ["functional_zone"])]
        kind: String,
    },
    /// List the filing units.
    List,
}

#[derive(Debug, Subcommand)]
enum VapidCommand {
    /// Create a new VAPID key pair (replacing any) and print its public key. Browsers must
    /// subscribe again afterwards. (`xunjiu serve` creates one by itself on first start.)
    Generate,
}

pub(crate) fn parse_wire<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    crate::rules::wire::parse(text).map_err(|_| format!("unknown value {text:?}"))
}

/// The first line of stdin, without its line end: how secrets reach the CLI off the command line.
pub(crate) fn first_line_of_stdin(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .with_context(|| format!("reading {what} from stdin"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Parse the command line and do what it says.
pub async fn run() -> anyhow::Result<()> {
    crate::wiring::install_hooks();
    match Cli::parse().command {
        Command::Serve(args) => serve::serve(args).await,
        Command::Migrate(args) => {
            db::migrate(&db::pool(&args)?).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Users { db: args, command } => accounts::users_command(args, command).await,
        Command::Partners { db: args, command } => accounts::partners_command(args, command).await,
        Command::Units { db: args, command } => {
            use std::io::Write;
            let pool = db::pool(&args)?;
            db::migrate(&pool).await?;
            let mut out = std::io::stdout();
            match command {
                UnitsCommand::Add { name, kind: _ } => {
                    let name = name.trim();
                    anyhow::ensure!(!name.is_empty(), "--name must not be empty");
                    let code = crate::features::annex1::compute::add_functional_zone(&pool, name)
                        .await
                        .with_context(|| format!("a unit named {name:?} exists already"))?;
                    writeln!(out, "functional zone {name} added as {code}")?;
                }
                UnitsCommand::List => {
                    for unit in crate::features::annex1::compute::units(&pool).await? {
                        writeln!(out, "{}\t{}\t{}", unit.code(), unit.kind(), unit.name())?;
                    }
                }
            }
            Ok(())
        }
        Command::Notify {
            db: args,
            settings,
            command,
        } => notify::notify_command(args, settings, command).await,
        Command::Erase {
            db: args,
            referral,
            sighting,
            person,
            reason,
        } => {
            use crate::features::retention::{self, Record};
            let pool = db::pool(&args)?;
            db::migrate(&pool).await?;
            let record = match (referral, sighting, person) {
                (Some(id), _, _) => Record::Referral(id),
                (None, Some(id), _) => Record::Sighting(id),
                (None, None, Some(id)) => Record::Person(id),
                (None, None, None) => {
                    anyhow::bail!("give --referral ID, --sighting ID or --person ID")
                }
            };
            let n = retention::erase(&pool, record, &reason, chrono::Utc::now()).await?;
            use std::io::Write;
            writeln!(std::io::stdout(), "redacted {n} record(s)")?;
            Ok(())
        }
        Command::Vapid {
            db: args,
            settings,
            command: VapidCommand::Generate,
        } => {
            let pool = db::pool(&args)?;
            db::migrate(&pool).await?;
            let keys =
                crate::features::push::vapid::replace(&pool, &settings.secret_key()?).await?;
            tracing::info!("new VAPID key pair stored; existing push subscriptions were removed");
            use std::io::Write;
            writeln!(std::io::stdout(), "{}", keys.public_key)?;
            Ok(())
        }
        Command::Seed { db: args, settings } => {
            let pool = db::pool(&args)?;
            db::migrate(&pool).await?;
            let report = seed::run(&pool, settings.service_margin_m).await?;
            tracing::info!(
                stations = report.stations,
                areas = report.areas,
                "seed data loaded"
            );
            if !report.kept_corrections.is_empty() {
                use std::io::Write;
                writeln!(
                    std::io::stdout(),
                    "kept the operators' corrections of station(s) {}: seed/stations.csv did not overwrite them",
                    report.kept_corrections.join(", ")
                )?;
            }
            Ok(())
        }
    }
}
