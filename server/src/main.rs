//! The `xunjiu` binary: telemetry, then the command line ([`xunjiu_server::cli`]).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _logs = xunjiu_server::plumbing::telemetry::init();
    xunjiu_server::cli::run().await
}
