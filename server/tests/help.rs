#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! `xunjiu serve --help` shows where the settings come from, never their secret values.

use std::process::Command;

#[test]
fn serve_help_prints_no_database_password() {
    let out = Command::new(env!("CARGO_BIN_EXE_xunjiu"))
        .args(["serve", "--help"])
        .env(
            "DATABASE_URL",
            "postgres://app:PRIMARY-PASSWORD@db.example/xunjiu",
        )
        .env(
            "XUNJIU_READ_DATABASE_URL",
            "postgres://app:REPLICA-PASSWORD@standby.example/xunjiu",
        )
        .env("XUNJIU_SMS_ACCESS_KEY_SECRET", "SMS-SECRET")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("XUNJIU_READ_DATABASE_URL"), "{text}");
    for secret in ["PRIMARY-PASSWORD", "REPLICA-PASSWORD", "SMS-SECRET"] {
        assert!(!text.contains(secret), "{secret} printed");
    }
}
