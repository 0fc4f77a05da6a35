//! Live sessions kept in memory, so that a request need not ask the database who sent it.
//!
//! Safe only while the server hears every change: triggers announce each change to a session or
//! an account on `xunjiu_sessions`, the notification listener evicts that account's entries, and
//! the cache is off (and empty) whenever the listener is not connected. A lookup that raced an
//! eviction is not stored. Entries live at most [`TTL_S`] seconds in any case.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::db::SessionRow;
use crate::plumbing::state::AppState;

/// The channel the session triggers announce on; the payload is the account's id.
pub const SESSIONS_CHANNEL: &str = "xunjiu_sessions";

const TTL_S: i64 = 30;
const CAPACITY: usize = 50_000;

/// A token's session and when it was read from the database.
type Entries = HashMap<Vec<u8>, (SessionRow, DateTime<Utc>)>;

#[derive(Debug)]
pub struct SessionCache {
    enabled: AtomicBool,
    /// Bumped by every eviction, so a lookup that began before one is not stored after it.
    generation: AtomicU64,
    entries: Mutex<Entries>,
    /// Accounts whose sessions may have changed (`None`: any account), for long-lived streams.
    changes: broadcast::Sender<Option<Uuid>>,
}

impl Default for SessionCache {
    fn default() -> Self {
        Self {
            enabled: AtomicBool::default(),
            generation: AtomicU64::default(),
            entries: Mutex::default(),
            changes: broadcast::channel(256).0,
        }
    }
}

impl SessionCache {
    /// A live entry for the token, if the cache is on.
    pub fn get(&self, token_hash: &[u8], now: DateTime<Utc>) -> Option<SessionRow> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(token_hash)
            .filter(|(row, cached_at)| {
                row.expires_at > now && now - *cached_at < Duration::seconds(TTL_S)
            })
            .map(|(row, _)| row.clone())
    }

    /// The generation to hand back to [`Self::put`] after reading the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn put(&self, token_hash: Vec<u8>, row: SessionRow, now: DateTime<Utc>, generation: u64) {
        if !self.enabled.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(token_hash, (row, now));
    }

    /// Forget every session of an account.
    pub fn evict_user(&self, user: Uuid) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, (row, _)| row.user.id != user);
        drop(entries);
        // No open stream is not an error.
        let _ = self.changes.send(Some(user));
    }

    /// Hear of accounts whose sessions may have changed (`None`: perhaps any).
    pub fn subscribe(&self) -> broadcast::Receiver<Option<Uuid>> {
        self.changes.subscribe()
    }

    /// The listener is connected (`true`) or lost (`false`); either way, start empty.
    pub fn set_enabled(&self, on: bool) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
        self.enabled.store(on, Ordering::Release);
        drop(entries);
        let _ = self.changes.send(None);
    }

    /// Evict by a notification's payload; an unreadable one empties the cache.
    pub fn evict_payload(&self, payload: &str) {
        match payload.parse::<Uuid>() {
            Ok(user) => self.evict_user(user),
            Err(_) => {
                let enabled = self.enabled.load(Ordering::Acquire);
                self.set_enabled(enabled);
            }
        }
    }
}

/// The session cache's part in [`crate::plumbing::notifications`]: evict on each change, and be on only
/// while the listener is connected.
pub fn listener() -> crate::plumbing::notifications::Listener {
    crate::plumbing::notifications::Listener {
        channel: SESSIONS_CHANNEL,
        notified: |state, payload| {
            state.sessions().evict_payload(&payload);
            Box::pin(std::future::ready(()))
        },
        connected: |state| {
            state.sessions().set_enabled(true);
            Box::pin(std::future::ready(()))
        },
        lost: |state| state.sessions().set_enabled(false),
    }
}

impl AppState {
    /// Live sessions, while the notification listener keeps them honest.
    pub fn sessions(&self) -> &SessionCache {
        self.part::<std::sync::Arc<SessionCache>>()
    }
}
