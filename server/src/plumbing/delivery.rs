//! One way to deliver an outbox, whatever it carries: claim what is due (row locks with
//! `skip locked`, so two senders never send one message twice), send it all at once, keep what
//! each attempt came to, and commit; a failure is tried again with exponential backoff until it
//! is given up. Web push and the work-chat and SMS channels are two [`Outbox`]es.

use std::future::Future;
use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// Wait after the `attempts`-th failure: 5 s, 10 s, 20 s … capped at an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    Duration::seconds((5_i64 << exp).min(3600))
}

/// The attempt an item is on, and whether failing it ends its tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// Counting this one.
    pub number: i32,
    /// When a failed attempt is tried again.
    pub next_at: DateTime<Utc>,
    /// A failure now gives up.
    pub last: bool,
}

impl Attempt {
    /// The attempt after `made` earlier ones, at `now`.
    pub fn after(made: i32, now: DateTime<Utc>) -> Self {
        let number = made + 1;
        Attempt {
            number,
            next_at: now + backoff(number),
            last: number >= MAX_ATTEMPTS,
        }
    }
}

/// A table of messages waiting to be sent, and how to send one.
pub trait Outbox: Sync {
    /// A claimed message with what sending it needs.
    type Item: Sync;
    /// What the far end answered.
    type Answer: Send;

    /// Lock what is due at `now` (a bounded batch).
    fn claim(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> impl Future<Output = sqlx::Result<Vec<Self::Item>>> + Send;

    /// Send one message.
    fn send(
        &self,
        item: &Self::Item,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Self::Answer> + Send;

    /// Keep what the attempt came to, in the claiming transaction.
    fn record(
        &self,
        conn: &mut PgConnection,
        item: &Self::Item,
        answer: Self::Answer,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// After the batch is recorded, before it commits (an unreached urgent referral escalates).
    fn after_batch(
        &self,
        _conn: &mut PgConnection,
        _items: &[Self::Item],
        _now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        async { Ok(()) }
    }
}

/// One pass over what is due; returns how many were attempted.
pub async fn deliver_once<O: Outbox>(
    db: &PgPool,
    outbox: &O,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut tx = db.begin().await?;
    let due = outbox
        .claim(&mut tx, now)
        .await
        .context("reading the outbox")?;
    let answers = futures::future::join_all(due.iter().map(|item| outbox.send(item, now))).await;
    for (item, answer) in due.iter().zip(answers) {
        outbox.record(&mut tx, item, answer, now).await?;
    }
    outbox.after_batch(&mut tx, &due, now).await?;
    tx.commit().await?;
    Ok(due.len())
}

/// Run `pass` again at once while it finds work, else a second later; a failed pass is logged
/// under `what` and tried again.
pub async fn drain_forever<F, Fut>(what: &str, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    loop {
        match pass().await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(err) => tracing::warn!(
                error = format!("{err:#}"),
                outbox = what,
                "delivery pass failed; will retry"
            ),
        }
        tokio::time::sleep(StdDuration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(5));
        assert_eq!(backoff(2), Duration::seconds(10));
        assert_eq!(backoff(4), Duration::seconds(40));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }

    #[test]
    fn the_eighth_attempt_is_the_last() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert!(!Attempt::after(6, now).last);
        let last = Attempt::after(7, now);
        assert!(last.last);
        assert_eq!(last.number, 8);
        assert_eq!(last.next_at, now + Duration::seconds(640));
    }
}
