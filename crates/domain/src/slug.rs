//! Slugs name tenants, brands and vendors in URLs, manifests and (for
//! tenants) PostgreSQL schema names, so their alphabet is deliberately small.

use std::fmt;

use crate::DomainError;

/// A validated slug: 2 to 40 characters of `a-z`, `0-9` and single `-`,
/// starting with a letter and not ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 40;
    pub const MIN_LEN: usize = 2;
    /// The rules of [`Slug::parse`] as a regular expression, for the API
    /// document: a letter, then letters and digits, in runs joined by
    /// single `-`.
    pub const PATTERN: &'static str = "^[a-z][a-z0-9]*(-[a-z0-9]+)*$";

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let fail = |why: &str| {
            Err(DomainError::new(
                "invalid_slug",
                format!("`{raw}` is not a valid slug: {why}"),
            ))
        };
        if raw.len() < Self::MIN_LEN || raw.len() > Self::MAX_LEN {
            return fail("it must be 2 to 40 characters long");
        }
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return fail("it must start with a lowercase letter");
        }
        if let Some(c) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return fail(&format!(
                "`{c}` is not allowed; use lowercase letters, digits and `-`"
            ));
        }
        if raw.ends_with('-') || raw.contains("--") {
            return fail("`-` may not end it or appear twice in a row");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PostgreSQL schema that holds this tenant's data: `t_` and the
    /// slug with `-` turned into `_` (unambiguous because `_` is not allowed
    /// in a slug).
    pub fn tenant_schema(&self) -> String {
        format!("t_{}", self.0.replace('-', "_"))
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_slugs() {
        for ok in ["ab", "greenleaf", "north-star-2", "a1"] {
            assert_eq!(Slug::parse(ok).map(|s| s.0), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn rejects_bad_slugs_with_a_reason() {
        for (bad, why) in [
            ("a", "2 to 40"),
            ("1abc", "start with a lowercase letter"),
            ("Abc", "start with a lowercase letter"),
            ("ab_c", "`_` is not allowed"),
            ("ab c", "` ` is not allowed"),
            ("abc-", "may not end"),
            ("a--b", "twice in a row"),
            (&"a".repeat(41), "2 to 40"),
        ] {
            let err = Slug::parse(bad).expect_err(bad);
            assert_eq!(err.code, "invalid_slug");
            assert!(err.message.contains(why), "{bad}: {}", err.message);
        }
    }

    #[test]
    fn tenant_schema_is_prefixed_and_identifier_safe() {
        let slug = Slug::parse("north-star").expect("valid");
        assert_eq!(slug.tenant_schema(), "t_north_star");
    }
}
