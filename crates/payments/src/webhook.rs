//! Events a provider sends about charges and refunds, signed so that only
//! the provider can send them.
//!
//! The HTTP provider signs each event's raw body with the shared secret:
//! header `Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>">` (several `v1=` entries may appear while a secret is
//! being rotated). An event older or newer than the tolerance is refused
//! (a replayed capture of an old delivery), as is a body whose signature
//! does not match.
//!
//! ```json
//! {"id": "evt_1", "type": "charge.succeeded",
//!  "data": {"id": "ch_1", "idempotency_key": "<order id>", "amount": "32.18",
//!           "currency": "USD", "failure_code": null,
//!           "metadata": {"tenant": "<tenant slug>"}}}
//! ```
//!
//! Types: `charge.succeeded`, `charge.failed`, `refund.succeeded`,
//! `refund.failed`; for refunds `idempotency_key` is Bazaar's refund id.

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// How far an event's signed time may be from now.
pub const TOLERANCE_SECONDS: i64 = 300;

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The `Webhook-Signature` header for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(hmac_sha256(secret.as_bytes(), &message))
    )
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No header, or not `t=...,v1=...`.
    Malformed,
    /// Signed too long ago (or in the future): outside the tolerance.
    Stale,
    /// No `v1` matches the body.
    Mismatch,
}

/// Check `header` against `body` at `now` (unix seconds).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let expected = sign(secret, timestamp, body);
    let expected = expected.split("v1=").nth(1).unwrap_or_default().as_bytes();
    // Compared in constant time: nothing about the secret leaks by timing.
    let matches = signatures.iter().any(|given| {
        given.len() == expected.len()
            && given
                .bytes()
                .zip(expected.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// An event, as the provider sends it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct EventData {
    /// The charge's or refund's id at the provider.
    pub id: String,
    /// The key Bazaar sent: the order's id for a charge, the refund's id
    /// for a refund.
    pub idempotency_key: String,
    pub amount: Decimal,
    pub currency: String,
    #[serde(default)]
    pub failure_code: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct Metadata {
    /// The tenant the charge or refund was made for.
    #[serde(default)]
    pub tenant: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_the_rfc_4231_vector() {
        // RFC 4231, test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signatures_are_checked_for_body_secret_and_time() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign("whsec", 1_000, body);
        assert_eq!(verify("whsec", &header, body, 1_100), Ok(()));
        assert_eq!(
            verify("whsec", &header, br#"{"id":"evt_2"}"#, 1_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("other", &header, body, 1_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec", &header, body, 1_000 + TOLERANCE_SECONDS + 1),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("whsec", "v1=abc", body, 1_000),
            Err(SignatureError::Malformed)
        );
        // During a rotation the old and the new secret both sign.
        let rotated = format!(
            "{},v1={}",
            sign("old", 1_000, body),
            sign("whsec", 1_000, body)
                .split("v1=")
                .nth(1)
                .expect("a v1 signature")
        );
        assert_eq!(verify("whsec", &rotated, body, 1_000), Ok(()));
    }
}
