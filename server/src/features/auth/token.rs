//! Bearer tokens: 256 random bits, shown once; the database keeps only their SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh token, prefixed so that a leaked one is recognisable in a scan.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("xj_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the sessions table stores and looks up.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
