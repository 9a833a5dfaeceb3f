//! Customer passwords: what a person may choose, argon2id hashing, and
//! verification that takes as long for an unknown account as for a wrong
//! password. Hashing runs off the async threads.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, Params};
use bazaar_store::secret;
use rand::RngCore;

use crate::{Failure, refusals};

/// Passwords must be at least this long (NIST SP 800-63B's floor)...
pub const MIN_PASSWORD: usize = 8;
/// ...and at most this long, so hashing cost stays bounded.
pub const MAX_PASSWORD: usize = 256;

refusals! {
    /// Why a password may not be used.
    pub enum PasswordRefusal {
        Length { min: usize, max: usize } => Unprocessable, "weak_password",
            "a password needs {min} to {max} characters";
        SameAsEmail => Unprocessable, "weak_password",
            "the password must not be the email address";
    }
}

/// Refuse a password a person should not use.
pub fn check_password(password: &str, email: &str) -> Result<(), PasswordRefusal> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&chars) {
        return Err(PasswordRefusal::Length {
            min: MIN_PASSWORD,
            max: MAX_PASSWORD,
        });
    }
    if password.eq_ignore_ascii_case(email) {
        return Err(PasswordRefusal::SameAsEmail);
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    // argon2id with the OWASP-recommended 19 MiB, 2 passes, 1 lane.
    Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        Params::default(),
    )
}

/// Hashing failed: argon2 refused its own parameters, a stored hash does
/// not parse, or the worker thread panicked. The service's fault, never
/// the shopper's.
#[derive(Debug)]
pub struct HashFailure(String);

impl<R> From<HashFailure> for Failure<R> {
    fn from(failure: HashFailure) -> Self {
        Failure::Internal(failure.0)
    }
}

/// Run `work` on the blocking pool.
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, HashFailure> {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done.map_err(HashFailure),
        Err(err) => Err(HashFailure(err.to_string())),
    }
}

/// Hash a password with argon2id, off the async threads.
pub async fn hash_password(password: String) -> Result<String, HashFailure> {
    off_thread(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
}

/// A hash of nothing anyone knows, verified against when the email is
/// unknown so that answer takes as long as a wrong password.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::encode_b64(&[7u8; 16]).expect("a 16-byte salt encodes");
        argon2()
            .hash_password(secret::generate("decoy_").as_bytes(), &salt)
            .map(|h| h.to_string())
            .expect("argon2 hashes a short password")
    })
}

/// Whether `password` matches `hash`; with no hash (unknown account) it
/// does the same work and answers false.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, HashFailure> {
    off_thread(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| decoy().to_owned());
        let parsed = PasswordHash::new(&stored).map_err(|e| e.to_string())?;
        let ok = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && known)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Refusal;

    #[test]
    fn weak_passwords_are_refused_with_one_code() {
        let short = check_password("short", "a@b.example").expect_err("too short");
        assert_eq!(short.code(), "weak_password");
        assert_eq!(short.to_string(), "a password needs 8 to 256 characters");
        let same = check_password("A@B.example", "a@b.example").expect_err("the email");
        assert_eq!(
            same.to_string(),
            "the password must not be the email address"
        );
        assert!(check_password("long enough", "a@b.example").is_ok());
    }
}
