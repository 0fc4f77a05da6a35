//! Slowing down password guessing: after a few attempts in a row, each further attempt on the
//! same username (or from the same address) must wait, twice as long each time, up to a cap.

use chrono::{DateTime, Duration, Utc};

/// Failures allowed before waits start.
pub const FREE_ATTEMPTS: i32 = 5;
/// The same from one client address, which a station's desks or a NAT may share.
pub const FREE_ATTEMPTS_PER_ADDRESS: i32 = 20;
/// A streak ends this long after its last failure.
pub const STREAK_WINDOW: Duration = Duration::minutes(15);
const MAX_WAIT_S: i64 = 15 * 60;

/// How long the caller must still wait, if at all, after `failures` attempts of a username.
pub fn wait(failures: i32, last_failed_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<Duration> {
    wait_after(FREE_ATTEMPTS, failures, last_failed_at, now)
}

/// The same for attempts from one address.
pub fn wait_address(
    failures: i32,
    last_failed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Duration> {
    wait_after(FREE_ATTEMPTS_PER_ADDRESS, failures, last_failed_at, now)
}

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

    #[test]
    fn waits_double_after_the_free_attempts_and_stop_after_the_window() {
        let t = DateTime::<Utc>::UNIX_EPOCH;

        assert_eq!(wait(4, t, t), None);
        assert_eq!(wait(5, t, t), Some(Duration::seconds(1)));
        assert_eq!(wait(7, t, t), Some(Duration::seconds(4)));
        assert_eq!(wait(7, t, t + Duration::seconds(4)), None);
        assert_eq!(wait(40, t, t), Some(Duration::seconds(MAX_WAIT_S)));
        assert_eq!(wait(40, t, t + STREAK_WINDOW), None);
    }
}
