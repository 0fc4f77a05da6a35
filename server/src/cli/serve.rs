//! `xunjiu serve`: the workers and the HTTP service, until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

use crate::plumbing::clock::{Clock, ShiftedClock, SystemClock};
use crate::plumbing::config::ServeArgs;
use crate::plumbing::db;
use crate::{AppState, app};

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let pool = db::pool(&args.db)?;
    if args.migrate_on_start {
        db::migrate(&pool).await?;
    } else {
        db::check_migrated(&pool).await?;
    }
    let filled = crate::features::heatmap::backfill::run(&pool).await?;
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
    if crate::features::web::missing_libraries() {
        tracing::warn!("Leaflet is missing from this build: run `npm ci` and build again");
    }
    if state.directory().stations().is_empty() {
        tracing::warn!("the station directory is empty: run `xunjiu seed`");
    }
    tokio::spawn(state.clone().follow_database_notifications());
    tokio::spawn(crate::wiring::timed_passes(state.clone()));
    tokio::spawn(crate::features::push::sender::run(state.clone()));
    tokio::spawn(crate::features::notify::sender::run(state.clone()));
    tokio::spawn(crate::features::heatmap::rollup::run(state.db.clone()));
    tokio::spawn(crate::features::retention::run(state.clone()));
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
            let tls = crate::plumbing::tls::server_config(&cert, &key).await?;
            tracing::info!(%addr, "listening on https://{addr}");
            let service = crate::plumbing::tls::with_hsts(router)
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
