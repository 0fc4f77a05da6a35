//! Slowing down password guessing: after a few attempts in a row, each further attempt on the
//! same account from the same address must wait, twice as long each time, up to a cap. The
//! account as a whole (guesses from everywhere) and an address (guesses at many accounts) have
//! streaks of their own with more free attempts, so a stranger's guesses elsewhere do not lock
//! the owner out at their desk.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

/// Failures allowed on one account from one address before waits start.
pub const FREE_ATTEMPTS: i32 = 5;
/// The same from one client address, which a station's desks or a NAT may share.
pub const FREE_ATTEMPTS_PER_ADDRESS: i32 = 20;
/// The backstop on one account from anywhere.
pub const FREE_ATTEMPTS_PER_ACCOUNT: i32 = 100;

/// What a streak of attempts is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Streak {
    /// One account from one address.
    AccountAddress(String, Option<IpAddr>),
    /// One account from anywhere.
    Account(String),
    /// One address, whatever the account.
    Address(IpAddr),
}

impl Streak {
    /// The streaks a login of `username` from `address` counts against.
    pub fn of(username: &str, address: Option<IpAddr>) -> Vec<Streak> {
        let username = username.to_lowercase();
        let mut all = vec![
            Streak::AccountAddress(username.clone(), address),
            Streak::Account(username),
        ];
        all.extend(address.map(Streak::Address));
        all
    }

    /// `(scope, key)` as stored.
    pub fn key(&self) -> (&'static str, String) {
        match self {
            Streak::AccountAddress(user, address) => (
                "account_address",
                format!(
                    "{user} {}",
                    address.map_or_else(|| "-".to_owned(), |a| a.to_string())
                ),
            ),
            Streak::Account(user) => ("account", user.clone()),
            Streak::Address(address) => ("address", address.to_string()),
        }
    }

    fn free(&self) -> i32 {
        match self {
            Streak::AccountAddress(..) => FREE_ATTEMPTS,
            Streak::Account(_) => FREE_ATTEMPTS_PER_ACCOUNT,
            Streak::Address(_) => FREE_ATTEMPTS_PER_ADDRESS,
        }
    }

    /// How long the caller must wait after `failures` attempts in this streak, if at all.
    pub fn wait(
        &self,
        failures: i32,
        last_failed_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        wait_after(self.free(), failures, last_failed_at, now)
    }
}
/// A streak ends this long after its last failure.
pub const STREAK_WINDOW: Duration = Duration::minutes(15);
const MAX_WAIT_S: i64 = 15 * 60;

fn wait_after(
    free: i32,
    failures: i32,
    last_failed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Duration> {
    if failures < free || now - last_failed_at >= STREAK_WINDOW {
        return None;
    }
    let exponent = u32::try_from(failures - free).unwrap_or(0).min(20);
    let wait = Duration::seconds((1_i64 << exponent).min(MAX_WAIT_S));
    let until = last_failed_at + wait;
    (until > now).then(|| until - now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(failures: i32, last: DateTime<Utc>, now: DateTime<Utc>) -> Option<Duration> {
        Streak::AccountAddress("a".into(), None).wait(failures, last, now)
    }

    #[test]
    fn waits_double_after_the_free_attempts_and_stop_after_the_window() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(Streak::Account("a".into()).wait(99, t, t), None);
        assert!(Streak::Account("a".into()).wait(100, t, t).is_some());

        assert_eq!(wait(4, t, t), None);
        assert_eq!(wait(5, t, t), Some(Duration::seconds(1)));
        assert_eq!(wait(7, t, t), Some(Duration::seconds(4)));
        assert_eq!(wait(7, t, t + Duration::seconds(4)), None);
        assert_eq!(wait(40, t, t), Some(Duration::seconds(MAX_WAIT_S)));
        assert_eq!(wait(40, t, t + STREAK_WINDOW), None);
    }
}
