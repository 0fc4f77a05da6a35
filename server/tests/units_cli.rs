#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! `xunjiu units`: functional zones join the counties and the city station as Annex 1 filing units.

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
async fn a_functional_zone_is_added_once_and_listed_with_the_built_in_units(pool: PgPool) {
    let url = database_url(&pool);
    assert!(xunjiu(&url, &["seed"]).status.success());
    let added = xunjiu(
        &url,
        &[
            "units",
            "add",
            "--name",
            "泰安高新技术产业开发区",
            "--kind",
            "functional_zone",
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(String::from_utf8_lossy(&added.stdout).contains("fz1"));
    let again = xunjiu(
        &url,
        &[
            "units",
            "add",
            "--name",
            "泰安高新技术产业开发区",
            "--kind",
            "functional_zone",
        ],
    );
    assert!(!again.status.success(), "a name is added once");
    let county = xunjiu(&url, &["units", "add", "--name", "x", "--kind", "county"]);
    assert!(!county.status.success(), "counties are built in");
    let listed = String::from_utf8_lossy(&xunjiu(&url, &["units", "list"]).stdout).to_string();
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 6 + 1 + 1, "{listed}");
    assert!(lines[6].starts_with("city\tcity_station\t泰安市救助管理站"));
    assert!(lines[7].starts_with("fz1\tfunctional_zone\t泰安高新技术产业开发区"));
}
