//! Limits on writes, so that one runaway phone, stolen token or partner key cannot flood a
//! station's queue: a token bucket per account (and per Open311 partner), charged one token per
//! record written, so a batch of N costs N. Reads are not limited.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::plumbing::error::ApiError;

/// A token bucket per key (an account's or a partner's id).
#[derive(Clone)]
pub struct WriteLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<Uuid>>,
    per_minute: NonZeroU32,
    burst: NonZeroU32,
}

impl WriteLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
            per_minute,
            burst,
        }
    }

    /// Take one write from the bucket, or `429 rate_limited`.
    pub fn check(&self, key: Uuid) -> Result<(), ApiError> {
        self.check_n(key, 1)
    }

    /// Take `n` writes at once, or none and `429 rate_limited` with the seconds until they fit.
    /// More than the bucket holds can never fit: the answer says how many may go at once.
    pub fn check_n(&self, key: Uuid, n: usize) -> Result<(), ApiError> {
        let Some(wanted) = u32::try_from(n).ok().and_then(NonZeroU32::new) else {
            return if n == 0 {
                Ok(())
            } else {
                Err(self.too_many(n, self.refill_time()))
            };
        };
        match self.limiter.check_key_n(&key, wanted) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                Err(self.too_many(n, not_until.wait_time_from(DefaultClock::default().now())))
            }
            Err(_) => Err(self.too_many(n, self.refill_time())),
        }
    }

    /// How long an empty bucket takes to fill.
    fn refill_time(&self) -> Duration {
        Duration::from_secs(60) * self.burst.get() / self.per_minute.get()
    }

    fn too_many(&self, n: usize, wait: Duration) -> ApiError {
        let message = if n > self.burst.get() as usize {
            format!(
                "too many writes at once: send at most {} records per request",
                self.burst
            )
        } else {
            "too many writes: wait as Retry-After says, then send again".to_owned()
        };
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError::too_many_requests(
            "rate_limited",
            message,
            i64::try_from(seconds).unwrap_or(i64::MAX).max(1),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_costs_one_token_per_record() {
        let limiter = WriteLimiter::new(60, 10);
        let key = Uuid::new_v4();
        assert!(limiter.check_n(key, 6).is_ok());
        assert!(limiter.check_n(key, 5).is_err(), "4 left");
        assert!(limiter.check_n(key, 4).is_ok());
        assert!(limiter.check(key).is_err());
        assert!(
            limiter.check_n(Uuid::new_v4(), 11).is_err(),
            "more than the bucket"
        );
        assert!(limiter.check_n(key, 0).is_ok());
    }
}
