//! Checks for small values that arrive from users: region codes, emails,
//! host names, display names.

use crate::DomainError;

/// [`region_code`]'s rule as a regular expression, for the API document.
pub const REGION_CODE_PATTERN: &str = "^[A-Z]{2}(-[A-Z0-9]{1,3})?$";

/// A region code as the region packs use it: ISO 3166-1 alpha-2 (`DE`) or
/// ISO 3166-2 (`US-CA`, `CA-ON`).
pub fn region_code(raw: &str) -> Result<(), DomainError> {
    let (country, sub) = match raw.split_once('-') {
        Some((country, sub)) => (country, Some(sub)),
        None => (raw, None),
    };
    let country_ok = country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase());
    let sub_ok = sub.is_none_or(|s| {
        (1..=3).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    });
    if country_ok && sub_ok {
        Ok(())
    } else {
        Err(DomainError::new(
            "invalid_region",
            format!("`{raw}` is not a region code; use ISO 3166 codes such as `DE` or `US-CA`"),
        ))
    }
}

/// A plausible email address: one `@`, something before it, a dotted
/// domain after it, no spaces. Deliverability is the mail system's job.
pub fn email(raw: &str) -> Result<(), DomainError> {
    let valid = raw.len() <= 254
        && !raw.chars().any(char::is_whitespace)
        && matches!(raw.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.contains('@') && hostname(domain).is_ok());
    if valid {
        Ok(())
    } else {
        Err(DomainError::new(
            "invalid_email",
            format!("`{raw}` is not an email address"),
        ))
    }
}

/// A DNS host name such as `shop.example.com` (lowercase, at least one dot).
pub fn hostname(raw: &str) -> Result<(), DomainError> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if raw.len() <= 253 && raw.contains('.') && raw.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(DomainError::new(
            "invalid_domain",
            format!("`{raw}` is not a host name; use a lowercase name such as `shop.example.com`"),
        ))
    }
}

/// A display name: 1 to 200 characters once trimmed, no control characters.
pub fn display_name(field: &str, raw: &str) -> Result<String, DomainError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        return Err(DomainError::new(
            "invalid_name",
            format!("`{field}` must be 1 to 200 characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DomainError::new(
            "invalid_name",
            format!("`{field}` may not contain control characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes() {
        for ok in ["DE", "US-CA", "CA-ON", "GB", "FR-75"] {
            assert!(region_code(ok).is_ok(), "{ok}");
        }
        for bad in ["de", "USA", "US-", "US-CALI", "U", "US_CA"] {
            assert_eq!(
                region_code(bad).map_err(|e| e.code),
                Err("invalid_region"),
                "{bad}"
            );
        }
    }

    #[test]
    fn emails() {
        assert!(email("ops@greenleaf.example").is_ok());
        for bad in [
            "ops",
            "ops@",
            "@x.com",
            "a b@x.com",
            "a@b@c.com",
            "a@localhost",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(display_name("name", "  Acme ").as_deref(), Ok("Acme"));
        assert!(display_name("name", "   ").is_err());
        assert!(display_name("name", &"x".repeat(201)).is_err());
        assert!(display_name("name", "a\u{7}b").is_err());
    }
}
