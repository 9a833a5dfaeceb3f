//! A point in time as every response writes it: RFC 3339 in UTC with
//! exactly six fractional digits (`2026-12-02T16:01:17.134980Z`), the
//! database's precision. chrono's own form varies with the value (no
//! fraction, milliseconds, microseconds or nanoseconds, and `+00:00`), so a
//! time read back from PostgreSQL and one computed in the process looked
//! different; clients comparing or sorting them as strings got it wrong.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Timestamp(at)
    }
}

impl Type for Timestamp {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date-time")))
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

impl ParseFromJSON for Timestamp {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Ok(Timestamp(
                DateTime::parse_from_rfc3339(&text)?.with_timezone(&Utc),
            )),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Timestamp {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(
            self.0.to_rfc3339_opts(SecondsFormat::Micros, true),
        ))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn always_six_digits_in_utc() {
        let whole = Utc
            .with_ymd_and_hms(2026, 12, 2, 16, 1, 17)
            .single()
            .expect("time");
        assert_eq!(
            Timestamp(whole).to_json(),
            Some(Value::String("2026-12-02T16:01:17.000000Z".into()))
        );
        let nanos = whole + chrono::Duration::nanoseconds(57_395_513);
        assert_eq!(
            Timestamp(nanos).to_json(),
            Some(Value::String("2026-12-02T16:01:17.057395Z".into()))
        );
        let back = Timestamp::parse_from_json(Timestamp(nanos).to_json()).expect("parses");
        assert_eq!(back.0.timestamp_micros(), nanos.timestamp_micros());
    }
}
