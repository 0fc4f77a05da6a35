//! The account behind a request, as every feature and shared rule sees it: the wire's `User`
//! (one declaration of an account's fields) and the session it came with.

use std::ops::Deref;

use mobile_api::{Role, User};

use crate::plumbing::error::ApiError;
use crate::rules::wire;

/// The account behind the request's bearer token (the extractor is `auth`'s).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub account: User,
    /// Identifies the session, for logout.
    pub token_hash: Vec<u8>,
}

impl Deref for CurrentUser {
    type Target = User;

    fn deref(&self) -> &User {
        &self.account
    }
}

impl CurrentUser {
    /// 403 unless the account has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "the {} role may not do this",
                wire::name(&self.role)
            )))
        }
    }

    /// Whether this is a duty officer of `station`.
    pub fn is_duty_of(&self, station: &str) -> bool {
        self.role == Role::Duty && self.station.as_deref() == Some(station)
    }

    pub fn to_wire(&self) -> User {
        self.account.clone()
    }
}
