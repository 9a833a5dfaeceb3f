//! Bearer secrets (API keys, cart tokens, customer sessions and one-time
//! tokens): 24 random bytes behind a prefix that says what they open. Only
//! the SHA-256 is stored, so a database leak hands out nothing usable.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// The SHA-256 of a secret, as stored.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A new secret: `prefix` then 48 hex digits.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}
