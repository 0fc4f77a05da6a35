//! One database listener per server fans PostgreSQL notifications out to every open stream.

use serde::Deserialize;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The channel `notify_referral_change()` announces on.
pub const REFERRALS_CHANNEL: &str = "xunjiu_referrals";

/// Subscribers that fall this far behind get a `resync` instead.
const BACKLOG: usize = 1024;

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Change {
    /// A referral was created or changed; these stations hold or answer for it, before or after.
    Referral { id: Uuid, stations: Vec<String> },
    /// Notifications may have been lost (the listener reconnected): read everything again.
    #[serde(skip)]
    Resync,
}

/// The fan-out point; cheap to clone.
#[derive(Debug, Clone)]
pub struct Feed {
    sender: broadcast::Sender<Change>,
}

impl Default for Feed {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Feed {
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    pub fn publish(&self, change: Change) {
        // No open stream is not an error.
        let _ = self.sender.send(change);
    }

    /// Publish a notification's payload; a malformed one means the same as a lost one.
    pub fn publish_payload(&self, payload: &str) {
        match serde_json::from_str::<Change>(payload) {
            Ok(change) => self.publish(change),
            Err(err) => {
                tracing::warn!(error = %err, "unreadable referral notification");
                self.publish(Change::Resync);
            }
        }
    }
}

impl crate::plumbing::state::AppState {
    /// Committed referral changes, for live queues.
    pub fn live(&self) -> &Feed {
        self.part::<Feed>()
    }
}
