//! Creates with a client-chosen id, which a phone may send again: a new id is stored (201); the
//! same request from the same account under a stored id is a replay, answered with the stored
//! record and nothing written (200); anything else under it is 409 `id_conflict`. Sightings,
//! referrals, check-ins and alerts all answer so, through this one rule.

use axum::http::StatusCode;
use uuid::Uuid;

use crate::plumbing::error::ApiError;

/// Who sent a request, and the hash of what they sent (`intake::request_hash`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub owner: Option<Uuid>,
    pub hash: Vec<u8>,
}

impl Fingerprint {
    pub fn new(owner: impl Into<Option<Uuid>>, hash: Vec<u8>) -> Self {
        Self {
            owner: owner.into(),
            hash,
        }
    }
}

/// What became of one create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Replay,
    Conflict,
}

/// `stored` is `None` when the id was new and the record has just been written; otherwise the
/// fingerprint of what is stored under it.
pub fn outcome(stored: Option<&Fingerprint>, sent: &Fingerprint) -> Outcome {
    match stored {
        None => Outcome::Created,
        Some(stored) if stored == sent => Outcome::Replay,
        Some(_) => Outcome::Conflict,
    }
}

/// The answer's status for a single create, naming the kind of record in a conflict.
pub fn status(
    stored: Option<&Fingerprint>,
    sent: &Fingerprint,
    what: &str,
) -> Result<StatusCode, ApiError> {
    match outcome(stored, sent) {
        Outcome::Created => Ok(StatusCode::CREATED),
        Outcome::Replay => Ok(StatusCode::OK),
        Outcome::Conflict => Err(ApiError::id_conflict(what)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_needs_the_same_account_and_the_same_body() {
        let me = Uuid::new_v4();
        let sent = Fingerprint::new(me, vec![1, 2]);
        assert_eq!(outcome(None, &sent), Outcome::Created);
        assert_eq!(outcome(Some(&sent.clone()), &sent), Outcome::Replay);
        let other_body = Fingerprint::new(me, vec![9]);
        let other_owner = Fingerprint::new(Uuid::new_v4(), vec![1, 2]);
        assert_eq!(outcome(Some(&other_body), &sent), Outcome::Conflict);
        assert_eq!(outcome(Some(&other_owner), &sent), Outcome::Conflict);
        assert!(status(Some(&other_owner), &sent, "alert").is_err());
    }
}
