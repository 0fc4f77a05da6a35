//! `sqlx::migrate!` and `rust_embed` read `migrations/` and `web/` while compiling, but the
//! compiler only notices when a file it already knew changes: a new migration or page would
//! leave the binary (and the test suite) on the old list. Watching the directories fixes that.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
    println!("cargo:rerun-if-changed=../web");
}
