//! The `xunjiu` binary: telemetry → config → pool → migrate → serve.

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use xunjiu_server::clock::SystemClock;
use xunjiu_server::config::{DbArgs, ServeArgs, Settings};
use xunjiu_server::{AppState, app, db, seed, telemetry};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => {
            db::migrate(&db::pool(&args)?).await?;
            tracing::info!("migrations applied");
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
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let pool = db::pool(&args.db)?;
    db::migrate(&pool).await?;
    let state = AppState::load(pool, args.settings, Arc::new(SystemClock)).await?;
    if state.directory().stations().is_empty() {
        tracing::warn!("the station directory is empty: run `xunjiu seed`");
    }
    tokio::spawn(state.clone().follow_directory_changes());

    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening on http://{addr}");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
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
