#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
//! `xunjiu erase --person ID --reason TEXT` as an operator runs it on a person's request.

use std::process::{Command, Output};

use sqlx::PgPool;

mod support;
use support::database_url;

fn xunjiu(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xunjiu"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("NO_COLOR", "1")
        .env("XUNJIU_PASSWORD", "an operator's passphrase")
        .output()
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_person_is_erased_with_the_reason_on_record(pool: PgPool) {
    let url = database_url(&pool);
    assert!(xunjiu(&url, &["seed"]).status.success());
    let added = xunjiu(
        &url,
        &[
            "users",
            "add",
            "--username",
            "duty.xintai",
            "--role",
            "duty",
            "--station",
            "xintai",
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let id: uuid::Uuid = sqlx::query_scalar(
        "insert into people (id, name, sex, id_number, created_by, created_at, updated_at, request_hash)
         select gen_random_uuid(), '赵丁', 'male', '370902199001011235', id, now(), now(), '\\x00'
         from users where username = 'duty.xintai' returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    let none = xunjiu(&url, &["erase", "--reason", "request"]);
    let unknown = xunjiu(
        &url,
        &[
            "erase",
            "--person",
            &uuid::Uuid::new_v4().to_string(),
            "--reason",
            "x",
        ],
    );
    let erased = xunjiu(
        &url,
        &[
            "erase",
            "--person",
            &id.to_string(),
            "--reason",
            "PIPL art. 47, ticket 9",
        ],
    );

    assert!(!none.status.success(), "a record must be named");
    assert!(!unknown.status.success());
    assert!(
        erased.status.success(),
        "{}",
        String::from_utf8_lossy(&erased.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&erased.stdout).trim(),
        "redacted 1 record(s)"
    );
    let (name, number): (Option<String>, Option<String>) =
        sqlx::query_as("select name, id_number from people where id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((name, number), (None, None));
    let reason: String = sqlx::query_scalar(
        "select detail->>'reason' from person_events where person_id = $1 and kind = 'redacted'",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(reason.contains("ticket 9"), "{reason}");
}
