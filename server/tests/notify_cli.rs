#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! `xunjiu notify` as an operator runs it: channels added, listed with their tokens hidden,
//! refused when the kind is unknown or its target is missing, removed.

use std::process::{Command, Output};

use sqlx::PgPool;

mod support;
use support::database_url;

fn xunjiu(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xunjiu"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
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
    assert!(unreachable.status.success());
    let test = xunjiu(&url, &["notify", "test", "dead"]);
    assert!(!test.status.success());
    assert!(String::from_utf8_lossy(&test.stdout).starts_with("failed\tnetwork"));
}
