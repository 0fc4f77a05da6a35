//! The real `xunjiu` binary, as an operator runs it: seed, serve, answer, stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use sqlx::PgPool;

/// The URL of the test's own database, built from the master `DATABASE_URL`.
fn database_url(pool: &PgPool) -> String {
    let master = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let base = master.rsplit_once('/').map_or(master.as_str(), |(b, _)| b);
    let name = pool
        .connect_options()
        .get_database()
        .expect("sqlx::test names a database")
        .to_owned();
    format!("{base}/{name}")
}

#[sqlx::test(migrations = false)]
async fn the_binary_migrates_seeds_serves_and_stops_cleanly_on_sigterm(pool: PgPool) {
    let url = database_url(&pool);
    let exe = env!("CARGO_BIN_EXE_xunjiu");

    let seeded = Command::new(exe)
        .arg("seed")
        .env("DATABASE_URL", &url)
        .status()
        .unwrap();
    assert!(seeded.success());

    let mut server = KillOnDrop(
        Command::new(exe)
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("XUNJIU_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(server.0.stderr.take().unwrap()).lines();
    let url_line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("listening on http://"))
        .expect("the server says where it listens");
    let base = url_line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    std::thread::spawn(move || lines.for_each(drop));

    let route: serde_json::Value =
        reqwest::get(format!("{base}/api/v1/route?lat=35.91&lon=117.76"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(route["station"]["code"], "xintai");
    assert_eq!(route["station"]["phone"], "0538-7330199");

    let killed = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || server.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

/// A child process that cannot outlive a failed test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
