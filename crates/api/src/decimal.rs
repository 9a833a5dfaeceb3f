//! Decimal amounts on the wire: always JSON strings (`"12.50"`), never
//! numbers. A JSON number goes through a float in most clients and parsers
//! and can arrive changed; a string arrives as written. Numbers are refused
//! with a message saying so.

use std::borrow::Cow;
use std::str::FromStr;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use rust_decimal::Decimal;
use serde_json::Value;

/// A decimal number written as a string, e.g. `"12.50"` or `"0.0725"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalString(pub Decimal);

impl Type for DecimalString {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_decimal".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new_with_format("string", "decimal");
        schema.pattern = Some(r"^-?[0-9]+(\.[0-9]+)?$".to_owned());
        schema.example = Some(Value::String("12.50".to_owned()));
        schema.description =
            Some("A decimal number as a string (never a JSON number), e.g. \"12.50\".");
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for DecimalString {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(raw) => {
                // Exactly the documented pattern `^-?[0-9]+(\.[0-9]+)?$`: no
                // spaces, no `1.` or `.5`, no exponent.
                let unsigned = raw.strip_prefix('-').unwrap_or(&raw);
                let (whole, fraction) = match unsigned.split_once('.') {
                    Some((w, f)) => (w, Some(f)),
                    None => (unsigned, None),
                };
                let digits =
                    |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
                let plain = digits(whole) && fraction.is_none_or(digits);
                match Decimal::from_str(&raw) {
                    Ok(d) if plain => Ok(DecimalString(d)),
                    _ => Err(ParseError::custom(format!(
                        "`{raw}` is not a decimal number; write it like \"12.50\""
                    ))),
                }
            }
            Value::Number(n) => Err(ParseError::custom(format!(
                "send amounts as decimal strings (\"{n}\"), not JSON numbers, which can lose precision"
            ))),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for DecimalString {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_parse_and_numbers_are_refused() {
        let ok = DecimalString::parse_from_json(Some(Value::String("12.50".into())));
        assert_eq!(ok.ok(), Some(DecimalString(Decimal::new(1250, 2))));
        let number = DecimalString::parse_from_json(Some(serde_json::json!(12.5)));
        assert!(
            number
                .err()
                .is_some_and(|e| e.message().contains("not JSON numbers"))
        );
        for bad in [
            "", "1e3", "12,50", "abc", "1.2.3", " 1.00", "1.00 ", "1.", ".5", "-", "+1", "--1",
        ] {
            assert!(
                DecimalString::parse_from_json(Some(Value::String(bad.into()))).is_err(),
                "{bad}"
            );
        }
    }
}
