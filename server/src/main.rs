//! The `xunjiu` binary: telemetry → config → pool → migrate → serve.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mobile_api::{Agency, Role};
use xunjiu_server::clock::{Clock, ShiftedClock, SystemClock};
use xunjiu_server::config::{DbArgs, ServeArgs, Settings};
use xunjiu_server::{AppState, app, db, seed, telemetry, users};

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
enum PartnersCommand {
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
enum NotifyCommand {
    /// Add a channel for one station, one county or the whole city.
    Add {
        #[arg(long)]
        name: String,
        /// dingtalk, wecom or sms.
        #[arg(long, value_parser = parse_wire::<mobile_api::ChannelKind>)]
        kind: mobile_api::ChannelKind,
        /// The station whose referrals it announces.
        #[arg(long, group = "audience")]
        station: Option<String>,
        /// The county (six-digit code) whose supervisors it reaches.
        #[arg(long, group = "audience")]
        county: Option<String>,
        /// The city's supervisors.
        #[arg(long, group = "audience")]
        city: bool,
        /// The robot's webhook URL (dingtalk, wecom).
        #[arg(long)]
        webhook: Option<String>,
        /// DingTalk's signing secret (加签), if the robot uses one; `-` reads it from the first
        /// line of stdin. Better than on the command line, where others may see it: the
        /// environment variable.
        #[arg(long, env = "XUNJIU_NOTIFY_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// Mobile numbers for sms, comma-separated.
        #[arg(long, value_delimiter = ',')]
        phones: Vec<String>,
    },
    /// List the channels (webhook tokens hidden).
    List,
    /// Stop using a channel; its delivery record stays.
    Remove { name: String },
    /// Send a test message through a channel and print the service's answer.
    Test { name: String },
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

#[derive(Debug, Subcommand)]
enum UsersCommand {
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

fn parse_wire<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    xunjiu_server::wire::parse(text).map_err(|_| format!("unknown value {text:?}"))
}

async fn partners_command(args: DbArgs, command: PartnersCommand) -> anyhow::Result<()> {
    use std::io::Write;
    let pool = db::pool(&args)?;
    db::migrate(&pool).await?;
    let mut out = std::io::stdout();
    match command {
        PartnersCommand::Add { name, channel } => {
            let key = xunjiu_server::open311::partners::add(&pool, &name, channel).await?;
            writeln!(
                out,
                "partner {name} added; its Open311 api_key (shown only now):"
            )?;
            writeln!(out, "{key}")?;
        }
        PartnersCommand::Revoke { name } => {
            xunjiu_server::open311::partners::revoke(&pool, &name, chrono::Utc::now()).await?;
            writeln!(out, "partner {name}: key revoked")?;
        }
        PartnersCommand::List => {
            for (name, channel, revoked) in xunjiu_server::open311::partners::list(&pool).await? {
                let state = if revoked { "revoked" } else { "active" };
                writeln!(out, "{name}\t{channel}\t{state}")?;
            }
        }
    }
    Ok(())
}

/// The first line of stdin, without its line end: how secrets reach the CLI off the command line.
fn first_line_of_stdin(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .with_context(|| format!("reading {what} from stdin"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn notify_command(
    args: DbArgs,
    settings: Settings,
    command: NotifyCommand,
) -> anyhow::Result<()> {
    use std::io::Write;
    use xunjiu_server::notify::{channels, message, sender};
    let pool = db::pool(&args)?;
    db::migrate(&pool).await?;
    let mut out = std::io::stdout();
    let now = chrono::Utc::now();
    match command {
        NotifyCommand::Add {
            name,
            kind,
            station,
            county,
            city,
            webhook,
            secret,
            phones,
        } => {
            let audience = match (station, county, city) {
                (Some(s), None, false) => channels::Audience::Station(s),
                (None, Some(c), false) => channels::Audience::County(c),
                (None, None, true) => channels::Audience::City,
                _ => anyhow::bail!("name one of --station CODE, --county CODE or --city"),
            };
            let secret = match secret.as_deref() {
                Some("-") => Some(first_line_of_stdin("the secret")?),
                _ => secret,
            };
            let channel = channels::NewChannel {
                name: name.clone(),
                kind,
                audience,
                webhook,
                secret,
                phones,
            };
            let key = settings.secret_key()?;
            channels::add(&pool, &key, &channel, settings.push_allow_loopback, now).await?;
            writeln!(out, "channel {name} added")?;
        }
        NotifyCommand::List => {
            for c in channels::list(&pool, &settings.secret_key()?).await? {
                let audience = match (&c.station_code, &c.county_code) {
                    (Some(s), _) => format!("station {s}"),
                    (None, Some(k)) => format!("county {k}"),
                    _ => "city".to_owned(),
                };
                let target = match &c.webhook {
                    Some(url) => channels::masked(url),
                    None => c.phones.join(","),
                };
                let signed = if c.signed { "\tsigned" } else { "" };
                writeln!(out, "{}\t{}\t{audience}\t{target}{signed}", c.name, c.kind)?;
            }
        }
        NotifyCommand::Remove { name } => {
            channels::remove(&pool, &name, now).await?;
            writeln!(out, "channel {name} removed")?;
        }
        NotifyCommand::Test { name } => {
            let channel = channels::find(&pool, &settings.secret_key()?, &name).await?;
            let text = message::plain(
                "巡救测试消息 Xunjiu test",
                "若收到此消息，说明通道可用。",
                None,
            );
            let answer = sender::send(
                &settings,
                &sender::client(),
                &channel.kind,
                channel.webhook.as_deref(),
                channel.secret.as_deref(),
                &channel.phones,
                &text,
                now,
            )
            .await;
            writeln!(
                out,
                "{}\t{}\t{}",
                if answer.ok { "ok" } else { "failed" },
                answer.code,
                answer.detail.unwrap_or_default()
            )?;
            if !answer.ok {
                anyhow::bail!("the test message was not delivered");
            }
        }
    }
    Ok(())
}

async fn users_command(args: DbArgs, command: UsersCommand) -> anyhow::Result<()> {
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _logs = telemetry::init();
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => {
            db::migrate(&db::pool(&args)?).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Users { db: args, command } => users_command(args, command).await,
        Command::Partners { db: args, command } => partners_command(args, command).await,
        Command::Units { db: args, command } => {
            use std::io::Write;
            let pool = db::pool(&args)?;
            db::migrate(&pool).await?;
            let mut out = std::io::stdout();
            match command {
                UnitsCommand::Add { name, kind: _ } => {
                    let name = name.trim();
                    anyhow::ensure!(!name.is_empty(), "--name must not be empty");
                    let code: String = sqlx::query_scalar(
                        "insert into functional_zones (code, name, created_at)
                         values ('fz' || nextval('functional_zones_seq'), $1, now()) returning code",
                    )
                    .bind(name)
                    .fetch_one(&pool)
                    .await
                    .with_context(|| format!("a unit named {name:?} exists already"))?;
                    writeln!(out, "functional zone {name} added as {code}")?;
                }
                UnitsCommand::List => {
                    for unit in xunjiu_server::annex1::compute::units(&pool).await? {
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
        } => notify_command(args, settings, command).await,
        Command::Erase {
            db: args,
            referral,
            sighting,
            person,
            reason,
        } => {
            use xunjiu_server::retention::{self, Record};
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
            let keys = xunjiu_server::push::vapid::replace(&pool, &settings.secret_key()?).await?;
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

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let pool = db::pool(&args.db)?;
    if args.migrate_on_start {
        db::migrate(&pool).await?;
    } else {
        db::check_migrated(&pool).await?;
    }
    let filled = xunjiu_server::heatmap::backfill::run(&pool).await?;
    if filled > 0 {
        tracing::info!(
            filled,
            "heat-map cells computed for records stored before heat-maps"
        );
    }
    let clock: Arc<dyn Clock> = match args.clock_start {
        Some(start) => {
            tracing::warn!(%start, "the clock starts at a chosen instant, not now");
            Arc::new(ShiftedClock::starting_at(start))
        }
        None => Arc::new(SystemClock),
    };
    let state = AppState::load(pool, args.settings, clock).await?;
    if xunjiu_server::web::missing_libraries() {
        tracing::warn!("Leaflet is missing from this build: run `npm ci` and build again");
    }
    if state.directory().stations().is_empty() {
        tracing::warn!("the station directory is empty: run `xunjiu seed`");
    }
    tokio::spawn(state.clone().follow_database_notifications());
    tokio::spawn(xunjiu_server::escalation::run(state.clone()));
    tokio::spawn(xunjiu_server::push::sender::run(state.clone()));
    tokio::spawn(xunjiu_server::notify::sender::run(state.clone()));
    tokio::spawn(xunjiu_server::heatmap::rollup::run(state.db.clone()));
    tokio::spawn(xunjiu_server::retention::run(state.clone()));
    if let Some(replica) = state.replica.clone() {
        tokio::spawn(replica.run());
    }

    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    let handle = axum_server::Handle::new();
    let grace = std::time::Duration::from_secs(args.shutdown_grace_s);
    tokio::spawn({
        let (handle, state) = (handle.clone(), state.clone());
        async move {
            shutdown_signal().await;
            tracing::info!(grace_s = grace.as_secs(), "shutting down");
            // Event streams never end by themselves: end them, then give requests in flight
            // the grace period before connections are closed.
            state.shutdown.send_replace(true);
            handle.graceful_shutdown(Some(grace));
        }
    });
    let router = app(state);
    // Answers leave at once: with Nagle's algorithm a response written in two pieces waited for
    // the client's delayed acknowledgement, up to 40 ms.
    use axum_server::accept::NoDelayAcceptor;
    match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => {
            let tls = xunjiu_server::tls::server_config(&cert, &key).await?;
            tracing::info!(%addr, "listening on https://{addr}");
            let service = xunjiu_server::tls::with_hsts(router)
                .into_make_service_with_connect_info::<SocketAddr>();
            let acceptor =
                axum_server::tls_rustls::RustlsAcceptor::new(tls).acceptor(NoDelayAcceptor);
            axum_server::from_tcp(listener)?
                .acceptor(acceptor)
                .handle(handle)
                .serve(service)
                .await?;
        }
        _ => {
            tracing::info!(%addr, "listening on http://{addr}");
            tracing::warn!(
                "serving plain HTTP: TLS must end in front of this server (a reverse proxy), or set XUNJIU_TLS_CERT and XUNJIU_TLS_KEY"
            );
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            axum_server::from_tcp(listener)?
                .acceptor(NoDelayAcceptor)
                .handle(handle)
                .serve(service)
                .await?;
        }
    }
    tracing::info!("shut down");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
