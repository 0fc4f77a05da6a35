//! Running the real `xunjiu` binary from a test: its database URL and a started server.
// Each test binary includes this module and uses a part of it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use sqlx::PgPool;

/// The URL of the test's own database, built from the master `DATABASE_URL`.
pub fn database_url(pool: &PgPool) -> String {
    let master = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let base = master.rsplit_once('/').map_or(master.as_str(), |(b, _)| b);
    let name = pool
        .connect_options()
        .get_database()
        .expect("sqlx::test names a database")
        .to_owned();
    format!("{base}/{name}")
}

/// `xunjiu serve` on a free port, killed when dropped; its log lines are kept.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start the binary against `url` with rate limits lifted and `env` added; returns once it
/// listens.
pub fn serve(url: &str, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xunjiu"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("XUNJIU_LISTEN", "127.0.0.1:0")
        .env("XUNJIU_WRITES_PER_MINUTE", "1000000")
        .env("XUNJIU_WRITE_BURST", "1000000")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("listening on http"))
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            kept.lock().unwrap().push(line);
        }
    });
    let base = line
        .split("listening on ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_owned();
    Server { child, base, log }
}
