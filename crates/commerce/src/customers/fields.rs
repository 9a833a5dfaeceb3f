//! The text and dates a shopper types in (names, address lines, a date of
//! birth), checked the same way wherever they are stored.

use bazaar_domain::DomainError;
use chrono::{NaiveDate, Utc};

use crate::refusal::CodeInfo;
use crate::{Kind, Refusal};

/// A text field a shopper fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Line1,
    Line2,
    City,
    PostalCode,
    Phone,
}

impl Field {
    /// The field as the API names it.
    pub fn name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Line1 => "line1",
            Field::Line2 => "line2",
            Field::City => "city",
            Field::PostalCode => "postal_code",
            Field::Phone => "phone",
        }
    }
}

/// A value that cannot be stored as it is. (The code names the field, so
/// this implements [`Refusal`] by hand rather than through `refusals!`.)
#[derive(Debug, thiserror::Error)]
pub enum FieldRefusal {
    /// Empty once trimmed, or longer than `max` characters.
    #[error("`{}` needs 1 to {max} characters", field.name())]
    Text { field: Field, max: usize },
    #[error("`date_of_birth` must be a real past date (YYYY-MM-DD, after 1900)")]
    DateOfBirth,
    /// Not an email address.
    #[error("{0}")]
    Email(DomainError),
}

impl Refusal for FieldRefusal {
    fn kind(&self) -> Kind {
        Kind::Unprocessable
    }

    fn code(&self) -> &'static str {
        match self {
            FieldRefusal::Text { field, .. } => match field {
                Field::Name => "invalid_name",
                Field::Line1 => "invalid_line1",
                Field::Line2 => "invalid_line2",
                Field::City => "invalid_city",
                Field::PostalCode => "invalid_postal_code",
                Field::Phone => "invalid_phone",
            },
            FieldRefusal::DateOfBirth => "invalid_date_of_birth",
            FieldRefusal::Email(err) => err.code(),
        }
    }
}

impl FieldRefusal {
    /// Its codes, for the problem catalog (an email's are the domain's).
    pub const CODES: &'static [CodeInfo] = &[
        text_code("invalid_name", "`name` needs 1 to {max} characters"),
        text_code("invalid_line1", "`line1` needs 1 to {max} characters"),
        text_code("invalid_line2", "`line2` needs 1 to {max} characters"),
        text_code("invalid_city", "`city` needs 1 to {max} characters"),
        text_code(
            "invalid_postal_code",
            "`postal_code` needs 1 to {max} characters",
        ),
        text_code("invalid_phone", "`phone` needs 1 to {max} characters"),
        text_code(
            "invalid_date_of_birth",
            "`date_of_birth` must be a real past date (YYYY-MM-DD, after 1900)",
        ),
    ];
}

const fn text_code(code: &'static str, message: &'static str) -> CodeInfo {
    CodeInfo {
        code,
        kind: Kind::Unprocessable,
        message,
        details: &[],
    }
}

impl From<DomainError> for FieldRefusal {
    fn from(err: DomainError) -> Self {
        FieldRefusal::Email(err)
    }
}

/// `value` trimmed, refused when empty or longer than `max` characters.
pub fn trimmed(field: Field, value: &str, max: usize) -> Result<String, FieldRefusal> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(FieldRefusal::Text { field, max });
    }
    Ok(v.to_owned())
}

/// [`trimmed`], for a field that may be left out.
pub fn optional(
    field: Field,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, FieldRefusal> {
    value.map(|v| trimmed(field, &v, max)).transpose()
}

/// [`trimmed`], for a field that may be left out (`None`), cleared
/// (`Some(None)`) or set.
pub fn patch(
    field: Field,
    value: Option<Option<String>>,
    max: usize,
) -> Result<Option<Option<String>>, FieldRefusal> {
    value
        .map(|v| v.map(|v| trimmed(field, &v, max)).transpose())
        .transpose()
}

/// Refuse a date of birth in the future or before 1900.
pub fn check_birth_date(date: Option<NaiveDate>) -> Result<(), FieldRefusal> {
    if let Some(d) = date {
        let today = Utc::now().date_naive();
        if d > today || d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) {
            return Err(FieldRefusal::DateOfBirth);
        }
    }
    Ok(())
}

/// A lower-cased, trimmed email address, refused when it is not one.
pub fn email(raw: &str) -> Result<String, FieldRefusal> {
    let email = raw.trim().to_lowercase();
    bazaar_domain::validate::email(&email)?;
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_refusal_names_its_field() {
        let r = trimmed(Field::PostalCode, "   ", 20).expect_err("blank");
        assert_eq!(r.code(), "invalid_postal_code");
        assert_eq!(r.to_string(), "`postal_code` needs 1 to 20 characters");
        assert_eq!(
            trimmed(Field::Name, " Ada ", 200).expect("fits"),
            "Ada".to_owned()
        );
        assert_eq!(
            patch(Field::Phone, Some(None), 40).expect("clears"),
            Some(None)
        );
    }
}
