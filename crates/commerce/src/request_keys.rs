//! What the money-moving use cases (checkout, refunds, payouts) share about
//! a caller's `Idempotency-Key`: which keys are usable, and the stable id a
//! request's key derives.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The caller's key when it is usable: 1-255 characters, not all blank.
pub(crate) fn usable(key: Option<&str>) -> Option<&str> {
    key.filter(|k| !k.trim().is_empty() && k.len() <= 255)
}

/// A stable id from what identifies a request (`kind`, the caller, the
/// object, the key): the same request retried finds the same record.
pub(crate) fn derived_id(kind: &str, caller: Uuid, object: Uuid, key: &str) -> Uuid {
    let digest = Sha256::digest(format!("{kind}|{caller}|{object}|{key}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_ids() {
        assert_eq!(usable(Some("k-1")), Some("k-1"));
        assert_eq!(usable(Some("   ")), None);
        assert_eq!(usable(Some(&"x".repeat(256))), None);
        assert_eq!(usable(None), None);
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(
            derived_id("refund", a, b, "k"),
            derived_id("refund", a, b, "k")
        );
        assert_ne!(
            derived_id("refund", a, b, "k"),
            derived_id("payout", a, b, "k")
        );
    }
}
