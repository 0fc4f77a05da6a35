#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! `xunjiu notify` as an operator runs it: channels added, listed with their tokens hidden,
//! refused when the kind is unknown or its target is missing, removed.

use std::process::{Command, Output};

use sqlx::PgPool;

mod support;
use support::database_url;

fn key_file() -> String {
    std::env::temp_dir()
        .join("xunjiu-notify-cli.key")
        .display()
        .to_string()
}

fn xunjiu(url: &str, args: &[&str]) -> Output {
    xunjiu_with(url, args, &[], "")
}

/// `xunjiu` with more environment and a line on stdin.
fn xunjiu_with(url: &str, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_xunjiu"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("NO_COLOR", "1")
        .env("XUNJIU_SECRET_KEY_FILE", key_file())
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[sqlx::test(migrations = false)]
async fn channels_are_added_listed_without_secrets_refused_when_incomplete_and_removed(
    pool: PgPool,
) {
    let url = database_url(&pool);
    assert!(xunjiu(&url, &["seed"]).status.success());

    let added = xunjiu(
        &url,
        &[
            "notify",
            "add",
            "--name",
            "xintai-ding",
            "--kind",
            "dingtalk",
            "--station",
            "xintai",
            "--webhook",
            "https://oapi.dingtalk.com/robot/send?access_token=tok-123456",
            "--secret",
            "SECsecret-789",
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let sms = xunjiu(
        &url,
        &[
            "notify",
            "add",
            "--name",
            "city-sms",
            "--kind",
            "sms",
            "--city",
            "--phones",
            "13912345678,13812345678",
        ],
    );
    assert!(
        sms.status.success(),
        "{}",
        String::from_utf8_lossy(&sms.stderr)
    );

    for (args, why) in [
        (
            vec![
                "notify",
                "add",
                "--name",
                "x",
                "--kind",
                "telegram",
                "--city",
                "--webhook",
                "https://t.example/",
            ],
            "an unknown kind",
        ),
        (
            vec![
                "notify",
                "add",
                "--name",
                "x",
                "--kind",
                "dingtalk",
                "--city",
                "--webhook",
                "http://oapi.dingtalk.com/robot/send?access_token=t",
            ],
            "a webhook over plain http",
        ),
        (
            vec![
                "notify", "add", "--name", "x", "--kind", "wecom", "--county", "370982",
            ],
            "a robot without its webhook",
        ),
        (
            vec![
                "notify",
                "add",
                "--name",
                "x",
                "--kind",
                "sms",
                "--station",
                "xintai",
            ],
            "sms without phones",
        ),
        (
            vec![
                "notify",
                "add",
                "--name",
                "x",
                "--kind",
                "wecom",
                "--station",
                "nowhere",
                "--webhook",
                "https://q.example/",
            ],
            "an unknown station",
        ),
        (
            vec![
                "notify",
                "add",
                "--name",
                "x",
                "--kind",
                "wecom",
                "--webhook",
                "https://q.example/",
            ],
            "no audience",
        ),
        (
            vec![
                "notify",
                "add",
                "--name",
                "city-sms",
                "--kind",
                "sms",
                "--city",
                "--phones",
                "13912345678",
            ],
            "a name in use",
        ),
    ] {
        let refused = xunjiu(&url, &args);
        assert!(!refused.status.success(), "{why} is refused");
    }

    let listed = xunjiu(&url, &["notify", "list"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains("xintai-ding\tdingtalk\tstation xintai"),
        "{text}"
    );
    assert!(text.contains("access_token=***"), "{text}");
    assert!(
        text.contains("city-sms\tsms\tcity\t13912345678,13812345678"),
        "{text}"
    );
    assert!(
        !text.contains("tok-123456") && !text.contains("SECsecret"),
        "no secret printed: {text}"
    );
    assert_eq!(text.lines().count(), 2);

    assert!(
        xunjiu(&url, &["notify", "remove", "city-sms"])
            .status
            .success()
    );
    assert!(
        !xunjiu(&url, &["notify", "remove", "city-sms"])
            .status
            .success()
    );
    let after = xunjiu(&url, &["notify", "list"]);
    assert_eq!(String::from_utf8_lossy(&after.stdout).lines().count(), 1);
    // A test message through a channel whose service cannot be reached says so and fails.
    let unreachable = xunjiu(
        &url,
        &[
            "notify",
            "add",
            "--name",
            "dead",
            "--kind",
            "wecom",
            "--city",
            "--webhook",
            "http://127.0.0.1:9/send?key=k",
        ],
    );
    assert!(
        !unreachable.status.success(),
        "plain http only with the test flag"
    );
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("https"));
    let unreachable = xunjiu_with(
        &url,
        &[
            "notify",
            "add",
            "--name",
            "dead",
            "--kind",
            "wecom",
            "--city",
            "--webhook",
            "http://127.0.0.1:9/send?key=k",
        ],
        &[("XUNJIU_PUSH_ALLOW_LOOPBACK", "true")],
        "",
    );
    assert!(
        unreachable.status.success(),
        "{}",
        String::from_utf8_lossy(&unreachable.stderr)
    );
    let test = xunjiu(&url, &["notify", "test", "dead"]);
    assert!(!test.status.success());
    assert!(String::from_utf8_lossy(&test.stdout).starts_with("failed\tnetwork"));
}

#[sqlx::test(migrations = false)]
async fn secrets_come_from_the_environment_or_stdin_and_are_stored_sealed(pool: PgPool) {
    let url = database_url(&pool);
    assert!(xunjiu(&url, &["seed"]).status.success());
    let add = |name: &str, secret_arg: &[&str], env: &[(&str, &str)], stdin: &str| {
        let mut args = vec![
            "notify",
            "add",
            "--name",
            name,
            "--kind",
            "dingtalk",
            "--county",
            "370982",
            "--webhook",
            "https://oapi.dingtalk.com/robot/send?access_token=tok-sealed-1",
        ];
        args.extend(secret_arg);
        xunjiu_with(&url, &args, env, stdin)
    };
    let from_env = add("env", &[], &[("XUNJIU_NOTIFY_SECRET", "SECfrom-env")], "");
    let from_stdin = add("stdin", &["--secret", "-"], &[], "SECfrom-stdin\n");
    for out in [&from_env, &from_stdin] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let stored: Vec<(String, String, Option<String>)> =
        sqlx::query_as("select name, webhook, secret from notify_channels order by name")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), 2);
    for (name, webhook, secret) in &stored {
        let secret = secret.as_deref().expect("a secret for each");
        assert!(
            webhook.starts_with("xj1:") && secret.starts_with("xj1:"),
            "{name}"
        );
        assert!(
            !webhook.contains("tok-sealed") && !secret.contains("SECfrom"),
            "{name}"
        );
    }
    // What was sealed opens with the key file the CLI used, as the server's sender opens it.
    let key = std::fs::read_to_string(key_file()).unwrap();
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&key.trim()[2 * i..2 * i + 2], 16).unwrap();
    }
    let key = xunjiu_server::plumbing::secrets::SecretKey::from_bytes(bytes);
    let secrets: Vec<String> = stored
        .iter()
        .map(|(_, _, s)| key.open(s.as_deref().unwrap()).unwrap())
        .collect();
    assert_eq!(secrets, ["SECfrom-env", "SECfrom-stdin"]);
    // The VAPID private key a server makes is sealed too.
    assert!(xunjiu(&url, &["vapid", "generate"]).status.success());
    let vapid: String = sqlx::query_scalar("select private_key from vapid_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(vapid.starts_with("xj1:"), "{vapid}");
}
