//! Per-account limits on writes, so that one runaway phone or stolen token cannot flood a
//! station's queue. Reads are not limited.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::error::ApiError;

/// A token bucket per account.
#[derive(Clone)]
pub struct WriteLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<Uuid>>,
}

impl WriteLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
        }
    }

    /// Take one write from the account's bucket, or `429 rate_limited`.
    pub fn check(&self, account: Uuid) -> Result<(), ApiError> {
        self.limiter.check_key(&account).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::too_many_requests(
                "rate_limited",
                "too many writes from this account: slow down",
                i64::try_from(wait.as_secs()).unwrap_or(i64::MAX).max(1),
            )
        })
    }
}
