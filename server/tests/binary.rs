//! The real `xunjiu` binary, as an operator runs it: seed, serve, answer, stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use sqlx::PgPool;

mod support;
use support::database_url;

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

    let added = Command::new(exe)
        .args([
            "users",
            "add",
            "--username",
            "wang.fang",
            "--role",
            "duty",
            "--station",
            "xintai",
        ])
        .env("DATABASE_URL", &url)
        .env("XUNJIU_PASSWORD", "a long passphrase")
        .status()
        .unwrap();
    assert!(added.success());
    let refused = Command::new(exe)
        .args(["users", "add", "--username", "li.lei", "--role", "patrol"])
        .env("DATABASE_URL", &url)
        .env("XUNJIU_PASSWORD", "a long passphrase")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        !refused.success(),
        "a patrol officer without --agency is refused"
    );

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
    let mut startup = Vec::new();
    let url_line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| {
            startup.push(l.clone());
            l.contains("listening on http://")
        })
        .expect("the server says where it listens");
    assert!(
        startup
            .iter()
            .any(|l| l.contains("generated a VAPID key pair")),
        "a fresh install makes its VAPID key at first start and says so"
    );
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
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "wang.fang", "password": "a long passphrase"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["user"]["station"], "xintai");

    let disabled = Command::new(exe)
        .args(["users", "disable", "wang.fang"])
        .env("DATABASE_URL", &url)
        .status()
        .unwrap();
    assert!(disabled.success());
    let me = client
        .get(format!("{base}/api/v1/auth/me"))
        .bearer_auth(login["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status().as_u16(),
        401,
        "a disabled account's token is dead at once"
    );

    let vapid = Command::new(exe)
        .args(["vapid", "generate"])
        .env("DATABASE_URL", &url)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(vapid.status.success());
    let public_key = String::from_utf8(vapid.stdout).unwrap();
    assert_eq!(public_key.trim().len(), 87, "base64url of a 65-byte point");

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
